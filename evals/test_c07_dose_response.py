"""C7: dose-response is monotone with a flip point (paper 5.2 Figure 3, 5.4)."""

import pytest

from harness.claims.c07_dose_response import C7


@pytest.mark.parametrize("prompting", C7.axis_values)
def test_c07_dose_response(model, prompting, verify):
    verify(C7, prompting)
