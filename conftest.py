"""Root conftest: CLI options and session-scoped model fixtures for the evals.

The report plugin itself is registered through the ``pytest11`` entry point
(harness.pytest_plugin), so it also works for evals outside this repository.
"""

from __future__ import annotations

import os

import pytest

from harness.errors import HarnessError, ModelUnavailable
from harness.metrics.classifier import BACKENDS
from harness.models.loading import ModelHandle, load, resolve_device, resolve_dtype, worker_device
from harness.models.registry import select
from harness.protocol import Profile, get_profile


def pytest_addoption(parser: pytest.Parser) -> None:
    g = parser.getgroup("emotion-harness")
    g.addoption("--models", default="embedded",
                help="comma-separated registry keys, globs, 'embedded' (default) or 'all'")
    g.addoption("--device", default="cpu", help="cpu, cuda, cuda:N or auto (default cpu)")
    g.addoption("--dtype", default="float32", help="float32 (default), bfloat16 or float16")
    g.addoption("--offline", action="store_true",
                help="never download: use only weights already in the harness or HF cache")
    g.addoption("--allow-download", action="store_true",
                help="let hub models download into the HF cache (off by default)")
    g.addoption("--trust-remote-code", action="store_true",
                help="allow models that ship their own Python code (off by default)")
    g.addoption("--profile", default="paper", help="paper (default) or quick")
    g.addoption("--classifier", default="auto",
                help="external emotion classifier for C6/C7: auto (j-hartmann when its weights are "
                     "local, else nade), j-hartmann or nade")
    g.addoption("--ppl-scorer", default=None,
                help="registry key of the model that scores perplexity (default: the unsteered model itself)")


def pytest_configure(config: pytest.Config) -> None:
    try:
        get_profile(config.getoption("profile"))
        if config.getoption("classifier") not in BACKENDS:
            raise HarnessError(f"unknown --classifier '{config.getoption('classifier')}'; "
                               f"use one of {', '.join(BACKENDS)}")
        resolve_device(config.getoption("device"))
        resolve_dtype(config.getoption("dtype"))
        config.stash[_KEYS] = select(config.getoption("models").split(","))
    except HarnessError as e:
        raise pytest.UsageError(str(e)) from None
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker and config.getoption("device") == "cuda":
        import torch

        config.option.device = worker_device("cuda", worker, torch.cuda.device_count())
    workers = os.environ.get("PYTEST_XDIST_WORKER_COUNT")
    if workers:
        # Share the cores: oversubscribed torch threads spin-wait, and forwards get ~10x slower.
        import torch

        torch.set_num_threads(max(1, (os.cpu_count() or 1) // int(workers)))


_KEYS = pytest.StashKey[list]()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "model_key" in metafunc.fixturenames:
        keys = metafunc.config.stash[_KEYS]
        metafunc.parametrize("model_key", keys, ids=keys, scope="session")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # One xdist group per model, so `-n N --dist loadgroup` loads each model in one worker.
    for item in items:
        key = getattr(item, "callspec", None) and item.callspec.params.get("model_key")
        if key:
            item.add_marker(pytest.mark.xdist_group(name=key))


@pytest.fixture(scope="session")
def profile(pytestconfig: pytest.Config) -> Profile:
    return get_profile(pytestconfig.getoption("profile"))


@pytest.fixture(scope="session")
def model(model_key: str, load_model) -> ModelHandle:
    """The model under test, loaded once per session; skipped when its weights are absent."""
    return load_model(model_key)


@pytest.fixture(scope="session")
def load_model(pytestconfig: pytest.Config, harness_run):
    """``load_model(key)``: a model handle with the session's options (skips when absent)."""
    loaded: dict[str, ModelHandle] = {}

    def get(key: str) -> ModelHandle:
        if key not in loaded:
            loaded[key] = _load_or_skip(key, pytestconfig, harness_run)
        return loaded[key]

    return get


def _load_or_skip(model_key: str, pytestconfig: pytest.Config, harness_run) -> ModelHandle:
    opt = pytestconfig.getoption
    try:
        handle = load(model_key, device=opt("device"), dtype=opt("dtype"), offline=opt("offline"),
                      allow_download=opt("allow_download"),
                      trust_remote_code=opt("trust_remote_code"))
    except HarnessError as e:
        error = e
    else:
        harness_run.add_model(handle)
        return handle
    # Outside the except block, so pytest shows one line and not a chained traceback.
    if isinstance(error, ModelUnavailable):
        pytest.skip(str(error))
    pytest.fail(str(error), pytrace=False)


@pytest.fixture(scope="session")
def model_keys(pytestconfig: pytest.Config) -> list[str]:
    """Every model selected by --models (for checks pooled over models)."""
    return list(pytestconfig.stash[_KEYS])
