"""C5: steering moves the target emotion in every model (paper 5.1, Table 4)."""

import pytest

from harness.claims.c05_steering_moves_target import C5


@pytest.mark.parametrize("prompting", C5.axis_values)
def test_c05_steering_moves_target(model, prompting, verify):
    verify(C5, prompting)
