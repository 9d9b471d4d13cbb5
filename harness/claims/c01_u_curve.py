"""C1 (paper 4.1): separation is best near 50% depth and poor at 25% and 100% (a U-curve).

Read off the per-block separation curve S of one extraction method; the label-shuffled
null's own curve and the random-weight copy are its controls."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from harness import thresholds as th
from harness.claims.base import (
    Check,
    Claim,
    ControlReading,
    Evidence,
    Finding,
    PaperRef,
    Plot,
    Table,
)
from harness.claims.figures import pyplot, save
from harness.claims.geometry_judging import (
    GeometryResult,
    block_depth,
    caption,
    extraction_applies,
    geometry_findings,
)
from harness.claims.markdown import fmt_ci, table
from harness.claims.record import ClaimRecord
from harness.claims.ruling import Bound, above, all_of, between
from harness.experiments.extraction import METHODS
from harness.experiments.geometry_run import Geometry
from harness.metrics.geometry import block_at_depth
from harness.protocol import middle_block
from harness.stimuli.loading import paper_values


@dataclass(frozen=True)
class UCurveDetails:
    best_block: int
    best_value: float
    best_depth_ci: list[float]
    arm_blocks: dict[str, int]
    arm_gaps: dict[str, float]
    arm_gap_ci: dict[str, list[float]]  # bootstrap interval of each arm's gap (the point, without one)
    baseline: str
    layer: str


@dataclass(frozen=True)
class UCurveCurves(UCurveDetails):
    """The decisive C1 record also carries every per-block curve behind it."""

    separation_per_block: dict[str, list[float]]
    separation_ci_per_block: list[list[float]]
    separation_post_final_norm: dict[str, float]
    null_mean_per_block: list[float]
    null_p05_per_block: list[float]
    heldout_kind: str
    heldout_top1_per_block: list[float]
    heldout_top3_per_block: list[float]
    heldout5_top1_per_block: list[float]
    transfer_top1_per_block: list[float] | None


def u_curve(curve: list[float], lower_is_better: bool = True, depth_ci: tuple[float, float] | None = None,
            gap_ci: list[tuple[float, float]] | None = None) -> Check[UCurveDetails]:
    """C1 on one per-block curve: the best block's depth inside the accepted band, and each arm
    (25% and 100% depth) worse than the best block by more than the margin. With ``depth_ci``
    (bootstrap interval of the best depth) and ``gap_ci`` (per block, bootstrap interval of its
    value minus the best block's) the claim is ruled on intervals (harness.claims.ruling): shown
    when every interval lies inside its region, ruled out when one lies wholly outside it.
    Without them each reading is its point (a control's curve, a reading beside)."""
    n = len(curve)
    sign = 1.0 if lower_is_better else -1.0
    best = min(range(n), key=lambda i: sign * curve[i])
    arms = {d: block_at_depth(n, d) for d in th.UCURVE_ARMS}
    gaps = {d: sign * (curve[b] - curve[best]) for d, b in arms.items()}
    lo, hi = th.UCURVE_BEST_DEPTH
    depth = block_depth(best, n)
    ci = tuple(round(x, 3) for x in depth_ci) if depth_ci else (depth, depth)
    gcis = {d: tuple(sorted(sign * x for x in gap_ci[b])) if gap_ci else (g, g) for (d, b), g
            in zip(arms.items(), gaps.values(), strict=True)}
    bounds = [between("depth of the best block", depth, ci, lo, hi),
              *(above(f"gap at depth {d}", gaps[d], gcis[d], th.UCURVE_MARGIN) for d in arms)]
    holds, ruled = all_of(bounds)
    reason = (f"best depth {depth} (block {best}, value {curve[best]:.3f})"
              + (f", bootstrap 95% [{ci[0]:.3f}, {ci[1]:.3f}]" if depth_ci else "")
              + f"; accepted [{lo}, {hi}]; "
              + ", ".join(f"gap at depth {d} = {g:.3f}" + (f" [{gcis[d][0]:.3f}, {gcis[d][1]:.3f}]" if gap_ci else "")
                          for d, g in gaps.items())
              + f" (needs > {th.UCURVE_MARGIN})")
    return Check(holds, depth, reason, UCurveDetails(
        best_block=best, best_value=curve[best], best_depth_ci=list(ci),
        arm_blocks={str(d): b for d, b in arms.items()}, arm_gaps={str(d): g for d, g in gaps.items()},
        arm_gap_ci={str(d): list(v) for d, v in gcis.items()}, baseline="neutral", layer="every block"),
        ruled_out=ruled)


def _c1_test(g: Geometry, block: int | None) -> GeometryResult[UCurveCurves]:
    main = u_curve(g.separation["neutral"], depth_ci=g.best_depth_ci, gap_ci=g.gap_to_best_ci)
    curves = UCurveCurves(**vars(main.details), separation_per_block=g.separation,
                          separation_ci_per_block=[list(c) for c in g.separation_ci],
                          separation_post_final_norm=g.separation_post_norm, null_mean_per_block=g.null_mean,
                          null_p05_per_block=g.null_p05, heldout_kind=g.heldout_kind,
                          heldout_top1_per_block=g.heldout_top1, heldout_top3_per_block=g.heldout_top3,
                          heldout5_top1_per_block=g.heldout5_top1, transfer_top1_per_block=g.transfer_top1)
    return GeometryResult(_bounds(main), main.value, tuple(main.details.best_depth_ci), main.reason, curves)


def _bounds(c: Check[UCurveDetails]) -> tuple[Bound, ...]:
    d = c.details
    lo, hi = th.UCURVE_BEST_DEPTH
    return (between("depth of the best block", c.value, d.best_depth_ci, lo, hi),
            *(above(f"gap at depth {a}", d.arm_gaps[a], d.arm_gap_ci[a], th.UCURVE_MARGIN) for a in d.arm_gaps))


def _c1_null(g: Geometry, block: int | None, control: Geometry | None) -> ControlReading:
    # The label-shuffled null's own curve: if it makes the same U, the shape is the residual
    # stream's, not the emotions'.
    null = u_curve(g.null_mean)
    return ControlReading("label-shuffled null's best depth", null.value, null.holds is True)


def _c1_check(ev: Evidence, method: str) -> list[Finding]:
    out = geometry_findings(C1, ev, method, _c1_test, _c1_null, per_block=False)
    g = ev.geometry(method)
    ctx = ev.context(method)
    # Read off the emotion-specific part (null mean - S) and off held-out accuracy too, beside.
    specific = u_curve([n - x for n, x in zip(g.null_mean, g.separation["neutral"], strict=True)],
                       lower_is_better=False)
    heldout = u_curve(g.heldout_top1, lower_is_better=False)
    # Readings beside the verdict (point estimates, no interval or control): they decide nothing.
    return [*out, *(C1.finding(ev, replace(c, holds=None, ruled_out=None, reason="a reading beside C1, deciding "
                                           "nothing: " + c.reason), ctx, metric)
                    for c, metric in ((specific, "best_depth_null_minus_separation"),
                                      (heldout, "best_depth_heldout_top1")))]


def _c1_paper(model: str, family: str, axis_value: str = "") -> PaperRef:
    t1 = paper_values()["table1_layer_sweep"]
    src = f"Table 1, {t1['model']} generation vectors (best of layers 6/12/18/24)"
    if model == t1["model"] and axis_value == "generation":
        return PaperRef(t1["best_depth"], src)
    return PaperRef(t1["best_depth"], f"{src}; stands in: the paper swept layers on that one model and method only")


def table1_layer_sweep(records: list[ClaimRecord], kinds: dict[str, str]) -> str:
    t1 = paper_values()["table1_layer_sweep"]
    recs = C1.read(records)
    headers = ["depth", f"paper ({t1['model']}, layer)"] + [f"{r.model} {r.method}" for r, _ in recs]
    rows = []
    for layer, s in sorted((int(k), v) for k, v in t1["layers"].items()):
        depth = layer / 24
        row = [f"{depth:.0%}", f"{s} (L{layer})"]
        for _, d in recs:
            curve = d.separation_per_block["neutral"]
            b = middle_block(len(curve)) if depth == 0.5 else block_at_depth(len(curve), depth)
            ci = d.separation_ci_per_block[b]
            row.append(f"{fmt_ci(curve[b], ci)} (block {b})")
        rows.append(row)
    rows.append(["best", f"{t1['best_depth']:.0%}"] + [
        f"{r.value:.0%} [{d.best_depth_ci[0]:.0%}, {d.best_depth_ci[1]:.0%}] (block {d.best_block}): {r.verdict}"
        for r, d in recs])
    return "\n".join([table(rows, headers), "", caption([r for r, _ in recs], (
        "S = mean pairwise cosine of the 20 vectors, neutral baseline, with its basic-bootstrap 95% interval; the 50% "
        "row is the middle block, the others the block nearest each depth; 'best' is the depth of the lowest S "
        "with the bootstrap interval of that depth"))])


def u_curves(records: list[ClaimRecord], out: Path) -> dict[str, str]:
    """S vs depth per model, one line per method with its bootstrap band, the label-shuffled
    null's mean, and the depth of the lowest S with its bootstrap interval."""
    plt = pyplot()
    by_model: dict[str, list[tuple[ClaimRecord, UCurveCurves]]] = {}
    for r, d in C1.read(records):
        by_model.setdefault(r.model, []).append((r, d))
    paths = {}
    t1 = paper_values()["table1_layer_sweep"]
    for model, recs in sorted(by_model.items()):
        fig, ax = plt.subplots(figsize=(6.4, 4))
        for r, c in recs:
            s = c.separation_per_block["neutral"]
            n = len(s)
            d = [(i + 1) / n for i in range(n)]
            line, = ax.plot(d, s, marker=".", label=f"S, {r.method} ({r.verdict})")
            color = line.get_color()
            ax.fill_between(d, [lo for lo, _ in c.separation_ci_per_block], [hi for _, hi in c.separation_ci_per_block],
                            color=color, alpha=0.12, lw=0)
            ax.plot(d, c.null_mean_per_block, ls=":", color=color, label=f"shuffled null mean, {r.method}")
            lo, hi = c.best_depth_ci
            ax.errorbar([r.value], [c.best_value], xerr=[[r.value - lo], [hi - r.value]], fmt="v", color=color,
                        capsize=3, ms=6, label=f"lowest S: depth {r.value:.2f} [{lo:.2f}, {hi:.2f}]")
        n_paper = 24
        ax.plot([int(k) / n_paper for k in t1["layers"]], list(t1["layers"].values()), "k--", marker="s",
                label=f"paper, {t1['model']}")
        ax.axvspan(*th.UCURVE_BEST_DEPTH, color="grey", alpha=0.08, lw=0)
        ax.set(xlabel="depth (l+1)/L", ylabel="mean pairwise cosine S (lower = better)",
               title=f"{model}: separation by depth (neutral baseline)", xlim=(0, 1.02))
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))  # outside: the curves stay visible
        paths[model] = save(fig, out, f"ucurve_{model}.png")
    return paths


C1: Claim[UCurveCurves] = Claim(
    id="C1", short="U-curve", section="4.1", statement="separation is best near 50% depth and poor at 25% and 100% (a U-curve)",
    axis="extraction method", axis_values=METHODS,
    metric="best_depth_separation", details=UCurveCurves, check=_c1_check,
    applies=extraction_applies, paper=_c1_paper,
    tables=(Table("Table 1: layer sweep (separation S by depth)", table1_layer_sweep),),
    plots=(Plot("ucurve", "U-curve (S vs depth, shuffled null)", u_curves),),
    test=("argmin depth of S (mean pairwise cosine, neutral baseline) over every block inside the"
          " accepted band, its bootstrap interval inside it (across an edge: inconclusive), and S"
          " at 25% and 100% depth above the minimum by more than the margin"),
    control=("the label-shuffled null's own curve and the random-weight copy under the same test; "
             "the emotion-specific curve (null mean - S) and held-out accuracy are read beside"),
    thresholds=("UCURVE_BEST_DEPTH", "UCURVE_MARGIN", "UCURVE_ARMS", "BOOTSTRAP_CONFIDENCE"))


