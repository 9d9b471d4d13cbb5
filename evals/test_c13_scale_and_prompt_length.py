"""C13 (not in the paper): the steering scale's attention-sink term makes the collapse point
move with prompt length; a sink-robust scale moves it less."""

import pytest

from harness.claims.c13_scale_and_prompt_length import C13


@pytest.mark.parametrize("prompting", C13.axis_values)
def test_c13_scale_and_prompt_length(model, prompting, verify):
    verify(C13, prompting)
