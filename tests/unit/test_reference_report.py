"""The committed reference report obeys the verdict rule in both directions: every "does not
hold" names a statistic whose interval lies outside the claim's region, and every "holds" names
a control that fails the same test (checked from results.json alone, as a reader could)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.claims.ruling import excludes

RESULTS = Path(__file__).resolve().parents[2] / "reports" / "reference" / "results.json"
RECORDS = json.loads(RESULTS.read_text())["records"]


def _id(r: dict) -> str:
    return f"{r['claim']}|{r['model']}|{r['details'].get('method')}|{r['metric']}"


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


def test_the_reference_was_steered_on_its_profiles_scenarios():
    """Adding prompts or scenarios to the file leaves the reference's profile steering what it steered."""
    from harness.stimuli.scenarios import load_scenarios, scenarios_hash

    profile = json.loads(RESULTS.read_text())["run"]["profile"]
    recorded = {r["details"]["scenarios"] for r in RECORDS if "scenarios" in r["details"]}
    assert recorded == {scenarios_hash(load_scenarios(profile=profile))[:12]}


def test_the_reference_summary_shows_each_models_readable_range():
    from harness.report.readable import READABLE_TITLE

    summary = (RESULTS.parent / "summary.md").read_text()
    assert f"### {READABLE_TITLE}" in summary
    models = {r["model"] for r in RECORDS if r["claim"] == "C5" and r["verdict"] != "not applicable"}
    section = summary.split(f"### {READABLE_TITLE}", 1)[1].split("\n## ", 1)[0]
    assert all(f"| {m} " in section for m in models)
