"""C1 (paper 4.1): separation is best near 50% depth and poor at 25% and 100% (a U-curve)."""

import pytest

from harness.claims.c01_u_curve import C1


@pytest.mark.parametrize("method", C1.axis_values)
def test_c01_u_curve(model, method, verify):
    verify(C1, method)
