"""C4 (paper 4.5): emotion vectors sit below the anisotropy baseline (gap B - S > 0)."""

from __future__ import annotations

import pytest

from harness.claims import below_anisotropy
from harness.extraction import METHODS
from harness.paper import reference


@pytest.mark.parametrize("method", METHODS)
def test_c4_gap_above_zero(model, method, geometry, record_check, expect_claim):
    g = geometry(method, "C4")
    check = below_anisotropy(g)
    record_check("C4", "anisotropy_gap", check, method, reference("C4", model.key),
                 baseline="neutral; B from raw last-token states of 20 neutral sentences", layer=g.middle,
                 anisotropy_per_block=g.anisotropy, anisotropy_post_final_norm=g.anisotropy_post_norm)
    expect_claim("C4", method, check)
