"""C8: steering regime by PPL ratio and degeneration (paper 5.3, Table 5)."""

import pytest

from harness.claims.c08_regime import C8


@pytest.mark.parametrize("prompting", C8.axis_values)
def test_c08_regime(model, prompting, verify):
    verify(C8, prompting)
