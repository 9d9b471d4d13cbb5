"""C5: steering moves the target emotion in every model (paper 5.1, Table 4)."""

import pytest

from harness.claims.steering import steering_moves
from harness.experiments.steering_grid import PROMPTINGS
from harness.paper import reference


@pytest.mark.parametrize("prompting", PROMPTINGS)
def test_c05_steering_moves_target(model, prompting, steering, record_steering, expect_claim):
    run = steering(prompting, "C5")
    check = steering_moves(run)
    record_steering("C5", "share of prompts with readout delta > 0", check, run, reference("C5", model.key))
    expect_claim("C5", prompting, check)
