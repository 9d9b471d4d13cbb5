"""C4 (paper 4.5): emotion vectors sit below the anisotropy baseline (gap B - S > 0)."""

from __future__ import annotations

import math

import pytest

from harness.claims.geometry import below_anisotropy
from harness.experiments.extraction import METHODS, neutral_sentences
from harness.metrics.geometry import depths, mean_pairwise_cosine
from harness.paper import reference


@pytest.mark.parametrize("method", METHODS)
def test_c4_gap_above_zero(model, method, geometry, record_check, expect_claim):
    g = geometry(method, "C4")
    check = below_anisotropy(g)
    record_check("C4", "anisotropy_gap", check, method, reference("C4", model.key),
                 baseline="neutral; B from raw last-token states of 20 neutral sentences", layer=g.middle,
                 anisotropy_per_block=g.anisotropy, anisotropy_post_final_norm=g.anisotropy_post_norm)
    expect_claim("C4", method, check)


def test_c4_anisotropy_baseline(model, stimuli, profile, record_claim):
    """B itself at every block: the mean pairwise cosine of 20 neutral sentences' raw states."""
    neutral = neutral_sentences(model, stimuli, profile.batch_size)
    per_block = mean_pairwise_cosine(neutral.data.states).tolist()
    assert len(per_block) == model.n_layers
    assert all(math.isfinite(b) and -1.0 <= b <= 1.0 for b in per_block), per_block
    record_claim("C4", model.key, "anisotropy_baseline", per_block, verdict="not applicable",
                 details={"baseline": "raw last-token residual, 20 neutral factual sentences",
                          "layer": "every block", "depths": depths(model.n_layers),
                          "post_final_norm": float(mean_pairwise_cosine(neutral.post_norm)),
                          "profile": profile.name,
                          "reason": "B alone decides nothing; the gap B - S is the C4 verdict"})
