"""C10: cross-lingual leakage under strong steering in Qwen, not elsewhere (paper 6.1)."""

import pytest

from harness.claims.c10_crosslingual import C10


@pytest.mark.parametrize("prompting", C10.axis_values)
def test_c10_crosslingual(model, prompting, verify):
    verify(C10, prompting)
