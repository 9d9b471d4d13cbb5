"""The committed reference reports obey the verdict rule in both directions: every "does not
hold" names a statistic whose interval lies outside the claim's region, and every "holds" names
a control that fails the same test (checked from results.json alone, as a reader could).
``reports/reference`` is the paper profile; ``reports/reference-full``, where present, the full
profile (the readable grid), one model at a time."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.claims.ruling import excludes

REPORTS = Path(__file__).resolve().parents[2] / "reports"
RESULTS = REPORTS / "reference" / "results.json"
FULL = REPORTS / "reference-full" / "results.json"
RUNS = [f for f in (RESULTS, FULL) if f.exists()]
BY_RUN = {f: json.loads(f.read_text()) for f in RUNS}
RECORDS = [r for f in RUNS for r in BY_RUN[f]["records"]]


def _id(r: dict) -> str:
    return f"{r['details'].get('profile')}|{r['claim']}|{r['model']}|{r['details'].get('method')}|{r['metric']}"


@pytest.mark.parametrize("rec", [r for r in RECORDS if r["verdict"] == "does not hold"], ids=_id)
def test_every_does_not_hold_is_ruled_out_by_an_interval(rec):
    ruled = rec["details"].get("ruled_out")
    assert ruled, "no interval rules the claim out"
    assert excludes(ruled["interval"], ruled["region"]), ruled


def _is_control_reading(r: dict) -> bool:
    """A control's own reading (the random-weight copy under the claim's test): its "holds"
    is what makes the model's verdict uninformative, not a claim about the model."""
    return r["metric"].endswith("(random-weight copy)")


@pytest.mark.parametrize("rec", [r for r in RECORDS if r["verdict"] == "holds" and not _is_control_reading(r)],
                         ids=_id)
def test_every_holds_names_a_control_that_fails_the_same_test(rec):
    assert any(c.get("passes") is False for c in rec["details"].get("controls") or []), rec["details"]["reason"]


def test_an_absence_of_han_holds_only_beside_a_positive_control():
    for r in RECORDS:
        if r["claim"] == "C10" and r["verdict"] == "holds" and not r["details"].get("expects_leak"):
            assert r["details"]["control_han"] >= 20, r["model"]


def test_no_steering_record_counts_a_collapsed_text_as_not_moved():
    for r in RECORDS:
        d = r["details"]
        if r["claim"] == "C5" and r["verdict"] != "not applicable":
            assert d["n"] + d["degenerate_steered"] == d["n_readable"], _id(r)
        if r["claim"] == "C6" and r["verdict"] != "not applicable" and "n_readable" in d:
            assert d["n"] + d["collapsed"] == d["n_readable"], _id(r)
        if r["claim"] in ("C6", "C7") and r["verdict"] == "not applicable" and "n_readable" in d:
            assert d["n_readable"] == 0, f"{_id(r)}: collapsed texts make it inconclusive, not inapplicable"


@pytest.mark.parametrize("results", RUNS, ids=lambda f: f.parent.name)
def test_the_reference_was_steered_on_its_profiles_scenarios(results):
    """Adding prompts or scenarios to the file leaves the reference's profile steering what it steered."""
    from harness.stimuli.scenarios import load_scenarios, scenarios_hash

    profile = BY_RUN[results]["run"]["profile"]
    recorded = {r["details"]["scenarios"] for r in BY_RUN[results]["records"] if "scenarios" in r["details"]}
    assert recorded == {scenarios_hash(load_scenarios(profile=profile))[:12]}


@pytest.mark.parametrize("results", RUNS, ids=lambda f: f.parent.name)
def test_the_reference_summary_shows_each_models_readable_range(results):
    from harness.report.readable import READABLE_TITLE

    summary = (results.parent / "summary.md").read_text()
    assert f"### {READABLE_TITLE}" in summary
    models = {r["model"] for r in BY_RUN[results]["records"] if r["claim"] == "C5" and r["verdict"] != "not applicable"}
    section = summary.split(f"### {READABLE_TITLE}", 1)[1].split("\n## ", 1)[0]
    assert all(f"| {m} " in section for m in models)


@pytest.mark.skipif(not FULL.exists(), reason="no full-profile reference committed")
def test_the_full_reference_judges_c5_to_c7_at_the_readable_strength_against_same_strength_controls():
    from harness.claims.readable_strength import LABEL

    records = BY_RUN[FULL]["records"]
    # Pooled records pool the per-model ones below, which name their own grid, scale and vector.
    steered = [r for r in records if r["claim"] in ("C5", "C6", "C7") and r["verdict"] != "not applicable"
               and not r["model"].startswith("pooled(")]
    for r in steered:  # every steering record names its grid, scale mode and vector
        assert r["details"]["grid"] == "readable" and r["details"]["scale"] == "running" and r["details"]["vector"]
    readable = [r for r in steered if r["metric"].endswith(LABEL)]
    pairs = {(r["claim"], r["model"], r["details"]["method"]) for r in steered}
    assert {(r["claim"], r["model"], r["details"]["method"]) for r in readable} == pairs
    for r in readable:
        d = r["details"]
        if r["claim"] == "C5" and d["readable_strength"] is not None:
            assert d["strength"] == d["readable_strength"] <= d["readable_range_top"]
            assert {c["name"] for c in d["paired_controls"]} == {"random direction", "opposite emotion"}
        if r["claim"] == "C7" and r["verdict"] != "inconclusive":
            assert len(d["judged"]) >= 3 and max(d["judged"]) <= d["readable_range_top"]
