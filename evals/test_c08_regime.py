"""C8: steering regime by PPL ratio and degeneration (paper 5.3, Table 5)."""

import pytest

from harness.claims.steering import regime
from harness.experiments.steering_grid import PROMPTINGS
from harness.paper import reference


@pytest.mark.parametrize("prompting", PROMPTINGS)
def test_c08_regime(model, prompting, steering, record_steering, expect_claim):
    run = steering(prompting, "C8")
    paper = reference("C8", model.key, family=model.spec.family)
    check = regime(run, paper[0])
    record_steering("C8", "regime", check, run, paper)
    expect_claim("C8", prompting, check)
