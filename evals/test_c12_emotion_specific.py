"""C12 (a control the paper lacks): separation is emotion-specific, not anisotropy alone.

S must fall below the 5th percentile of a label-shuffled null, and vectors must label
held-out passages above 20-way chance.
"""

from __future__ import annotations

import pytest

from harness.claims.geometry import emotion_specific
from harness.experiments.extraction import METHODS
from harness.paper import reference


@pytest.mark.parametrize("method", METHODS)
def test_c12_beyond_shuffled_null_and_chance(model, method, geometry, record_check, expect_claim, profile):
    g = geometry(method, "C12")
    check = emotion_specific(g)
    record_check("C12", "s_minus_null_p05", check, method, reference("C12", model.key),
                 baseline="neutral", layer=g.middle, n_permutations=profile.n_permutations,
                 null_p05_per_block=g.null_p05, null_fraction_per_block=g.null_fraction_at_or_below)
    expect_claim("C12", method, check)
