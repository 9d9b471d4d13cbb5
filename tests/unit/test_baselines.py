"""Regression baselines: a drift beyond tolerance fails the recording eval; --update-baselines
rewrites the file and restores green; another profile is not compared."""

from __future__ import annotations

import matplotlib.pyplot  # noqa: F401  (in-process pytester runs must not re-import C extensions)
import pytest
import yaml

from harness.claims.record import ClaimRecord
from harness.report.baselines import check, drift

EVAL = '''
def test_c3(record_claim):
    record_claim("C3", "m1", "min_cos", {value}, verdict="holds", details={{"method": "comprehension",
                 "profile": "paper"}})
    record_claim("C8", "m1", "regime", "{regime}", verdict="holds", details={{"method": "raw", "profile": "paper"}})
'''


def run(pytester, value, regime="surgical", *args):
    pytester.makepyfile(test_eval=EVAL.format(value=value, regime=regime))
    return pytester.runpytest("--baselines", str(pytester.path / "baselines"), *args)


def test_drift_fails_and_update_restores_green(pytester):
    base = pytester.path / "baselines" / "m1.yaml"
    run(pytester, 0.30, "surgical", "--update-baselines").assert_outcomes(passed=1)
    doc = yaml.safe_load(base.read_text())
    assert doc["profile"] == "paper"
    assert doc["values"]["C3|comprehension|min_cos"] == {"value": 0.3, "tolerance": 0.02}
    assert doc["values"]["C8|raw|regime"] == {"value": "surgical"}

    run(pytester, 0.31).assert_outcomes(passed=1)  # within tolerance
    result = run(pytester, 0.36)  # 0.06 away: a regression
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*regression against the reviewed baseline: C3|comprehension|min_cos: 0.36 "
                                 "drifted from the baseline 0.3*--update-baselines*"])
    run(pytester, 0.30, "explosive").assert_outcomes(failed=1)  # a label must match exactly

    run(pytester, 0.36, "surgical", "--update-baselines").assert_outcomes(passed=1)
    run(pytester, 0.36).assert_outcomes(passed=1)
    assert yaml.safe_load(base.read_text())["values"]["C3|comprehension|min_cos"]["value"] == 0.36


def test_editing_a_baseline_beyond_its_tolerance_fails_the_eval(pytester):
    base = pytester.path / "baselines" / "m1.yaml"
    run(pytester, 0.30, "surgical", "--update-baselines").assert_outcomes(passed=1)
    doc = yaml.safe_load(base.read_text())
    doc["values"]["C3|comprehension|min_cos"]["value"] = 0.25
    base.write_text(yaml.safe_dump(doc))
    run(pytester, 0.30).assert_outcomes(failed=1)
    doc["values"]["C3|comprehension|min_cos"]["tolerance"] = 0.06  # a reviewer may widen it
    base.write_text(yaml.safe_dump(doc))
    run(pytester, 0.30).assert_outcomes(passed=1)


def test_other_profiles_and_missing_entries_are_not_compared(tmp_path):
    rec = ClaimRecord("C3", "m1", "x", 0.5, "holds", details={"method": "a", "profile": "paper"})
    assert check(tmp_path, rec, update=True) is None
    quick = ClaimRecord("C3", "m1", "x", 0.9, "holds", details={"method": "a", "profile": "quick"})
    assert check(tmp_path, quick) is None
    other = ClaimRecord("C3", "m1", "y", 0.9, "holds", details={"method": "a", "profile": "paper"})
    assert check(tmp_path, other) is None
    assert "drifted" in check(tmp_path, ClaimRecord("C3", "m1", "x", 0.6, "holds",
                                                    details={"method": "a", "profile": "paper"}))


@pytest.mark.parametrize("entry, value, ok", [
    ({"value": float("nan"), "tolerance": 0.0}, float("nan"), True),
    ({"value": 1.0, "tolerance": 0.1}, 1.05, True),
    ({"value": 1.0, "tolerance": 0.1}, 1.2, False),
    ({"value": None}, None, True),
    ({"value": "explosive"}, "surgical", False),
])
def test_drift_rules(entry, value, ok):
    assert (drift(entry, value) is None) == ok
