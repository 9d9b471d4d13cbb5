"""The paper platform's vectors: centred comprehension vectors at block n_layers * 2 // 3."""

from __future__ import annotations

import pytest
import torch

from harness.errors import HarnessError
from harness.experiments import steering_grid
from harness.experiments.extraction import Extraction
from harness.metrics.vectors import LabelledStates
from harness.protocol import get_profile, platform_block
from harness.stimuli.loading import load_stimuli
from harness.testing import tiny_handle


@pytest.mark.parametrize("n_layers, block", [(30, 20), (24, 16), (18, 12), (4, 2), (2, 1)])
def test_platform_block_is_two_thirds_down(n_layers, block):
    assert platform_block(n_layers) == block


def test_platform_vector_equals_a_hand_computation(monkeypatch):
    h = tiny_handle("llama")
    stimuli = load_stimuli()
    labels = tuple(e for e in (*stimuli.names, "neutral") for _ in range(3))
    g = torch.Generator().manual_seed(0)
    states = torch.randn(h.n_layers, len(labels), h.d_model, generator=g) + 5.0  # shared offset: anisotropic
    ex = Extraction("comprehension", LabelledStates(states, labels), torch.zeros(len(labels), h.d_model),
                    labels, tuple(range(len(labels))))
    monkeypatch.setattr(steering_grid, "extract", lambda *a, **k: ex)
    block = platform_block(h.n_layers)
    got = steering_grid.steering_vectors(h, stimuli, get_profile("quick"), baseline="centred", block=block)

    at = states[block].double()
    means = {e: at[[i for i, lab in enumerate(labels) if lab == e]].mean(0) for e in stimuli.names}
    centre = sum(means.values()) / len(means)  # the mean of the 20 emotion means; neutral plays no part
    for i, e in enumerate(stimuli.names):
        want = (means[e] - centre) / (means[e] - centre).norm()
        assert torch.allclose(got[i].double(), want, atol=1e-6), e
    middle = steering_grid.steering_vectors(h, stimuli, get_profile("quick"), baseline="centred")
    assert block != h.middle_layer and not torch.allclose(middle, got)
    with pytest.raises(HarnessError, match="block 99 out of range"):
        steering_grid.steering_vectors(h, stimuli, get_profile("quick"), block=99)
