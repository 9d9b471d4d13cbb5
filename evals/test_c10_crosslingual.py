"""C10: cross-lingual leakage under strong steering in Qwen, not elsewhere (paper 6.1)."""

import pytest

from harness.claims.steering import cross_lingual
from harness.experiments.steering_grid import PROMPTINGS
from harness.paper import expects_cjk_leak, reference


@pytest.mark.parametrize("prompting", PROMPTINGS)
def test_c10_crosslingual_leakage(model, prompting, steering, record_steering, expect_claim):
    run = steering(prompting, "C10")
    check = cross_lingual(run, expects_cjk_leak(model.spec.family))
    record_steering("C10", "CJK share of strongly steered text", check, run,
                    reference("C10", model.key, family=model.spec.family))
    expect_claim("C10", prompting, check)
