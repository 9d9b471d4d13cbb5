from __future__ import annotations

import json

import pytest

from harness.claims.record import ClaimRecord
from harness.errors import HarnessError
from harness.report.results import read_results, write_results
from harness.report.summary import fmt, render_summary


def rec(**kw) -> ClaimRecord:
    base = dict(claim="C4", model="m", metric="anisotropy_baseline", value=[0.5, 0.25],
                verdict="not applicable", details={"baseline": "raw"})
    return ClaimRecord(**{**base, **kw})


def test_results_round_trip(tmp_path):
    path = tmp_path / "results.json"
    records = [rec(), rec(claim="C1", value=0.5, verdict="holds", paper_value=0.357)]
    write_results(path, {"date": "today"}, records)
    run, back = read_results(path)
    assert run == {"date": "today"}
    assert back == sorted(records, key=lambda r: int(r.claim[1:]))


@pytest.mark.parametrize(("kw", "message"), [
    ({"verdict": "maybe"}, "verdict 'maybe' is not one of"),
    ({"claim": "4"}, "claim id '4' must look like C4"),
    ({"value": object()}, "is not JSON-serialisable"),
])
def test_invalid_records_are_refused(kw, message):
    with pytest.raises(HarnessError, match=message):
        rec(**kw)


def test_results_reader_explains_what_is_wrong(tmp_path):
    path = tmp_path / "results.json"
    with pytest.raises(HarnessError, match="no such results file"):
        read_results(path)
    path.write_text("{")
    with pytest.raises(HarnessError, match="not valid JSON"):
        read_results(path)
    path.write_text(json.dumps({"schema": 0, "run": {}, "records": []}))
    with pytest.raises(HarnessError, match="results schema 0, this harness reads 1"):
        read_results(path)
    path.write_text(json.dumps({"schema": 1, "run": {}, "records": [{"claim": "C1"}]}))
    with pytest.raises(HarnessError, match="missing field"):
        read_results(path)


def test_fmt_summarises_long_lists_and_marks_missing_values():
    assert fmt(None) == "—"
    assert fmt(float("nan")) == "n/a"
    assert fmt([0.5, 0.25]) == "[0.5, 0.25]"
    assert fmt([0.9, 0.8, 0.1, 0.4, 0.5, 0.6, 0.7]) == "7 values, min 0.1 @2, max 0.9 @0"


def test_summary_lists_claims_and_models():
    text = render_summary({"profile": "quick", "models": {"m": {"family": "llama", "fingerprint": "ab" * 32}}},
                          [rec()])
    assert "## Verdicts" in text and "## Every record" in text and "anisotropy_baseline" in text
    assert "abababababab" in text


def test_excerpts_are_deduplicated_and_floats_canonical(tmp_path):
    from harness.claims.record import canonical
    from harness.report.results import read_excerpts

    e = {"model": "m", "prompting": "raw", "scenario": "s", "direction": "emotion", "strength": 0.02,
         "prompt_index": 0, "text": "x"}
    write_results(tmp_path / "r.json", {"date": "d"}, [], [e, dict(e), {**e, "prompt_index": 1}])
    assert [x["prompt_index"] for x in read_excerpts(tmp_path / "r.json")] == [0, 1]
    # 1 vs 2 torch threads change the last bits only; 8 significant digits hide them.
    assert canonical(0.6092113066082775) == canonical(0.6092113066082776) == 0.60921131
    assert canonical({"a": [1.0 / 3, float("nan"), 2]})["a"][0] == 0.33333333


def test_pooled_records_name_the_models_they_pool():
    from harness.claims.record import is_pooled, pooled_key

    assert pooled_key(["b", "a"]) == "pooled(a,b)" and is_pooled("pooled(a,b)") and not is_pooled("a")
