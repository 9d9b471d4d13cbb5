"""The plugin: it alone gives an evals folder its options and fixtures; records -> results.json +
summary.md + terminal table; xdist shards merge; a claim that does not hold fails in one line.

pytester folders have no conftest of ours: everything comes from the installed entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

RECORDING_TESTS = '''
import pytest

@pytest.mark.parametrize("model", ["m1", "m2"])
def test_baseline(record_claim, model):
    record_claim("C4", model, "anisotropy_baseline", [0.9, 0.8, 0.7], verdict="not applicable",
                 details={"baseline": "raw last-token", "layers": [0, 1, 2]})

def test_opposites(record_claim):
    record_claim("C3", "m1", "min_opposite_pair_cosine", 0.25, verdict="holds", paper_value=0.322,
                 details={"method": "comprehension"})
'''


def read_results(out: Path) -> dict:
    return json.loads((out / "results.json").read_text())


def test_records_become_results_summary_and_terminal_table(evals_folder):
    evals_folder.makepyfile(test_rec=RECORDING_TESTS)
    out = evals_folder.path / "rep"
    result = evals_folder.runpytest("--report-dir", str(out))
    result.assert_outcomes(passed=3)
    # The terminal ends with the verdict matrix (the long record table is in summary.md).
    result.stdout.fnmatch_lines(["*emotion claims: verdict matrix*", "claim*m1", "C3 no negative opposite-pair*"
                                 "comp: holds (0.25)"])
    doc = read_results(out)
    assert set(doc["run"]) >= {"date", "harness_version", "models", "profile", "device"}
    recs = doc["records"]
    assert [r["claim"] for r in recs] == ["C3", "C4", "C4"]  # sorted by claim number, then model
    assert recs[1] == {"claim": "C4", "model": "m1", "metric": "anisotropy_baseline",
                       "value": [0.9, 0.8, 0.7], "verdict": "not applicable", "paper_value": None,
                       "details": {"baseline": "raw last-token", "layers": [0, 1, 2]}}
    summary = (out / "summary.md").read_text()
    assert "| C3      | m1" in summary and "min_opposite_pair_cosine" in summary and "0.322" in summary


def test_a_run_without_records_leaves_the_last_report_alone(evals_folder):
    out = evals_folder.path / "rep"
    out.mkdir()
    (out / "summary.md").write_text("previous")
    evals_folder.makepyfile(test_plain="def test_ok():\n    assert True\n")
    evals_folder.runpytest("--report-dir", str(out)).assert_outcomes(passed=1)
    assert (out / "summary.md").read_text() == "previous"


def test_bad_verdict_fails_the_recording_test(evals_folder):
    evals_folder.makepyfile(test_bad='''
def test_bad(record_claim):
    record_claim("C4", "m", "x", 1.0, verdict="sort of")
''')
    result = evals_folder.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*verdict 'sort of' is not one of holds, does not hold, inconclusive, uninformative, not applicable*"])


def test_xdist_workers_shards_merge_into_one_report(evals_folder):
    evals_folder.makepyfile(test_rec=RECORDING_TESTS)
    serial, parallel = evals_folder.path / "serial", evals_folder.path / "parallel"
    evals_folder.runpytest_subprocess("--report-dir", str(serial)).assert_outcomes(passed=3)
    evals_folder.runpytest_subprocess("-n", "2", "--report-dir", str(parallel)).assert_outcomes(passed=3)
    assert read_results(serial)["records"] == read_results(parallel)["records"]


def test_absent_weights_skip_with_a_reason_that_says_how_to_get_them(evals_folder, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(evals_folder.path / "hf"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    evals_folder.makepyfile(test_uses_model="def test_it(model):\n    assert model\n")
    result = evals_folder.runpytest("--models", "gpt2", "-rs", "-v")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*test_it?gpt2? SKIPPED*", "*gpt2: weights for openai-community/gpt2 are not in the local "
                                 "Hugging Face cache; download them*--allow-download*"])


@pytest.mark.parametrize(("args", "message"), [
    (["--protocol-profile", "slow"], "unknown protocol profile 'slow'; use one of paper, full, quick"),
    (["--models", "gpt5"], "unknown model 'gpt5'"),
    (["--dtype", "int3"], "unknown dtype 'int3'"),
])
def test_bad_options_are_one_line_usage_errors(evals_folder, args, message):
    evals_folder.makepyfile(test_x="def test_x():\n    pass\n")
    result = evals_folder.runpytest(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{message}*"])


def test_an_evals_folder_anywhere_gets_every_option_and_fixture_from_the_plugin(evals_folder):
    result = evals_folder.runpytest("--help")
    for option in ("--models", "--torch-device", "--protocol-profile", "--classifier", "--ppl-scorer", "--report-dir",
                   "--baselines", "--update-baselines", "--expected"):
        result.stdout.fnmatch_lines([f"*{option}*"])
    result = evals_folder.runpytest("--fixtures")
    for fixture in ("model ", "model_loader", "workbench", "verify ", "verify_pooled", "measure", "record_claim"):
        result.stdout.fnmatch_lines([f"{fixture}*"])


FAKE_CLAIM = """
import pytest
from dataclasses import dataclass
from harness.claims.base import Check, Claim, Finding, PaperRef
from harness.claims.ruling import above
from harness.testing import tiny_handle

@dataclass(frozen=True)
class Gap:
    gap: float

def check(evidence, method):
    ruled = above("gap", -0.25, (-0.3, -0.2), 0.0)  # a 'does not hold' names the interval that rules it out
    return [Finding("gap", Check(False, -0.25, "gap -0.250 at block 2 (needs > 0)", Gap(-0.25), ruled_out=ruled),
                    {"method": method, "profile": "paper"}, PaperRef(0.4, "made up"))]

C99 = Claim(id="C99", section="-", statement="a gap is positive", axis="extraction method",
            axis_values=("comprehension",), metric="gap", details=Gap, check=check, applies=lambda h, m: None,
            paper=lambda m, f, a: PaperRef(0.4, "made up"))

@pytest.fixture(scope="session")
def model():
    return tiny_handle("llama")

def test_c99(model, verify):
    verify(C99, "comprehension")
"""


def test_a_claim_that_does_not_hold_fails_in_one_line_naming_the_numbers(evals_folder):
    evals_folder.makepyfile(test_fake=FAKE_CLAIM)
    out = evals_folder.path / "rep"
    result = evals_folder.runpytest("--report-dir", str(out), "--models", "smollm2-135m-instruct")
    result.assert_outcomes(failed=1)
    line = next(ln for ln in result.stdout.lines if ln.startswith("C99 does not hold"))
    assert line == ("C99 does not hold on tiny-llama (comprehension): gap -0.250 at block 2 (needs > 0) "
                    f"[records in {out / 'results.json'}]")
    assert "def run(" not in result.stdout.str() and "harness/fixtures.py" not in result.stdout.str()
    assert read_results(out)["records"][0]["details"] == {"method": "comprehension", "profile": "paper",
                                                          "reason": "gap -0.250 at block 2 (needs > 0)",
                                                          "paper_source": "made up", "gap": -0.25,
                                                          "ruled_out": {"name": "gap", "value": -0.25,
                                                                        "interval": [-0.3, -0.2],
                                                                        "region": {"gt": 0.0}, "how": "interval"}}


def test_an_expected_outcome_makes_it_a_strict_xfail(evals_folder):
    evals_folder.makepyfile(test_fake=FAKE_CLAIM)
    evals_folder.path.joinpath("expected.yaml").write_text(
        "C99:\n  tiny-llama:\n    comprehension: {expect: does not hold, profile: paper, measured: gap -0.25}\n")
    result = evals_folder.runpytest("--expected", "expected.yaml", "--models", "smollm2-135m-instruct", "-rx")
    result.assert_outcomes(xfailed=1)
    result.stdout.fnmatch_lines(["*C99 known to be 'does not hold' on tiny-llama (comprehension, reviewed in the "
                                 "paper profile: gap -0.25); now: gap -0.250*"])


def test_a_verdict_other_than_the_reviewed_one_fails_until_the_entry_is_reviewed(evals_folder):
    evals_folder.makepyfile(test_fake=FAKE_CLAIM)
    evals_folder.path.joinpath("expected.yaml").write_text(
        "C99:\n  tiny-llama:\n    comprehension: {expect: uninformative, profile: paper, measured: gap -0.25}\n")
    result = evals_folder.runpytest("--expected", "expected.yaml", "--models", "smollm2-135m-instruct")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*C99 on tiny-llama (comprehension) is now 'does not hold', but "
                                 "expected_outcomes.yaml says 'uninformative'*"])
    evals_folder.path.joinpath("expected.yaml").write_text(
        "C99:\n  tiny-llama:\n    comprehension: {expect: sort of}\n")
    result = evals_folder.runpytest("--expected", "expected.yaml", "--models", "smollm2-135m-instruct")
    result.stdout.fnmatch_lines(["*expected.yaml: C99.tiny-llama.comprehension: expect must be one of does not "
                                 "hold, inconclusive, uninformative, not 'sort of'*"])
