"""C6: the external classifier confirms >= 92% of flips (paper 5.2: 37/40), per model and pooled."""

import pytest

from harness import thresholds as th
from harness.claims.geometry import Check
from harness.claims.steering import classifier_flips, flip_rate
from harness.experiments.steering_grid import PROMPTINGS
from harness.paper import reference
from harness.report.results import pooled_key


@pytest.mark.parametrize("prompting", PROMPTINGS)
def test_c06_classifier_flip_rate(model, prompting, steering, record_steering, expect_claim):
    run = steering(prompting, "C6")
    check = classifier_flips(run)
    record_steering("C6", "classifier flip rate", check, run, reference("C6", model.key))
    expect_claim("C6", prompting, check)


@pytest.mark.parametrize("prompting", PROMPTINGS)
def test_c06_classifier_flip_rate_pooled(prompting, pooled_runs, record_claim, profile, expected_outcome):
    runs = pooled_runs(prompting)
    if len(runs) < 2:
        pytest.skip(f"pooling needs at least two models with {prompting} prompts; the per-model check covers one")
    counts = {r.model: flip_rate(r, th.SCENARIO_STRENGTH) for r in runs}
    rnd = {r.model: flip_rate(r, th.SCENARIO_STRENGTH, "random") for r in runs}
    k, n = sum(c[1] for c in counts.values()), sum(c[2] for c in counts.values())
    rk, rn = sum(c[1] for c in rnd.values()), sum(c[2] for c in rnd.values())
    rate = k / n
    check = Check(rate >= th.FLIP_RATE_MIN, rate,
                  f"{k}/{n} flips pooled over {', '.join(counts)} at strength {th.SCENARIO_STRENGTH} "
                  f"(needs >= {th.FLIP_RATE_MIN:.0%}); random direction {rk}/{rn}")
    # The pooled value depends on which models are pooled, so the set is part of its name
    # (and of its baseline and expected outcome).
    pooled = pooled_key(sorted(counts))
    value, source = reference("C6", pooled)
    record_claim("C6", pooled, "classifier flip rate", rate, verdict=check.verdict, paper_value=value,
                 details={"method": prompting, "profile": profile.name, "reason": check.reason,
                          "paper_source": source, "flips": k, "n": n, "random_flips": rk, "random_n": rn,
                          "random_rate": rk / rn if rn else None, "models": sorted(counts),
                          "classifier": runs[0].classifier, "strength": th.SCENARIO_STRENGTH})
    expected_outcome("C6", pooled, prompting, check)
