"""C3 (paper 4.5): no opposite pair has a negative cosine under the neutral baseline."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness import thresholds as th
from harness.claims.base import (
    Claim,
    ControlReading,
    Evidence,
    Finding,
    PaperRef,
    Plot,
    Table,
)
from harness.claims.figures import per_record, pyplot
from harness.claims.geometry_judging import (
    GeometryResult,
    caption,
    extraction_applies,
    geometry_findings,
)
from harness.claims.markdown import fmt, fmt_ci, table
from harness.claims.record import ClaimRecord
from harness.claims.ruling import above
from harness.experiments.extraction import METHODS
from harness.experiments.geometry_run import Geometry
from harness.metrics.geometry import cosine_matrix
from harness.stimuli.loading import EMOTION_ORDER, paper_values


@dataclass(frozen=True)
class OppositePairsDetails:
    neutral: dict[str, float]
    centred: dict[str, float]
    minus_separation: dict[str, float]  # each pair's cosine minus S: the informative quantity
    minus_separation_ci: dict[str, list[float]]
    null_all_positive_share: float
    baseline: str
    layer: int
    cosine_matrix: list[list[float]]


def _c3_test(g: Geometry, block: int | None) -> GeometryResult[OppositePairsDetails]:
    r = g.at(block)
    low = min(r.opposite.values())
    bound = above("lowest opposite-pair cosine", low, r.min_opposite_ci, th.OPPOSITE_MIN_COSINE)
    reason = (", ".join(f"{k} {v:.3f}" for k, v in r.opposite.items())
              + f" (all must be > {th.OPPOSITE_MIN_COSINE}; lowest {low:.3f} [{r.min_opposite_ci[0]:.3f}, "
              f"{r.min_opposite_ci[1]:.3f}]) at block {r.block}; minus S {r.separation:.3f}: "
              + ", ".join(f"{k} {v:+.3f}" for k, v in r.opposite_minus_s.items()))
    return GeometryResult((bound,), low, r.min_opposite_ci, reason, OppositePairsDetails(
        neutral=r.opposite, centred=r.opposite_centred, minus_separation=r.opposite_minus_s,
        minus_separation_ci={k: list(v) for k, v in r.opposite_minus_s_ci.items()},
        null_all_positive_share=r.null_all_opposite_positive, baseline="neutral (centred beside)", layer=r.block,
        cosine_matrix=cosine_matrix(g.vectors["neutral"][r.block]).tolist()))


def _c3_null(g: Geometry, block: int | None, control: Geometry | None) -> ControlReading:
    r = g.at(block)
    return ControlReading("share of label shuffles with every opposite pair > 0", r.null_all_opposite_positive,
                          r.null_all_opposite_positive >= th.CONTROL_PASS_SHARE)


def _c3_check(ev: Evidence, method: str) -> list[Finding]:
    return geometry_findings(C3, ev, method, _c3_test, _c3_null)


def _c3_paper(model: str, family: str, axis_value: str = "") -> PaperRef:
    """The lowest opposite-pair cosine the paper reports for this model (its pairs come from
    generation vectors), else the lowest it reports at all, standing in."""
    pv = paper_values()["opposite_pairs"]
    own = [(pair, v) for pair, v in pv.items() if v["model"] == model]
    if own and axis_value == "generation":
        pair, v = min(own, key=lambda kv: kv[1]["cosine"])
        return PaperRef(v["cosine"], f"section 4.5, {model}: {pair}, the lowest pair it reports for that model")
    pair, v = min(pv.items(), key=lambda kv: kv[1]["cosine"])
    why = ("the paper reports no comprehension pair cosine" if own else
           f"the paper reports pairs for {', '.join(sorted({x['model'] for x in pv.values()}))} only")
    return PaperRef(v["cosine"], f"section 4.5: {pair} on {v['model']} (generation), the lowest it reports; stands "
                                 f"in: {why}")


def opposite_pairs_table(records: list[ClaimRecord], kinds: dict[str, str]) -> str:
    recs = C3.read(records)
    pv = paper_values()["opposite_pairs"]
    pairs = list(recs[0][1].neutral) if recs else ["happy-sad", "calm-desperate", "loving-hostile", "proud-guilty"]
    rows = [["paper (lowest reported)", "—"] + [
        fmt(pv[p]["cosine"]) + f" ({pv[p]['model']})" if p in pv else "—" for p in pairs] + ["—", "—", "—"]]
    for r, d in recs:
        rows.append([r.model, r.method]
                    + [f"{fmt(d.neutral[p])} ({fmt_ci(d.minus_separation[p], d.minus_separation_ci[p], 2)})"
                       for p in pairs]
                    + [", ".join(f"{p} {fmt(v)}" for p, v in d.centred.items()), fmt(d.null_all_positive_share),
                       r.verdict])
    return "\n".join([table(rows, ["model", "method", *pairs, "centred baseline",
                                   "shuffles with all pairs > 0", "C3"]), "",
                      caption([r for r, _ in recs], (
                          "cosine, neutral baseline; in brackets the pair's cosine minus the mean pair cosine S "
                          "with its basic-bootstrap 95% interval (below 0: the opposites are less alike than an average "
                          "pair, the informative reading); 'shuffles with all pairs > 0' is the label-shuffled "
                          "control under the paper's test"))])


def heatmaps(records: list[ClaimRecord], out: Path) -> dict[str, str]:
    """The 20x20 cosine matrix of the emotion vectors at the middle block."""

    def draw(r: ClaimRecord, d: OppositePairsDetails):
        m = d.cosine_matrix
        fig, ax = pyplot().subplots(figsize=(6.2, 5.4))
        im = ax.imshow(m, vmin=-1, vmax=1, cmap="RdBu_r")
        ax.set_xticks(range(len(m)), EMOTION_ORDER[:len(m)], rotation=90, fontsize=7)
        ax.set_yticks(range(len(m)), EMOTION_ORDER[:len(m)], fontsize=7)
        fig.colorbar(im, ax=ax, shrink=0.8, label="cosine")
        ax.set_title(f"{r.model}, {r.method}: block {d.layer}, neutral baseline",
                     fontsize=9)
        return fig

    return per_record(records, C3, "heatmap", out, draw)


C3: Claim[OppositePairsDetails] = Claim(
    id="C3", short="no negative opposite-pair cosine", section="4.5", statement="no opposite pair has a negative cosine under the neutral baseline",
    axis="extraction method", axis_values=METHODS,
    metric="min_opposite_pair_cosine", details=OppositePairsDetails, check=_c3_check,
    applies=extraction_applies, paper=_c3_paper,
    tables=(Table("Section 4.5: opposite pairs", opposite_pairs_table),),
    plots=(Plot("heatmap", "cosine heatmap (middle block)", heatmaps),),
    test=("all four opposite-pair cosines above the cut at the middle block (the lowest pair's "
          "bootstrap interval above it)"),
    control=("the share of label shuffles that pass the same test (at least CONTROL_PASS_SHARE: "
             "uninformative) and the random-weight copy; each pair's cosine minus S is recorded as"
             " the informative reading"),
    thresholds=("OPPOSITE_MIN_COSINE", "CONTROL_PASS_SHARE", "BOOTSTRAP_CONFIDENCE"))


