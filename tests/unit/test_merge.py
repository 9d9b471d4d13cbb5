"""Merging runs made apart: refused in one line unless protocol, profile, stimuli and scenarios
agree and no model ran twice; the command line writes the combined report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.claims.record import ClaimRecord
from harness.cli import main
from harness.errors import HarnessError
from harness.report.merge import merge_runs
from harness.report.results import write_results


def write_run(folder: Path, model: str, profile: str = "paper", stimuli: str = "s1", protocol: int = 1) -> Path:
    rec = ClaimRecord(claim="C3", model=model, metric="happy-sad cosine", value=-0.3, verdict="holds",
                      paper_value=-0.32, details={"method": "comprehension", "profile": profile, "stimuli": stimuli})
    write_results(folder / "results.json", {"protocol_version": protocol, "profile": profile,
                                            "models": {model: {}, "scorer-model": {}}}, [rec])
    return folder


@pytest.mark.parametrize(("change", "words"), [({"profile": "quick"}, "profile quick vs paper"),
                                               ({"stimuli": "s2"}, "stimuli s2 vs s1"),
                                               ({"protocol": 2}, "protocol version 2 vs 1")])
def test_runs_that_measured_different_things_are_refused(tmp_path, change, words):
    a = write_run(tmp_path / "a", "m1")
    b = write_run(tmp_path / "b", "m2", **change)
    with pytest.raises(HarnessError, match=f"cannot merge .*b/results.json with .*a/results.json: {words}"):
        merge_runs([a, b])


def test_a_model_in_two_runs_is_refused_but_a_shared_scorer_is_not(tmp_path):
    a, b = write_run(tmp_path / "a", "m1"), write_run(tmp_path / "b", "m2")  # both loaded scorer-model
    run, records, _ = merge_runs([a, b])
    assert [r.model for r in records] == ["m1", "m2"]
    assert [m["models"] for m in run["merged_from"]] == [["m1"], ["m2"]]
    with pytest.raises(HarnessError, match="both ran m1"):
        merge_runs([a, write_run(tmp_path / "c", "m1")])


def test_report_command_merges_into_out_and_refuses_in_one_line(tmp_path, capsys):
    a, b = write_run(tmp_path / "a", "m1"), write_run(tmp_path / "b", "m2")
    assert main(["report", str(a), str(b)]) == 2
    assert capsys.readouterr().err.strip() == "error: merging runs needs --out DIR for the combined report"
    assert main(["report", str(a), str(b), "--out", str(tmp_path / "both")]) == 0
    assert "merged 2 runs" in capsys.readouterr().out
    assert "Merged from 2 runs: m1 (" in (tmp_path / "both" / "summary.md").read_text()
    assert (tmp_path / "both" / "results.json").is_file()
    c = write_run(tmp_path / "c", "m3", profile="quick")
    assert main(["report", str(a), str(c), "--out", str(tmp_path / "bad")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "profile quick vs paper" in err and not (tmp_path / "bad").exists()


def test_runs_in_different_precisions_merge_with_each_models_dtype(tmp_path):
    a, b = write_run(tmp_path / "a", "m1"), write_run(tmp_path / "b", "m2")
    for folder, dtype in ((a, "float32"), (b, "bfloat16")):
        f = folder / "results.json"
        doc = json.loads(f.read_text())
        doc["run"]["dtype"] = dtype
        f.write_text(json.dumps(doc))
    run, _, _ = merge_runs([a, b])
    assert run["dtype"] == "mixed" and run["models"]["m1"]["dtype"] == "float32"
    assert run["models"]["m2"]["dtype"] == "bfloat16"
    assert [m["dtype"] for m in run["merged_from"]] == ["float32", "bfloat16"]


def test_replace_takes_a_rerun_model_from_the_later_run_and_keeps_the_merge_history(tmp_path):
    a, b = write_run(tmp_path / "a", "m1"), write_run(tmp_path / "b", "m2")
    both = tmp_path / "both"
    assert main(["report", str(a), str(b), "--out", str(both)]) == 0
    rerun = tmp_path / "rerun"
    write_run(rerun, "m1")
    doc = json.loads((rerun / "results.json").read_text())
    doc["records"][0]["value"], doc["run"]["date"] = -0.4, "2026-12-06"
    (rerun / "results.json").write_text(json.dumps(doc))
    with pytest.raises(HarnessError, match=r"both ran m1.*--replace"):
        merge_runs([both, rerun])
    run, records, _ = merge_runs([both, rerun], replace=True)
    assert [(r.model, r.value) for r in records] == [("m2", -0.3), ("m1", -0.4)]
    # The earlier merge's own sources stay listed, each with the models it still gives.
    assert [(m["results"].split("/")[-2], m["models"]) for m in run["merged_from"]] == [("b", ["m2"]),
                                                                                         ("rerun", ["m1"])]
    assert run["merged_from"][-1]["date"] == "2026-12-06"
