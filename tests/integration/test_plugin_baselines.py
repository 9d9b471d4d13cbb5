"""Regression baselines in a real pytest run: a drift beyond tolerance fails the recording eval;
--update-baselines rewrites the file and restores green."""

from __future__ import annotations

import matplotlib.pyplot  # noqa: F401  (in-process pytester runs must not re-import C extensions)
import yaml

EVAL = '''
def test_c3(record_claim):
    record_claim("C3", "m1", "min_cos", {value}, verdict="holds", details={{"method": "comprehension",
                 "profile": "paper"}})
    record_claim("C8", "m1", "regime", "{regime}", verdict="holds", details={{"method": "raw", "profile": "paper"}})
'''


def run(evals_folder, value, regime="surgical", *args):
    evals_folder.makepyfile(test_eval=EVAL.format(value=value, regime=regime))
    return evals_folder.runpytest("--baselines", str(evals_folder.path / "baselines"), *args)


def test_drift_fails_and_update_restores_green(evals_folder):
    base = evals_folder.path / "baselines" / "m1.yaml"
    run(evals_folder, 0.30, "surgical", "--update-baselines").assert_outcomes(passed=1)
    doc = yaml.safe_load(base.read_text())
    assert doc["profile"] == "paper"
    assert doc["values"]["C3|comprehension|min_cos"] == {"value": 0.3, "tolerance": 0.02}
    assert doc["values"]["C8|raw|regime"] == {"value": "surgical"}

    run(evals_folder, 0.31).assert_outcomes(passed=1)  # within tolerance
    result = run(evals_folder, 0.36)  # 0.06 away: a regression
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*regression against the reviewed baseline: C3|comprehension|min_cos: 0.36 "
                                 "drifted from the baseline 0.3*--update-baselines*"])
    run(evals_folder, 0.30, "explosive").assert_outcomes(failed=1)  # a label must match exactly

    run(evals_folder, 0.36, "surgical", "--update-baselines").assert_outcomes(passed=1)
    run(evals_folder, 0.36).assert_outcomes(passed=1)
    assert yaml.safe_load(base.read_text())["values"]["C3|comprehension|min_cos"]["value"] == 0.36


def test_editing_a_baseline_beyond_its_tolerance_fails_the_eval(evals_folder):
    base = evals_folder.path / "baselines" / "m1.yaml"
    run(evals_folder, 0.30, "surgical", "--update-baselines").assert_outcomes(passed=1)
    doc = yaml.safe_load(base.read_text())
    doc["values"]["C3|comprehension|min_cos"]["value"] = 0.25
    base.write_text(yaml.safe_dump(doc))
    run(evals_folder, 0.30).assert_outcomes(failed=1)
    doc["values"]["C3|comprehension|min_cos"]["tolerance"] = 0.06  # a reviewer may widen it
    base.write_text(yaml.safe_dump(doc))
    run(evals_folder, 0.30).assert_outcomes(passed=1)
