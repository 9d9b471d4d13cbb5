"""C4 (paper 4.5): emotion vectors sit below the anisotropy baseline (gap B - S > 0)."""

import pytest

from harness.claims.c04_below_anisotropy import C4, anisotropy_baseline


@pytest.mark.parametrize("method", C4.axis_values)
def test_c04_gap_above_zero(model, method, verify):
    verify(C4, method)


def test_c04_anisotropy_baseline(model, measure):
    """B itself at every block: the mean pairwise cosine of 20 neutral sentences' raw states."""
    measure(C4, anisotropy_baseline)
