"""C3 (paper 4.5): no opposite pair (happy-sad, calm-desperate, loving-hostile, proud-guilty)
has a negative cosine under the neutral baseline."""

from __future__ import annotations

import pytest

from harness.claims.geometry import opposite_pairs_positive
from harness.experiments.extraction import METHODS
from harness.metrics.geometry import cosine_matrix
from harness.paper import reference


@pytest.mark.parametrize("method", METHODS)
def test_c3_opposite_pairs_not_negative(model, method, geometry, record_check, expect_claim):
    g = geometry(method, "C3")
    check = opposite_pairs_positive(g)
    record_check("C3", "min_opposite_pair_cosine", check, method, reference("C3", model.key),
                 baseline="neutral (centred beside)", layer=g.middle,
                 cosine_matrix=cosine_matrix(g.vectors["neutral"][g.middle]).tolist())
    expect_claim("C3", method, check)
