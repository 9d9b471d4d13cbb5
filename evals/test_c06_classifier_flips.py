"""C6: the external classifier confirms >= 92% of flips (paper 5.2: 37/40), per model and pooled."""

import pytest

from harness.claims.c06_classifier_flips import C6, pooled_flips


@pytest.mark.parametrize("prompting", C6.axis_values)
def test_c06_classifier_flips(model, prompting, verify):
    verify(C6, prompting)


@pytest.mark.parametrize("prompting", C6.axis_values)
def test_c06_classifier_flips_pooled(prompting, verify_pooled):
    verify_pooled(C6, prompting, pooled_flips)
