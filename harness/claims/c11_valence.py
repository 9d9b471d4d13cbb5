"""C11 (paper 4.5, 7.1): valence organisation of the emotion space is weak in small models.

A weak reading on vectors that are not emotion-specific (C12) says nothing about emotions,
so C12's test on the same vectors is C11's control."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import thresholds as th
from harness.claims.base import (
    Claim,
    ControlReading,
    Evidence,
    Finding,
    Plot,
    Table,
)
from harness.claims.c12_emotion_specific import c12_null, c12_test
from harness.claims.figures import per_record, pyplot
from harness.claims.geometry_judging import (
    GeometryResult,
    caption,
    extraction_applies,
    geometry_findings,
    judge,
    no_paper_number,
)
from harness.claims.markdown import fmt, fmt_ci, table
from harness.claims.record import ClaimRecord
from harness.claims.ruling import below
from harness.experiments.extraction import METHODS
from harness.experiments.geometry_run import Geometry
from harness.metrics.geometry import pc_scores
from harness.stimuli.loading import EMOTION_ORDER


@dataclass(frozen=True)
class ValenceDetails:
    valence: dict[str, float]
    valence_ci: list[float]
    arousal: dict[str, float]
    emotion_specific: bool | None  # C12's test on the same vectors
    baseline: str
    layer: int
    pc_scores: list[list[float]]
    valences: list[float]
    arousals: list[float]


def _c11_test(g: Geometry, block: int | None) -> GeometryResult[ValenceDetails]:
    r = g.at(block)
    bound = below("|Spearman(PC1, valence)|", r.valence, r.valence_ci, th.VALENCE_WEAK_BELOW)
    reason = (f"|rho(PC1, valence)| {r.valence:.3f} [{r.valence_ci[0]:.3f}, {r.valence_ci[1]:.3f}] neutral, "
              f"{r.valence_centred:.3f} centred at block {r.block}; weak means < {th.VALENCE_WEAK_BELOW}")
    specific = c12_test(g, block).passes
    return GeometryResult((bound,), r.valence, r.valence_ci, reason, ValenceDetails(
        valence={"neutral": r.valence, "centred": r.valence_centred}, valence_ci=list(r.valence_ci),
        arousal={"neutral": r.arousal}, emotion_specific=specific, baseline="neutral (centred beside)",
        layer=r.block, pc_scores=pc_scores(g.vectors["neutral"][r.block]).tolist(),
        valences=g.valences, arousals=g.arousals))


def _c11_null(g: Geometry, block: int | None, control: Geometry | None) -> ControlReading:
    # A weak valence reading says something about emotions only on vectors that carry them:
    # C12's verdict on the same vectors (against its own controls) is the gate. Not holding
    # (or its controls passing too) makes the reading uninformative; undecided, inconclusive.
    verdict = judge(c12_test, c12_null, g, block, control).verdict
    not_specific = verdict in ("does not hold", "uninformative")
    return ControlReading("vectors not emotion-specific (C12's verdict on them)", verdict, not_specific,
                          undecided=verdict == "inconclusive")


def _c11_check(ev: Evidence, method: str) -> list[Finding]:
    # A random-weight copy has no emotion vectors, so its (weak) valence reading is recorded
    # beside, not used as a control: C12's gate is what says the reading is about emotions.
    return geometry_findings(C11, ev, method, _c11_test, _c11_null, copy_decides=False)


def _gate(r: ClaimRecord) -> Any:
    controls = r.details.get("controls") or []
    return controls[0].get("value") if controls else None


def valence_table(records: list[ClaimRecord], kinds: dict[str, str]) -> str:
    recs = C11.read(records)
    rows = [[r.model, r.method, fmt_ci(d.valence["neutral"], d.valence_ci), fmt(d.valence["centred"]),
             fmt(d.arousal["neutral"]), fmt(_gate(r)), r.verdict] for r, d in recs]
    return "\n".join([table(rows, ["model", "method", "abs Spearman(PC1, valence), neutral", "centred",
                                   "abs Spearman(PC2, arousal), neutral",
                                   "C12's verdict on the same vectors (the gate)",
                                   "C11 (weak < 0.5)"]), "",
                      caption([r for r, _ in recs], (
                          "percentile-bootstrap 95% interval widened to include the estimate (PC1 can swap with PC2 "
                          "between resamples); weak needs the whole interval below 0.5, and an interval wholly at or "
                          "above 0.5 rules it out; the reading says something about emotions only on emotion-specific "
                          "vectors: where C12 does not hold (or is uninformative) on them it is uninformative, where "
                          "C12 is inconclusive it is inconclusive; the random-weight copy's reading is shown, not used "
                          "(a network without emotion vectors is trivially weak); paper: valence structure weak, "
                          "compressed by anisotropy"))])


def pc_scatter(records: list[ClaimRecord], out: Path) -> dict[str, str]:
    """PC1/PC2 of the 20 vectors (middle block), coloured by valence."""

    def draw(r: ClaimRecord, d: ValenceDetails):
        pcs, val = d.pc_scores, d.valences
        fig, ax = pyplot().subplots(figsize=(5.6, 4.6))
        sc = ax.scatter([p[0] for p in pcs], [p[1] for p in pcs], c=val, cmap="coolwarm", vmin=-1, vmax=1)
        for name, p in zip(EMOTION_ORDER, pcs, strict=False):
            ax.annotate(name, p, fontsize=7, xytext=(3, 2), textcoords="offset points")
        fig.colorbar(sc, ax=ax, label="valence")
        ax.set(xlabel="PC1", ylabel="PC2",
               title=f"{r.model}, {r.method}: |rho(PC1, valence)| = {r.value:.2f}")
        ax.title.set_fontsize(9)
        return fig

    return per_record(records, C11, "pca", out, draw)


C11: Claim[ValenceDetails] = Claim(
    id="C11", short="weak valence", section="4.5, 7.1", statement="valence organisation of the emotion space is weak in small models",
    axis="extraction method", axis_values=METHODS,
    metric="valence_pc1_abs_spearman", details=ValenceDetails, check=_c11_check,
    applies=extraction_applies, paper=no_paper_number,
    tables=(Table("Section 4.5 / 7.1: valence organisation", valence_table),),
    plots=(Plot("pca", "PC1/PC2 by valence", pc_scatter),),
    test=("|Spearman(PC1, valence)| of the 20 vectors at the middle block, its bootstrap interval"
          " below the cut"),
    control=("C12's verdict on the same vectors, against its own controls: not holding or "
             "uninformative makes C11 uninformative, inconclusive makes it inconclusive; the "
             "random-weight copy's reading is recorded beside, not used"),
    thresholds=("VALENCE_WEAK_BELOW", "BOOTSTRAP_CONFIDENCE", "SPECIFICITY_ALPHA"))


