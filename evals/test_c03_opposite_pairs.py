"""C3 (paper 4.5): no opposite pair (happy-sad, calm-desperate, loving-hostile, proud-guilty)
has a negative cosine under the neutral baseline."""

import pytest

from harness.claims.c03_opposite_pairs import C3


@pytest.mark.parametrize("method", C3.axis_values)
def test_c03_opposite_pairs_not_negative(model, method, verify):
    verify(C3, method)
