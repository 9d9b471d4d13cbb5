"""The claim registry: every claim declared once, complete, and read back through its details type."""

from __future__ import annotations

import dataclasses

import pytest

from harness.claims import CLAIMS, get_claim
from harness.claims.base import Check, Finding, PaperRef, evaluate, to_record
from harness.claims.record import ClaimRecord
from harness.errors import HarnessError
from harness.models.registry import REGISTRY
from harness.report.summary import render_tables
from harness.testing import tiny_handle


def test_thirteen_claims_each_declared_once_and_complete():
    assert sorted(c.id for c in CLAIMS) == sorted(f"C{i}" for i in range(1, 14))
    for c in CLAIMS:
        assert c.axis in ("extraction method", "prompting mode") and c.axis_values, c.id
        assert dataclasses.is_dataclass(c.details) and c.tables and c.metric, c.id
        assert c.check.__module__ in ("harness.claims.geometry", "harness.claims.steering"), c.id
        for key in ("smollm2-135m-instruct", "gemma-3-270m", "qwen2.5-coder-0.5b-instruct"):
            ref = c.paper(key, REGISTRY[key].family)
            assert isinstance(ref, PaperRef) and ref.source, (c.id, key)
    assert get_claim("C8").section.startswith("5.3")
    c13 = get_claim("C13")  # not in the paper; raw prompting only (the scale sweep runs on raw prompts)
    assert c13.axis == "prompting mode" and c13.axis_values == ("raw",)
    assert c13.paper("gemma-3-270m", "gemma3_text").value is None
    with pytest.raises(HarnessError, match="unknown claim 'C0'"):
        get_claim("C0")


def _c3_record(**drop: bool) -> ClaimRecord:
    from harness.claims.geometry import OppositePairsDetails

    pairs = {"happy-sad": 0.4, "calm-desperate": 0.3, "loving-hostile": 0.2, "proud-guilty": 0.35}
    rec = to_record("C3", "m", Finding("min_opposite_pair_cosine", Check(True, 0.2, "r", OppositePairsDetails(
        neutral=pairs, centred=pairs, minus_separation=pairs, minus_separation_ci={k: [0.0, 0.1] for k in pairs},
        null_all_positive_share=1.0, baseline="neutral", layer=6, cosine_matrix=[[1.0]])),
        {"method": "comprehension", "profile": "paper"}, PaperRef(0.182, "s")))
    details = {k: v for k, v in rec.details.items() if k not in drop}
    return dataclasses.replace(rec, details=details)


def test_read_gives_typed_details_and_the_report_names_records_it_cannot_read():
    c3 = get_claim("C3")
    ok, old = _c3_record(), _c3_record(cosine_matrix=True)
    ((rec, d),) = c3.read([ok, old])
    assert rec is ok and d.neutral["loving-hostile"] == 0.2 and d.layer == 6
    assert c3.unreadable([ok, old]) == 1
    text = "\n".join(render_tables([ok, old], {}))
    assert "1 C3 record(s) lack fields these tables read" in text


def test_evaluate_records_not_applicable_without_building_evidence():
    c2 = get_claim("C2")
    base = tiny_handle("llama")  # no chat template: generation-based extraction does not apply

    def no_evidence():
        raise AssertionError("evidence must not be built for a claim that does not apply")

    out = evaluate(c2, no_evidence, base, "generation", "paper")
    assert out.decisive is None and "needs an instruct model" in out.reason_not_applicable
    (rec,) = out.records
    assert (rec.claim, rec.metric, rec.verdict, rec.method) == ("C2", "generation extraction", "not applicable",
                                                                 "generation")
