"""On a CUDA machine: capture and generation agree with the CPU (skipped without a GPU)."""

from __future__ import annotations

import copy

import pytest
import torch

from harness.runtime.capture import capture
from harness.runtime.generate import generate
from harness.testing import FAMILIES, GENERATION_INIT, max_relative_error, tiny_handle

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU on this machine")


def on_cuda(handle):
    h = copy.copy(handle)
    h.model = copy.deepcopy(handle.model).to("cuda")
    h.device = torch.device("cuda")
    return h


def sequences(n: int = 8) -> list[list[int]]:
    g = torch.Generator().manual_seed(7)
    return [torch.randint(4, 256, (int(k),), generator=g).tolist() for k in torch.randint(3, 30, (n,), generator=g)]


@pytest.mark.parametrize("family", FAMILIES)
def test_cuda_capture_matches_cpu_and_is_batch_invariant(family):
    cpu = tiny_handle(family)
    gpu = on_cuda(cpu)
    ids = sequences()
    ref = capture(cpu, ids).resid
    one, eight = capture(gpu, ids, batch_size=1).resid, capture(gpu, ids, batch_size=8).resid
    assert max_relative_error(one, ref) < 1e-4  # TF32/kernels differ from the CPU's
    assert max_relative_error(eight, one) < 1e-4


@pytest.mark.parametrize("family", FAMILIES)
def test_cuda_batched_generation_equals_single(family):
    gpu = on_cuda(tiny_handle(family, init=GENERATION_INIT))
    ids = sequences(6)
    batched = generate(gpu, ids, max_new_tokens=12, batch_size=6)
    single = generate(gpu, ids, max_new_tokens=12, batch_size=1)
    assert [g.new_ids for g in batched] == [g.new_ids for g in single]
