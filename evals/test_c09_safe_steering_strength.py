"""C9: 0.005 is a safe starting strength (paper 5.4)."""

import pytest

from harness.claims.steering import safe_strength
from harness.experiments.steering_grid import PROMPTINGS
from harness.paper import reference


@pytest.mark.parametrize("prompting", PROMPTINGS)
def test_c09_safe_steering_strength(model, prompting, steering, record_steering, expect_claim):
    run = steering(prompting, "C9")
    check = safe_strength(run)
    record_steering("C9", "PPL(0.005) / PPL(0)", check, run, reference("C9", model.key))
    expect_claim("C9", prompting, check)
