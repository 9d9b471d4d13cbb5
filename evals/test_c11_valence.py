"""C11 (paper 4.5, 7.1): valence organisation of the emotion space is weak in small models."""

import pytest

from harness.claims.c11_valence import C11


@pytest.mark.parametrize("method", C11.axis_values)
def test_c11_valence_is_weak(model, method, verify):
    verify(C11, method)
