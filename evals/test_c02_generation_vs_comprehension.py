"""C2 (paper 4.2): generation-based vectors separate better than comprehension-based ones."""

import pytest

from harness.claims.c02_generation_vs_comprehension import C2


@pytest.mark.parametrize("method", C2.axis_values)
def test_c02_generation_beats_comprehension(model, method, verify):
    verify(C2, method)
