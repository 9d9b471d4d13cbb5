"""C7: dose-response is monotone with a flip point (paper 5.2 Figure 3, 5.4)."""

import pytest

from harness.claims.steering import dose_response
from harness.experiments.steering_grid import PROMPTINGS
from harness.paper import reference


@pytest.mark.parametrize("prompting", PROMPTINGS)
def test_c07_dose_response(model, prompting, steering, record_steering, expect_claim):
    run = steering(prompting, "C7")
    check = dose_response(run)
    record_steering("C7", "Spearman(strength, target score)", check, run, reference("C7", model.key))
    expect_claim("C7", prompting, check)
