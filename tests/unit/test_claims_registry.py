"""The claim registry: one module per claim, mirrored by its eval and protocol section, complete,
listed by `harness claims`, and read back through its details type."""

from __future__ import annotations

import dataclasses
import re
import sys
from pathlib import Path

import pytest

import harness.claims
from harness import thresholds as th
from harness.claims import CLAIMS, get_claim, module_of
from harness.claims.base import Check, Finding, PaperRef, evaluate, to_record
from harness.claims.record import ClaimRecord
from harness.cli import main
from harness.errors import HarnessError
from harness.models.registry import REGISTRY
from harness.report.summary import render_tables
from harness.testing import tiny_handle

CLAIMS_DIR = Path(harness.claims.__file__).parent
REPO = CLAIMS_DIR.parents[1]


def test_every_claim_is_one_module_with_one_eval_and_one_protocol_section():
    modules = sorted(p.stem for p in CLAIMS_DIR.glob("c[0-9][0-9]_*.py"))
    assert sorted(module_of(c.id).rsplit(".", 1)[1] for c in CLAIMS) == modules  # one claim per module, each found
    evals = sorted(p.stem.removeprefix("test_") for p in (REPO / "evals").glob("test_c[0-9][0-9]_*.py"))
    assert evals == modules  # evals/test_cNN_x.py mirrors harness/claims/cNN_x.py
    protocol = (REPO / "docs" / "protocol.md").read_text()
    for c in CLAIMS:
        module = module_of(c.id)
        assert int(module.rsplit(".", 1)[1][1:3]) == int(c.id[1:]), (c.id, module)
        assert c.check.__module__ == module and c.details.__module__ == module, c.id
        assert re.search(rf"^### {c.id} - ", protocol, re.M), f"docs/protocol.md has no section for {c.id}"


def test_each_claim_is_complete_and_lists_its_test_control_and_thresholds():
    kinds = [p.kind for c in CLAIMS for p in c.plots]
    assert len(kinds) == len(set(kinds))
    for c in CLAIMS:
        assert c.axis in ("extraction method", "prompting mode") and c.axis_values, c.id
        assert dataclasses.is_dataclass(c.details) and c.tables and c.metric and c.short, c.id
        assert c.test and c.control and c.thresholds, c.id
        for name in c.thresholds:
            assert hasattr(th, name), (c.id, name)
        for key in ("smollm2-135m-instruct", "gemma-3-270m", "qwen2.5-coder-0.5b-instruct"):
            ref = c.paper(key, REGISTRY[key].family)
            assert isinstance(ref, PaperRef) and ref.source, (c.id, key)
    # The report's order: geometry claims (extraction methods), then steering claims, by number.
    order = [(c.axis != "extraction method", int(c.id[1:])) for c in CLAIMS]
    assert order == sorted(order)
    assert get_claim("C8").section.startswith("5.3")
    with pytest.raises(HarnessError, match="unknown claim 'C0'"):
        get_claim("C0")


def test_a_module_that_does_not_declare_its_claim_is_refused(tmp_path, monkeypatch):
    (tmp_path / "c15_empty.py").write_text("X = 1\n")
    monkeypatch.setattr(harness.claims, "__path__", [*harness.claims.__path__, str(tmp_path)])
    harness.claims._registry.cache_clear()
    try:
        with pytest.raises(HarnessError, match=r"c15_empty.py: a claim module must declare the Claim C15"):
            get_claim("C1")
    finally:
        monkeypatch.undo()
        harness.claims._registry.cache_clear()
        sys.modules.pop("harness.claims.c15_empty", None)


def test_claims_command_lists_every_claim_from_the_registry(capsys):
    assert main(["claims"]) == 0
    said = capsys.readouterr().out
    for c in CLAIMS:
        assert f"{c.id} ({c.short}; paper {c.section}): {c.statement}" in said
    assert "EXPLOSIVE_PPL_RATIO = 4.5" in said and "decided in: harness.claims.c08_regime" in said


def _c3_record(**drop: bool) -> ClaimRecord:
    from harness.claims.c03_opposite_pairs import OppositePairsDetails

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
