"""Comparing two runs: records matched by model and claim|method|metric, changed verdicts and
values beyond the baselines' tolerance listed, the command's exit status 1 on a changed verdict."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.claims.record import ClaimRecord
from harness.cli import main
from harness.errors import HarnessError
from harness.report.compare import compare_runs
from harness.report.results import write_results


def rec(model: str, metric: str, value, verdict: str, method: str = "comprehension") -> ClaimRecord:
    return ClaimRecord(claim="C3", model=model, metric=metric, value=value, verdict=verdict,
                       details={"method": method, "profile": "paper", "stimuli": "s1"})


def write_run(folder: Path, dtype: str, records: list[ClaimRecord], profile: str = "paper") -> Path:
    write_results(folder / "results.json", {"protocol_version": 1, "profile": profile, "dtype": dtype,
                                            "models": {}}, records)
    return folder


def test_matches_records_and_reports_changes(tmp_path):
    a = write_run(tmp_path / "a", "float32", [rec("m", "x", 0.50, "holds"), rec("m", "y", 0.30, "holds"),
                                              rec("m", "z", [1, 2], "inconclusive"), rec("m", "gone", 1.0, "holds")])
    b = write_run(tmp_path / "b", "bfloat16", [rec("m", "x", 0.51, "holds"), rec("m", "y", 0.40, "does not hold"),
                                               rec("m", "z", [1, 3], "inconclusive"), rec("n", "x", 0.5, "holds")])
    c = compare_runs(a, b)
    assert [p.key for p in c.pairs] == ["C3|comprehension|x", "C3|comprehension|y", "C3|comprehension|z"]
    assert [p.key for p in c.verdict_changes] == ["C3|comprehension|y"]
    # 0.01 is within max(0.02, 5%); 0.10 is not; lists must be equal.
    assert [p.key for p in c.value_drifts] == ["C3|comprehension|y", "C3|comprehension|z"]
    assert c.only_a == ("m C3|comprehension|gone",) and c.only_b == ("n C3|comprehension|x",)
    with pytest.raises(HarnessError, match="share no record"):
        compare_runs(a, b, models=["n"])


def test_runs_of_different_profiles_are_refused(tmp_path):
    a = write_run(tmp_path / "a", "float32", [rec("m", "x", 0.5, "holds")])
    b = write_run(tmp_path / "b", "float32", [rec("m", "x", 0.5, "holds")], profile="quick")
    with pytest.raises(HarnessError, match=r"cannot compare .*b/results.json with .*a/results.json: profile"):
        compare_runs(a, b)


def test_command_exit_status_and_account(tmp_path, capsys):
    a = write_run(tmp_path / "a", "float32", [rec("m", "x", 0.5, "holds")])
    same = write_run(tmp_path / "s", "bfloat16", [rec("m", "x", 0.505, "holds")])
    other = write_run(tmp_path / "o", "bfloat16", [rec("m", "x", 0.9, "does not hold")])
    assert main(["compare", str(a), str(same), "--names", "float32", "bfloat16"]) == 0
    out = capsys.readouterr().out
    assert "1 records matched; **1 same verdict, 0 changed**" in out and "dtype `bfloat16`" in out
    assert main(["compare", str(a), str(other), "--out", str(tmp_path / "cmp.md")]) == 1
    text = (tmp_path / "cmp.md").read_text()
    assert "## Verdicts that changed" in text and "| m " in text and "does not hold" in text
