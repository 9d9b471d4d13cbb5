"""C4 (paper 4.5): emotion vectors sit below the anisotropy baseline (gap B - S > 0)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from harness import thresholds as th
from harness.claims.base import (
    Check,
    Claim,
    ControlReading,
    Evidence,
    Finding,
    PaperRef,
    Table,
)
from harness.claims.geometry_judging import (
    GeometryResult,
    caption,
    extraction_applies,
    geometry_findings,
)
from harness.claims.markdown import fmt, fmt_ci, table
from harness.claims.record import ClaimRecord
from harness.claims.ruling import above
from harness.errors import HarnessError
from harness.experiments.extraction import METHODS
from harness.experiments.geometry_run import Geometry
from harness.stimuli.loading import paper_values


@dataclass(frozen=True)
class AnisotropyDetails:
    B: float
    S: float
    null_mean: float
    null_gap: float  # B - null mean: the same test on label-shuffled vectors
    gap_per_block: list[float]
    baseline: str
    layer: int
    anisotropy_per_block: list[float]
    anisotropy_post_final_norm: float


@dataclass(frozen=True)
class AnisotropyBaselineDetails:
    baseline: str
    layer: str
    depths: list[float]
    post_final_norm: float


def _c4_test(g: Geometry, block: int | None) -> GeometryResult[AnisotropyDetails]:
    r = g.at(block)
    bound = above("gap B - S", r.gap, r.gap_ci, th.ANISOTROPY_MIN_GAP)
    reason = (f"B {r.anisotropy:.3f} - S {r.separation:.3f} = {r.gap:.3f} [{r.gap_ci[0]:.3f}, {r.gap_ci[1]:.3f}] "
              f"at block {r.block} (needs > {th.ANISOTROPY_MIN_GAP}); B - null mean {r.null_gap:.3f}")
    return GeometryResult((bound,), r.gap, r.gap_ci, reason, AnisotropyDetails(
        B=r.anisotropy, S=r.separation, null_mean=r.null.null_mean, null_gap=r.null_gap,
        gap_per_block=[bb - ss for bb, ss in zip(g.anisotropy, g.separation["neutral"], strict=True)],
        baseline="neutral; B from raw last-token states of 20 neutral sentences", layer=r.block,
        anisotropy_per_block=g.anisotropy, anisotropy_post_final_norm=g.anisotropy_post_norm))


def _c4_null(g: Geometry, block: int | None, control: Geometry | None) -> ControlReading:
    r = g.at(block)
    return ControlReading("label-shuffled null's gap B - null mean", r.null_gap, r.null_gap > th.ANISOTROPY_MIN_GAP)


def anisotropy_baseline(ev: Evidence) -> Finding:
    """B itself at every block (decides nothing; recorded once per model beside the C4 gap)."""
    from harness.metrics.geometry import depths, mean_pairwise_cosine

    neutral = ev.neutral_sentence_states()
    per_block = mean_pairwise_cosine(neutral.data.states).tolist()
    if len(per_block) != ev.handle.n_layers or not all(math.isfinite(b) and -1 <= b <= 1 for b in per_block):
        raise HarnessError(f"{ev.handle.key}: anisotropy baseline is not one cosine per block: {per_block}")
    return Finding("anisotropy_baseline", Check(None, per_block, "B alone decides nothing; the gap B - S is the "
                                                "C4 verdict", AnisotropyBaselineDetails(
        baseline="raw last-token residual, 20 neutral factual sentences", layer="every block",
        depths=depths(ev.handle.n_layers), post_final_norm=float(mean_pairwise_cosine(neutral.post_norm)))),
        {"profile": ev.profile.name})


def _c4_check(ev: Evidence, method: str) -> list[Finding]:
    return geometry_findings(C4, ev, method, _c4_test, _c4_null)


def _c4_paper(model: str, family: str, axis_value: str = "") -> PaperRef:
    """The paper's gap B - S for this model and method. Its table gives B - S for generation
    vectors (its S is Table 2's generation S); the comprehension gap is derived from the same B
    and Table 2's comprehension S. A model the paper has no B for: SmolLM2-1.7B-Instruct's
    value for the same method stands in."""
    pv, t2 = paper_values()["anisotropy"], paper_values()["table2_separation"]
    src = model if model in pv and "gap" in pv[model] else "smollm2-1.7b-instruct"
    stand = "" if src == model else f"; stands in: the paper reports no B for {model}"
    row = pv[src]
    if axis_value == "comprehension":
        b = row["S"] + row["gap"]
        return PaperRef(round(b - t2[src]["comprehension"], 3), f"derived for comprehension: section 4.5's B for {src} "
                        f"({b:.3f} = S {row['S']} + gap {row['gap']}) minus Table 2's comprehension S "
                        f"{t2[src]['comprehension']}{stand}")
    return PaperRef(row["gap"], f"section 4.5 anisotropy table, {src} (generation vectors){stand}")


def anisotropy_table(records: list[ClaimRecord], kinds: dict[str, str]) -> str:
    pv, labels = paper_values()["anisotropy"], paper_values()["anisotropy_labels"]
    rows = [[m, f"paper ({labels.get(m, '?')})", fmt(pv.get(m, {}).get("B")), fmt(pv.get(m, {}).get("S")),
             fmt(pv.get(m, {}).get("gap")), "—", "—"] for m in labels]
    recs = C4.read(records)
    rows += [[r.model, r.method, fmt(d.B), fmt(d.S), fmt_ci(r.value, r.details.get("interval")), fmt(d.null_gap),
              r.verdict] for r, d in recs]
    return "\n".join([table(rows, ["model", "method", "B (neutral sentences)", "S (emotion vectors)", "gap B - S",
                                   "B - null mean (control)", "C4"]), "",
                      caption([r for r, _ in recs], (
                          "B = mean pairwise cosine of raw last-token states of 20 neutral sentences; S neutral "
                          "baseline; basic-bootstrap 95% interval over passages/stories and sentences; the control is "
                          "the same gap for label-shuffled vectors: when it is positive too, C4 is uninformative"))])


C4: Claim[AnisotropyDetails] = Claim(
    id="C4", short="below the anisotropy baseline", section="4.5", statement="emotion vectors sit below the anisotropy baseline (gap B - S > 0)",
    axis="extraction method", axis_values=METHODS,
    metric="anisotropy_gap", details=AnisotropyDetails, check=_c4_check,
    applies=extraction_applies, paper=_c4_paper,
    tables=(Table("Section 4.5: anisotropy baseline", anisotropy_table),),
    test=("gap B - S above the cut at the middle block with its bootstrap interval (B: mean "
          "pairwise cosine of the raw last-token states of 20 neutral sentences)"),
    control=("the same gap for label-shuffled vectors (B - null mean) and the random-weight copy"),
    thresholds=("ANISOTROPY_MIN_GAP", "BOOTSTRAP_CONFIDENCE"))


