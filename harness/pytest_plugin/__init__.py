"""The evals' pytest plugin: their options, fixtures and report.

It is opt-in, so installing the package changes no other project's pytest runs: the evals'
own ``evals/conftest.py`` loads it (``pytest_plugins = ["harness.pytest_plugin"]``), and an
evals folder elsewhere does the same in its conftest.py or runs ``pytest -p
harness.pytest_plugin``. Tests record claims; at session end the plugin writes
``results.json``, ``summary.md``, ``summary.html``, plots and excerpts into ``--report-dir``
and ends the terminal output with the verdict matrix. Under pytest-xdist each worker ships
its records (its shard) to the controller through ``workeroutput``; only the controller
writes files.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import platform
import time
from typing import Any

import pytest

from harness.errors import HarnessError
from harness.pytest_plugin.display import TerminalProgress
from harness.pytest_plugin.options import add_options, report_dir, select_models, selected_models
from harness.pytest_plugin.store import RunStore, run_store

pytest_plugins = ["harness.pytest_plugin.fixtures"]

_SHARD_KEY = "emotion_harness_shard"
_PHASES_KEY = "emotion_harness_phase_seconds"
_PROGRESS = pytest.StashKey[TerminalProgress]()

__all__ = ["RunStore", "run_store", "selected_models"]


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    from harness import inputs, progress
    from harness.metrics.classifier import BACKENDS
    from harness.models.loading import resolve_device, resolve_dtype, worker_device
    from harness.protocol import get_profile

    try:
        get_profile(config.getoption("protocol_profile"))
        if config.getoption("classifier") not in BACKENDS:
            raise HarnessError(f"unknown --classifier '{config.getoption('classifier')}'; "
                               f"use one of {', '.join(BACKENDS)}")
        resolve_device(config.getoption("torch_device"))
        inputs.number(config.getoption("progress_every"), "--progress-every", 0.01, 3600)
        resolve_dtype(config.getoption("dtype"))
        select_models(config)
    except HarnessError as e:
        raise pytest.UsageError(str(e)) from None
    stack = contextlib.ExitStack()
    config.stash[_PROGRESS] = TerminalProgress(config, worker=_worker_id(config))
    stack.enter_context(progress.reporting(config.stash[_PROGRESS]))
    config.add_cleanup(stack.close)
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker and config.getoption("torch_device") == "cuda":
        import torch

        config.option.torch_device = worker_device("cuda", worker, torch.cuda.device_count())
    workers = os.environ.get("PYTEST_XDIST_WORKER_COUNT")
    if workers:
        # Share the cores: oversubscribed torch threads spin-wait, and forwards get ~10x slower.
        import torch

        torch.set_num_threads(max(1, (os.cpu_count() or 1) // int(workers)))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "model_key" in metafunc.fixturenames:
        keys = selected_models(metafunc.config)
        metafunc.parametrize("model_key", keys, ids=keys, scope="session")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # One xdist group per model, so `-n N --dist loadgroup` loads each model in one worker.
    for item in items:
        key = getattr(item, "callspec", None) and item.callspec.params.get("model_key")
        if key:
            item.add_marker(pytest.mark.xdist_group(name=key))


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def _worker_id(config: pytest.Config) -> str | None:
    return config.workerinput.get("workerid", "worker") if _is_worker(config) else None


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    output = getattr(node, "workeroutput", {})
    if output.get(_SHARD_KEY):
        run_store(node.config).merge_json(output[_SHARD_KEY])
    watch = node.config.stash.get(_PROGRESS, None)
    if watch is not None:  # the run's summary counts the phases every worker computed
        watch.computed.extend(output.get(_PHASES_KEY, []))


def run_metadata(config: pytest.Config, store: RunStore) -> dict[str, Any]:
    import torch
    import transformers

    from harness.protocol import PROTOCOL_VERSION
    from harness.version import __version__

    def opt(name: str) -> Any:
        return config.getoption(name, default=None)

    return {
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "harness_version": __version__, "protocol_version": PROTOCOL_VERSION,
        "profile": opt("protocol_profile"), "device": opt("torch_device"), "dtype": opt("dtype"),
        "models": dict(sorted(store.models.items())),
        "torch": torch.__version__, "transformers": transformers.__version__,
        "python": platform.python_version(), "platform": platform.platform(),
    }


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    from harness.claims.c06_classifier_flips import pooled_readable_records
    from harness.report.results import write_results
    from harness.report.summary import write_report

    config = session.config
    store = run_store(config)
    if _is_worker(config):
        config.workeroutput[_SHARD_KEY] = store.to_json()
        watch = config.stash.get(_PROGRESS, None)
        config.workeroutput[_PHASES_KEY] = list(watch.computed) if watch is not None else []
        return
    if not store.records:
        return  # all-skipped runs leave the last report alone
    out = report_dir(config)
    run = run_metadata(config, store)
    # Readings pooled from the per-model records, as a merge of runs computes them.
    records = [*store.records, *pooled_readable_records(store.records)]
    write_results(out / "results.json", run, records, store.excerpts)
    write_report(out, run, records, store.excerpts)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    from harness.report.matrix import matrix_text

    store = run_store(config)
    if _is_worker(config) or not store.records:
        return
    watch = config.stash.get(_PROGRESS, None)
    if watch is not None:
        from tqdm import tqdm

        from harness.cache import cache_root

        took = tqdm.format_interval(time.perf_counter() - watch.started)
        terminalreporter.write_line(
            f"this run took {took}: {len(watch.computed)} phases computed "
            f"({tqdm.format_interval(sum(watch.computed))}), everything else read from the cache ({cache_root()})")
    terminalreporter.write_line(f"report: {report_dir(config) / 'summary.md'} (every record), "
                                f"{report_dir(config) / 'summary.html'}")
    terminalreporter.write_sep("=", "emotion claims: verdict matrix (measured; paper values in the report)")
    terminalreporter.write_line(matrix_text(store.records))
