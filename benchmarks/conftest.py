"""Benchmark fixtures: each model selected by --models plus a tiny random model, and fixed
inputs. Benchmarks run only on request (`pytest benchmarks`), never in `pytest tests`."""

from __future__ import annotations

import pytest
import torch

from harness.pytest_plugin.options import selected_models
from harness.testing import tiny_handle

pytest_plugins = ["harness.pytest_plugin"]  # --models, model_loader

TINY = "tiny-llama"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "subject_key" in metafunc.fixturenames:
        # The plugin's selection (keys, globs, 'embedded', 'all', folders), plus the tiny model.
        keys = [*selected_models(metafunc.config), TINY]
        metafunc.parametrize("subject_key", keys, ids=keys, scope="session")


@pytest.fixture(scope="session")
def subject(subject_key, model_loader):
    """A real model or the tiny one: hook overheads matter most where compute is small."""
    return tiny_handle("llama") if subject_key == TINY else model_loader(subject_key)


def forward_batch(handle, batch: int = 8, length: int = 64, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    vocab = min(handle.model.config.get_text_config().vocab_size, 30000)
    ids = torch.randint(10, vocab, (batch, length), generator=g).to(handle.device)
    return ids, torch.ones_like(ids)
