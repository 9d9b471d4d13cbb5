"""Fixtures for the unit tests: tiny random-weight models of every family (no downloads)."""

from __future__ import annotations

import pytest
import torch

from harness.testing import FAMILIES, GENERATION_INIT, tiny_handle

pytest_plugins = ["pytester"]


# Tiny models gain nothing from threads, and on a busy 2-core machine torch's spinning
# threads made each forward 100x slower.
torch.set_num_threads(1)
# torch loads its compiler stack on the first torch.manual_seed. Inside an in-process pytester
# run that import is unloaded again afterwards, and the next run's re-import registers torch's
# operator libraries twice (a RuntimeError); loading it here, once, keeps the plugin tests
# independent of which test happened to seed first.
import torch._dynamo  # noqa: E402


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """No test touches the user's harness cache: some wipe the cache they run against."""
    monkeypatch.setenv("EMOTION_HARNESS_CACHE", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture(scope="session", params=FAMILIES)
def tiny(request):
    """A tiny model of each family with realistic (HF default) activation scales."""
    return tiny_handle(request.param)


@pytest.fixture(scope="session", params=FAMILIES)
def tiny_gen(request):
    """A tiny model of each family with spread logits, for token-exact generation tests."""
    return tiny_handle(request.param, init=GENERATION_INIT)


@pytest.fixture
def evals_folder(pytester):
    """A pytester folder set up as a user's evals folder: its conftest loads the harness's opt-in
    plugin, as evals/conftest.py does here."""
    pytester.makeconftest('pytest_plugins = ["harness.pytest_plugin"]\n')
    return pytester
