"""C9: 0.005 is a safe starting strength (paper 5.4)."""

import pytest

from harness.claims.c09_safe_steering_strength import C9


@pytest.mark.parametrize("prompting", C9.axis_values)
def test_c09_safe_steering_strength(model, prompting, verify):
    verify(C9, prompting)
