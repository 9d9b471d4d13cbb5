"""C12 (a control the paper lacks): separation is emotion-specific, not anisotropy alone.

S must fall below the 5th percentile of a label-shuffled null, and vectors must label
held-out passages above 20-way chance.
"""

import pytest

from harness.claims.c12_emotion_specific import C12


@pytest.mark.parametrize("method", C12.axis_values)
def test_c12_beyond_shuffled_null_and_chance(model, method, verify):
    verify(C12, method)
