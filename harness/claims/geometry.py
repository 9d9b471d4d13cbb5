"""The geometry claims C1-C4, C11, C12: declared once each, with check, paper values and tables.

Each claim is a test over the numbers of one extraction (harness.experiments.geometry_run.
Geometry), decided against its controls (docs/protocol.md, Verdicts): the label-shuffled
null under the same test, and the same test on a random-weight copy of the model. A test
whose interval straddles its cut is inconclusive; a pass a control matches is uninformative.
Thresholds come from harness.thresholds only.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar

import torch
from scipy import stats

from harness import thresholds as th
from harness.claims.base import (
    Check,
    Claim,
    ControlReading,
    Evidence,
    Finding,
    PaperRef,
    Table,
    decide,
    interval_side,
)
from harness.claims.markdown import NOT_RUN, fmt, fmt_ci, measured_models, provenance, table
from harness.claims.record import ClaimRecord, canonical
from harness.errors import HarnessError
from harness.experiments.extraction import METHODS, supports
from harness.experiments.geometry_run import Geometry
from harness.metrics.geometry import block_at_depth, cosine_matrix, pc_scores
from harness.metrics.paired import mcnemar_greater
from harness.metrics.resampling import basic_interval
from harness.models.loading import ModelHandle
from harness.protocol import middle_block
from harness.stimuli.loading import paper_values

D = TypeVar("D")


def _depth(layer: int, n_layers: int) -> float:
    return round((layer + 1) / n_layers, 3)


def _extraction_applies(handle: ModelHandle, method: str) -> str | None:
    return supports(handle, method)  # type: ignore[arg-type]


# ---------------------------------------------------------------- judging against controls


@dataclass(frozen=True)
class TestResult(Generic[D]):
    """A claim's test on one geometry: passes (None: the interval straddles the cut)."""

    passes: bool | None
    value: Any
    interval: tuple[float, float] | None
    reason: str
    details: D
    note: str | None = None  # shown beside the value (a p at its floor)

    def shown(self) -> Any:
        return f"{fmt(self.value)} ({self.note})" if self.note else canonical(self.value)


# What a test reads: a Geometry, or for C2 a (generation, comprehension) pair of them.
Subject = Any
# (subject, block or None for the middle) -> the claim's test result
Test = Callable[[Subject, "int | None"], TestResult[Any]]
# (subject, block, its random-weight copy) -> the label-shuffled (or other) control
NullReading = Callable[[Subject, "int | None", "Subject | None"], ControlReading]
RANDOM_COPY = "random-weight copy"


def judge(test: Test, null: NullReading, g: Subject, block: int | None, control: Subject | None) -> Check[Any]:
    """``test`` on ``g`` decided against the label-shuffled null and the random-weight copy."""
    r = test(g, block)
    controls = [null(g, block, control)]
    if control is not None:
        rc = test(control, block)
        controls.append(ControlReading(RANDOM_COPY, rc.shown(), rc.passes is True, undecided=rc.passes is None))
    verdict = decide(r.passes, controls)
    said = "; ".join(f"{c.name} {fmt(c.value)}" + (" passes too" if c.passes else "")
                     + (" undecided: may pass too" if c.undecided else "") for c in controls)
    return Check(verdict == "holds", r.value, f"{r.reason}; controls: {said}", r.details, outcome=verdict,
                 interval=r.interval, controls=tuple(controls), note=r.note)


def reading(r: TestResult[Any], controls: list[ControlReading], prefix: str) -> Check[Any]:
    """A test result recorded beside the verdict (a control's own reading, a variant), decided
    against ``controls`` only."""
    verdict = decide(r.passes, controls)
    return Check(verdict == "holds", r.value, prefix + r.reason, r.details, outcome=verdict, interval=r.interval,
                 note=r.note)


def _findings(claim: Claim[Any], ev: Evidence, label: str, test: Test, null: NullReading,
              subject: Callable[[str, str], Subject], blocks: Callable[[Subject], list[int]] | None,
              replicate: bool, paper: PaperRef | None = None) -> list[Finding]:
    """The decisive finding (primary stimuli, middle block, both controls), its verdicts at
    the neighbouring blocks, the random-weight copy's own reading, and (``replicate``) the
    replication on the second stimulus set. ``subject(stimulus set, weights)`` is what the
    test reads; ``label`` is the records' method; ``paper`` overrides the claim's reference."""
    ref = paper or claim.paper(ev.handle.key, ev.handle.family)
    g, ctrl = subject("primary", "trained"), subject("primary", "random")
    main = judge(test, null, g, None, ctrl)
    if blocks is not None:
        main = _with_adjacent(main, {b: judge(test, null, g, b, ctrl) for b in blocks(g)})
    ctx = ev.context(label)
    out = [Finding(claim.metric, main, ctx, ref),
           Finding(f"{claim.metric} ({RANDOM_COPY})", reading(test(ctrl, None), [null(ctrl, None, None)],
                                                               "on the random-weight copy: "),
                   {**ctx, "weights": "random"}, ref)]
    if ev.replication is not None and replicate:
        name = ev.replication.name
        rep = judge(test, null, subject("replication", "trained"), None, subject("replication", "random"))
        out.append(Finding(f"{claim.metric} (stimuli {name})", rep,
                           {**ctx, "stimuli": ev.replication.content_hash()[:12], "stimulus_set": name}, ref))
    return out


def _geometry_findings(claim: Claim[Any], ev: Evidence, method: str, test: Test, null: NullReading,
                       per_block: bool = True) -> list[Finding]:
    """:func:`_findings` for a claim read off one extraction method's geometry (comprehension
    replicates on the second set; generation reads one set of stories)."""
    return _findings(claim, ev, method, test, null, lambda which, w: ev.geometry(method, which, w),
                     (lambda g: sorted(g.adjacent)) if per_block else None, replicate=method == "comprehension")


def _with_adjacent(main: Check[Any], checks: dict[int, Check[Any]]) -> Check[Any]:
    """``main`` with the verdicts and values at the middle block and its neighbours."""
    verdicts = {str(b): c.verdict for b, c in checks.items()}
    values = {str(b): f"{fmt(c.value)} (floor)" if c.note else canonical(c.value) for b, c in checks.items()}
    said = ", ".join(f"{b}: {v} ({fmt(values[b])})" for b, v in verdicts.items())
    flips = len(set(verdicts.values())) > 1
    return replace(main, adjacent=verdicts, adjacent_values=values, reason=main.reason + (
        f"; the verdict flips between adjacent blocks ({said})" if flips else f"; same verdict at blocks {said}"))


def _caption(records: list[ClaimRecord], what: str) -> str:
    return provenance(records, what, "every single-block reading is at the middle block L // 2, whose depth "
                      "(l+1)/L is 0.53-0.56 on these models (the paper's '50%' layer)")


# ---------------------------------------------------------------- C1: the U-curve


@dataclass(frozen=True)
class UCurveDetails:
    best_block: int
    best_value: float
    best_depth_ci: list[float]
    arm_blocks: dict[str, int]
    arm_gaps: dict[str, float]
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


def u_curve(curve: list[float], lower_is_better: bool = True,
            depth_ci: tuple[float, float] | None = None) -> Check[UCurveDetails]:
    """C1 on one per-block curve: best block in the accepted depth band, arms worse by a
    margin. With ``depth_ci`` (bootstrap interval of the best depth) the band test uses the
    interval: inside -> passes, outside -> fails, across an edge -> undecided (holds None)."""
    n = len(curve)
    sign = 1.0 if lower_is_better else -1.0
    best = min(range(n), key=lambda i: sign * curve[i])
    arms = {d: block_at_depth(n, d) for d in th.UCURVE_ARMS}
    gaps = {d: sign * (curve[b] - curve[best]) for d, b in arms.items()}
    lo, hi = th.UCURVE_BEST_DEPTH
    depth = _depth(best, n)
    arms_ok = all(g > th.UCURVE_MARGIN for g in gaps.values())
    ci = tuple(round(x, 3) for x in depth_ci) if depth_ci else (depth, depth)
    band = True if lo <= ci[0] and ci[1] <= hi else (False if ci[1] < lo or ci[0] > hi else None)
    holds = False if not arms_ok else band
    reason = (f"best depth {depth} (block {best}, value {curve[best]:.3f})"
              + (f", bootstrap 95% [{ci[0]:.3f}, {ci[1]:.3f}]" if depth_ci else "")
              + f"; accepted [{lo}, {hi}]; "
              + ", ".join(f"gap at depth {d} = {g:.3f}" for d, g in gaps.items())
              + f" (needs > {th.UCURVE_MARGIN})")
    return Check(holds, depth, reason, UCurveDetails(
        best_block=best, best_value=curve[best], best_depth_ci=list(ci),
        arm_blocks={str(d): b for d, b in arms.items()}, arm_gaps={str(d): g for d, g in gaps.items()},
        baseline="neutral", layer="every block"))


def _c1_test(g: Geometry, block: int | None) -> TestResult[UCurveCurves]:
    main = u_curve(g.separation["neutral"], depth_ci=g.best_depth_ci)
    curves = UCurveCurves(**vars(main.details), separation_per_block=g.separation,
                          separation_ci_per_block=[list(c) for c in g.separation_ci],
                          separation_post_final_norm=g.separation_post_norm, null_mean_per_block=g.null_mean,
                          null_p05_per_block=g.null_p05, heldout_kind=g.heldout_kind,
                          heldout_top1_per_block=g.heldout_top1, heldout_top3_per_block=g.heldout_top3,
                          heldout5_top1_per_block=g.heldout5_top1, transfer_top1_per_block=g.transfer_top1)
    return TestResult(main.holds, main.value, tuple(main.details.best_depth_ci), main.reason, curves)


def _c1_null(g: Geometry, block: int | None, control: Geometry | None) -> ControlReading:
    # The label-shuffled null's own curve: if it makes the same U, the shape is the residual
    # stream's, not the emotions'.
    null = u_curve(g.null_mean)
    return ControlReading("label-shuffled null's best depth", null.value, null.holds is True)


def _c1_check(ev: Evidence, method: str) -> list[Finding]:
    out = _geometry_findings(C1, ev, method, _c1_test, _c1_null, per_block=False)
    g = ev.geometry(method)
    ctx = ev.context(method)
    # Read off the emotion-specific part (null mean - S) and off held-out accuracy too, beside.
    specific = u_curve([n - x for n, x in zip(g.null_mean, g.separation["neutral"], strict=True)],
                       lower_is_better=False)
    heldout = u_curve(g.heldout_top1, lower_is_better=False)
    # Readings beside the verdict (point estimates, no interval or control): they decide nothing.
    return [*out, *(C1.finding(ev, replace(c, holds=None, reason="a reading beside C1, deciding nothing: "
                                           + c.reason), ctx, metric)
                    for c, metric in ((specific, "best_depth_null_minus_separation"),
                                      (heldout, "best_depth_heldout_top1")))]


def _c1_paper(model: str, family: str) -> PaperRef:
    t1 = paper_values()["table1_layer_sweep"]
    return PaperRef(t1["best_depth"], f"Table 1, {t1['model']} (best of layers 6/12/18/24)")


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
    return "\n".join([table(rows, headers), "", _caption([r for r, _ in recs], (
        "S = mean pairwise cosine of the 20 vectors, neutral baseline, with its basic-bootstrap 95% interval; the 50% "
        "row is the middle block, the others the block nearest each depth; 'best' is the depth of the lowest S "
        "with the bootstrap interval of that depth"))])


C1: Claim[UCurveCurves] = Claim(
    id="C1", short="U-curve", section="4.1", statement="separation is best near 50% depth and poor at 25% and 100% (a U-curve)",
    axis="extraction method", axis_values=METHODS,
    metric="best_depth_separation", details=UCurveCurves, check=_c1_check,
    applies=_extraction_applies, paper=_c1_paper,
    tables=(Table("Table 1: layer sweep (separation S by depth)", table1_layer_sweep),))


# ---------------------------------------------------------------- C2: generation vs comprehension


@dataclass(frozen=True)
class GenVsCompDetails:
    specific_generation: float  # null mean - S
    specific_generation_ci: list[float]
    specific_comprehension: float
    specific_comprehension_ci: list[float]
    s_generation: float
    s_comprehension: float
    null_mean_generation: float
    null_mean_comprehension: float
    baseline: str
    layer: int
    se: float  # jackknife standard error of the difference


def _specific_difference(gen: Geometry, comp: Geometry, block: int | None) -> TestResult[GenVsCompDetails]:
    """C2 on the emotion-specific part: (null mean - S) of generation minus that of
    comprehension; its interval from the two jackknife standard errors (independent samples)."""
    rg, rc = gen.at(block), comp.at(block)
    diff = rg.specific - rc.specific
    se = math.hypot(rg.specific_se, rc.specific_se)  # independent samples
    z = float(stats.norm.ppf(0.5 + th.BOOTSTRAP_CONFIDENCE / 2))
    ci = (diff - z * se, diff + z * se)
    passes = interval_side(ci, th.GEN_VS_COMP_MIN_DIFFERENCE, above=True)
    reason = (f"emotion-specific separation (null mean - S) generation {rg.specific:.3f} "
              f"[{rg.specific_ci[0]:.3f}, {rg.specific_ci[1]:.3f}] vs comprehension {rc.specific:.3f} "
              f"[{rc.specific_ci[0]:.3f}, {rc.specific_ci[1]:.3f}] at block {rg.block}: difference {diff:.3f} "
              f"[{ci[0]:.3f}, {ci[1]:.3f}] (needs > {th.GEN_VS_COMP_MIN_DIFFERENCE})")
    return TestResult(passes, diff, ci, reason, GenVsCompDetails(
        specific_generation=rg.specific, specific_generation_ci=list(rg.specific_ci),
        specific_comprehension=rc.specific, specific_comprehension_ci=list(rc.specific_ci),
        s_generation=rg.separation, s_comprehension=rc.separation, null_mean_generation=rg.null.null_mean,
        null_mean_comprehension=rc.null.null_mean, baseline="neutral", layer=rg.block, se=se))


@dataclass(frozen=True)
class RawSeparationDetails:
    s_generation: float
    s_comprehension: float
    null_difference: float  # null mean comprehension - null mean generation
    layer: int


def _raw_difference(gen: Geometry, comp: Geometry) -> Check[RawSeparationDetails]:
    """The paper's reading: S_comp - S_gen > 0, against the same difference of the nulls."""
    rg, rc = gen.at(), comp.at()
    diff = rc.separation - rg.separation
    ci = basic_interval(diff, torch.tensor(rc.separation_replicates) - torch.tensor(rg.separation_replicates),
                             th.BOOTSTRAP_CONFIDENCE)
    null_diff = rc.null.null_mean - rg.null.null_mean
    control = ControlReading("label-shuffled nulls' difference", null_diff, null_diff > 0)
    verdict = decide(interval_side(ci, 0.0, above=True), [control])
    reason = (f"the paper's metric: S_comp {rc.separation:.3f} - S_gen {rg.separation:.3f} = {diff:.3f} "
              f"[{ci[0]:.3f}, {ci[1]:.3f}] at block {rg.block}; the label-shuffled nulls differ by "
              f"{null_diff:.3f} the same way, so raw S mixes read position and stimuli with emotion")
    return Check(verdict == "holds", diff, reason, RawSeparationDetails(
        s_generation=rg.separation, s_comprehension=rc.separation, null_difference=null_diff, layer=rg.block),
        outcome=verdict, interval=ci, controls=(control,))


# The paper reports raw S only; its metric (S_comp - S_gen) is the s_comp_minus_s_gen record.
SPECIFIC_PAPER = PaperRef(None, "the paper reports raw S only (Table 2): its metric is s_comp_minus_s_gen")


def _c2_test(pair: tuple[Geometry, Geometry], block: int | None) -> TestResult[GenVsCompDetails]:
    return _specific_difference(*pair, block)


def _c2_null(pair: tuple[Geometry, Geometry], block: int | None, control: Any) -> ControlReading:
    return ControlReading("label-shuffled nulls (subtracted in the metric)", None, None)


def _c2_check(ev: Evidence, method: str) -> list[Finding]:
    def pair(which: str, weights: str) -> tuple[Geometry, Geometry]:
        return ev.geometry("generation", weights=weights), ev.geometry("comprehension", which, weights)

    out = _findings(C2, ev, "generation vs comprehension", _c2_test, _c2_null, pair,
                    lambda p: sorted(p[0].adjacent), replicate=True, paper=SPECIFIC_PAPER)
    gen, comp = pair("primary", "trained")
    ctx = ev.context("generation vs comprehension")
    story = reading(_specific_difference(ev.geometry("generation-story"), comp, None), [],
                    "stories re-read without the prompt that names the emotion: ")
    return [out[0], C2.finding(ev, _raw_difference(gen, comp), ctx, "s_comp_minus_s_gen"),
            Finding("specific_gen_story_only_minus_comp", story,
                    {**ctx, "method": "generation (story only) vs comprehension"}, SPECIFIC_PAPER), *out[1:]]


def _c2_paper(model: str, family: str) -> PaperRef:
    t2 = paper_values()["table2_separation"]
    row = t2.get(model, {})
    if "generation" in row and "comprehension" in row:
        return PaperRef(round(row["comprehension"] - row["generation"], 3), f"Table 2, {model} (S_comp - S_gen)")
    ref = t2["smollm2-1.7b-instruct"]
    return PaperRef(round(ref["comprehension"] - ref["generation"], 3),
                    "Table 2, smollm2-1.7b-instruct (S_comp - S_gen)")


def _s_middle(records: list[ClaimRecord], model: str, method: str) -> float | None:
    for r, d in C1.read(records):
        if r.model == model and r.method == method:
            curve = d.separation_per_block["neutral"]
            return curve[middle_block(len(curve))]
    return None


def _metric_record(records: list[ClaimRecord], claim: str, model: str, metric: str) -> ClaimRecord | None:
    return next((r for r in records if r.claim == claim and r.model == model and r.metric == metric), None)


def table2_separation(records: list[ClaimRecord], kinds: dict[str, str]) -> str:
    t2 = paper_values()["table2_separation"]
    ran_models = measured_models(records)
    rows = []
    for m in list(t2) + [m for m in ran_models if m not in t2 and "+" not in m]:
        p = t2.get(m, {})
        pg, pc = p.get("generation"), p.get("comprehension")
        ran = m in ran_models
        g, c = (_s_middle(records, m, "generation"), _s_middle(records, m, "comprehension")) if ran else (None, None)
        raw = _metric_record(records, "C2", m, "s_comp_minus_s_gen")
        c2 = [(r, d) for r, d in C2.read(records) if r.model == m]
        story = _metric_record(records, "C2", m, "specific_gen_story_only_minus_comp")
        na = "—" if ran else NOT_RUN
        rows.append([
            m, kinds.get(m, "?"), fmt(pg), fmt(pc), fmt(round(pc - pg, 3)) if pg and pc else "—",
            fmt(g) if ran else NOT_RUN, fmt(c) if ran else NOT_RUN,
            fmt_ci(raw.value, raw.details.get("interval")) if raw else na,
            fmt(raw.details.get("null_difference")) if raw else na,
            f"{fmt_ci(c2[0][1].specific_generation, c2[0][1].specific_generation_ci)} vs "
            f"{fmt_ci(c2[0][1].specific_comprehension, c2[0][1].specific_comprehension_ci)}" if c2 else na,
            fmt_ci(c2[0][0].value, c2[0][0].details.get("interval")) if c2 else na,
            fmt_ci(story.value, story.details.get("interval")) if story else na,
            c2[0][0].verdict if c2 else na])
    headers = ["model", "type", "paper gen", "paper comp", "paper C-G", "measured gen S", "measured comp S",
               "measured C-G (paper's metric)", "nulls' C-G", "specific gen vs comp (null mean - S)",
               "specific G-C (C2)", "specific G-C, story only", "C2"]
    return "\n".join([table(rows, headers), "", _caption([r for r, _ in C1.read(records)], (
        "S neutral baseline; C-G = S_comp - S_gen, the paper's metric, beside the same difference of the "
        "label-shuffled nulls (basic-bootstrap 95% interval); C2 decides on the emotion-specific part "
        "(null mean - S), generation minus comprehension, with 95% intervals from jackknife standard errors "
        "(one topic or one passage left out at a time); 'story only' re-reads the stories without the prompt "
        "that names the emotion; generation applies to instruct models only"))])


def rlhf_table(records: list[ClaimRecord], kinds: dict[str, str]) -> str:
    rows = []
    for base, p in paper_values()["rlhf_generation"].items():
        g_i, g_b = _s_middle(records, f"{base}-instruct", "generation"), _s_middle(records, base, "generation")
        rows.append([base, p["instruct"], p["base"], p["delta"], fmt(g_i) if g_i is not None else NOT_RUN,
                     fmt(g_b) if g_b is not None else NOT_RUN,
                     fmt(g_b - g_i) if g_i is not None and g_b is not None else NOT_RUN])
    return "\n".join([table(rows, ["family (base key)", "paper instruct gen", "paper base gen", "paper delta",
                                   "measured instruct gen", "measured base gen", "measured delta"]), "",
                      "_Generation S at the middle block, neutral baseline; needs a base and an instruct "
                      "model of one family in the run (base models cannot be asked for stories here)._"])


C2: Claim[GenVsCompDetails] = Claim(
    id="C2", short="generation beats comprehension", section="4.2", statement="generation-based vectors separate better than comprehension-based ones",
    axis="extraction method", axis_values=("generation",),
    metric="specific_gen_minus_comp", details=GenVsCompDetails, check=_c2_check,
    applies=_extraction_applies, paper=_c2_paper,
    tables=(Table("Table 2: generation vs comprehension", table2_separation),
            Table("Section 4.3: instruction tuning (generation S)", rlhf_table)))


# ---------------------------------------------------------------- C3: opposite pairs


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


def _c3_test(g: Geometry, block: int | None) -> TestResult[OppositePairsDetails]:
    r = g.at(block)
    low = min(r.opposite.values())
    passes = interval_side(r.min_opposite_ci, th.OPPOSITE_MIN_COSINE, above=True)
    reason = (", ".join(f"{k} {v:.3f}" for k, v in r.opposite.items())
              + f" (all must be > {th.OPPOSITE_MIN_COSINE}; lowest {low:.3f} [{r.min_opposite_ci[0]:.3f}, "
              f"{r.min_opposite_ci[1]:.3f}]) at block {r.block}; minus S {r.separation:.3f}: "
              + ", ".join(f"{k} {v:+.3f}" for k, v in r.opposite_minus_s.items()))
    return TestResult(passes, low, r.min_opposite_ci, reason, OppositePairsDetails(
        neutral=r.opposite, centred=r.opposite_centred, minus_separation=r.opposite_minus_s,
        minus_separation_ci={k: list(v) for k, v in r.opposite_minus_s_ci.items()},
        null_all_positive_share=r.null_all_opposite_positive, baseline="neutral (centred beside)", layer=r.block,
        cosine_matrix=cosine_matrix(g.vectors["neutral"][r.block]).tolist()))


def _c3_null(g: Geometry, block: int | None, control: Geometry | None) -> ControlReading:
    r = g.at(block)
    return ControlReading("share of label shuffles with every opposite pair > 0", r.null_all_opposite_positive,
                          r.null_all_opposite_positive >= th.CONTROL_PASS_SHARE)


def _c3_check(ev: Evidence, method: str) -> list[Finding]:
    return _geometry_findings(C3, ev, method, _c3_test, _c3_null)


def _c3_paper(model: str, family: str) -> PaperRef:
    low = min(paper_values()["opposite_pairs"].items(), key=lambda kv: kv[1]["cosine"])
    return PaperRef(low[1]["cosine"], f"section 4.5, lowest reported ({low[0]}, {low[1]['model']})")


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
                      _caption([r for r, _ in recs], (
                          "cosine, neutral baseline; in brackets the pair's cosine minus the mean pair cosine S "
                          "with its basic-bootstrap 95% interval (below 0: the opposites are less alike than an average "
                          "pair, the informative reading); 'shuffles with all pairs > 0' is the label-shuffled "
                          "control under the paper's test"))])


C3: Claim[OppositePairsDetails] = Claim(
    id="C3", short="no negative opposite-pair cosine", section="4.5", statement="no opposite pair has a negative cosine under the neutral baseline",
    axis="extraction method", axis_values=METHODS,
    metric="min_opposite_pair_cosine", details=OppositePairsDetails, check=_c3_check,
    applies=_extraction_applies, paper=_c3_paper,
    tables=(Table("Section 4.5: opposite pairs", opposite_pairs_table),))


# ---------------------------------------------------------------- C4: below the anisotropy baseline


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


def _c4_test(g: Geometry, block: int | None) -> TestResult[AnisotropyDetails]:
    r = g.at(block)
    passes = interval_side(r.gap_ci, th.ANISOTROPY_MIN_GAP, above=True)
    reason = (f"B {r.anisotropy:.3f} - S {r.separation:.3f} = {r.gap:.3f} [{r.gap_ci[0]:.3f}, {r.gap_ci[1]:.3f}] "
              f"at block {r.block} (needs > {th.ANISOTROPY_MIN_GAP}); B - null mean {r.null_gap:.3f}")
    return TestResult(passes, r.gap, r.gap_ci, reason, AnisotropyDetails(
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
    return _geometry_findings(C4, ev, method, _c4_test, _c4_null)


def _c4_paper(model: str, family: str) -> PaperRef:
    pv = paper_values()["anisotropy"]
    src = model if model in pv else "smollm2-1.7b-instruct"
    return PaperRef(pv[src].get("gap"), f"section 4.5 anisotropy table, {src}")


def anisotropy_table(records: list[ClaimRecord], kinds: dict[str, str]) -> str:
    pv, labels = paper_values()["anisotropy"], paper_values()["anisotropy_labels"]
    rows = [[m, f"paper ({labels.get(m, '?')})", fmt(pv.get(m, {}).get("B")), fmt(pv.get(m, {}).get("S")),
             fmt(pv.get(m, {}).get("gap")), "—", "—"] for m in labels]
    recs = C4.read(records)
    rows += [[r.model, r.method, fmt(d.B), fmt(d.S), fmt_ci(r.value, r.details.get("interval")), fmt(d.null_gap),
              r.verdict] for r, d in recs]
    return "\n".join([table(rows, ["model", "method", "B (neutral sentences)", "S (emotion vectors)", "gap B - S",
                                   "B - null mean (control)", "C4"]), "",
                      _caption([r for r, _ in recs], (
                          "B = mean pairwise cosine of raw last-token states of 20 neutral sentences; S neutral "
                          "baseline; basic-bootstrap 95% interval over passages/stories and sentences; the control is "
                          "the same gap for label-shuffled vectors: when it is positive too, C4 is uninformative"))])


C4: Claim[AnisotropyDetails] = Claim(
    id="C4", short="below the anisotropy baseline", section="4.5", statement="emotion vectors sit below the anisotropy baseline (gap B - S > 0)",
    axis="extraction method", axis_values=METHODS,
    metric="anisotropy_gap", details=AnisotropyDetails, check=_c4_check,
    applies=_extraction_applies, paper=_c4_paper,
    tables=(Table("Section 4.5: anisotropy baseline", anisotropy_table),))


# ---------------------------------------------------------------- C11: weak valence


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


def _c11_test(g: Geometry, block: int | None) -> TestResult[ValenceDetails]:
    r = g.at(block)
    passes = interval_side(r.valence_ci, th.VALENCE_WEAK_BELOW, above=False)
    reason = (f"|rho(PC1, valence)| {r.valence:.3f} [{r.valence_ci[0]:.3f}, {r.valence_ci[1]:.3f}] neutral, "
              f"{r.valence_centred:.3f} centred at block {r.block}; weak means < {th.VALENCE_WEAK_BELOW}")
    specific = _c12_test(g, block).passes
    return TestResult(passes, r.valence, r.valence_ci, reason, ValenceDetails(
        valence={"neutral": r.valence, "centred": r.valence_centred}, valence_ci=list(r.valence_ci),
        arousal={"neutral": r.arousal}, emotion_specific=specific, baseline="neutral (centred beside)",
        layer=r.block, pc_scores=pc_scores(g.vectors["neutral"][r.block]).tolist(),
        valences=g.valences, arousals=g.arousals))


def _c11_null(g: Geometry, block: int | None, control: Geometry | None) -> ControlReading:
    # A weak valence reading on vectors that carry no emotion says nothing about emotions;
    # nor does one on vectors whose specificity a random-weight copy matches (C12 uninformative).
    # Where either C12 reading is itself undecided, so is this gate.
    own = _c12_test(g, block).passes
    copy = None if control is None else _c12_test(control, block).passes
    not_specific = own is False or copy is True
    undecided = not not_specific and (own is None or (control is not None and copy is None))
    return ControlReading("vectors not emotion-specific (C12 does not hold)", not_specific, not_specific,
                          undecided=undecided)


def _c11_check(ev: Evidence, method: str) -> list[Finding]:
    return _geometry_findings(C11, ev, method, _c11_test, _c11_null)


def _no_paper_number(model: str, family: str) -> PaperRef:
    return PaperRef(None, "the paper reports no number for this")


def _gate(r: ClaimRecord) -> Any:
    controls = r.details.get("controls") or []
    return controls[0].get("value") if controls else None


def valence_table(records: list[ClaimRecord], kinds: dict[str, str]) -> str:
    recs = C11.read(records)
    rows = [[r.model, r.method, fmt_ci(d.valence["neutral"], d.valence_ci), fmt(d.valence["centred"]),
             fmt(d.arousal["neutral"]), fmt(_gate(r)), r.verdict] for r, d in recs]
    return "\n".join([table(rows, ["model", "method", "abs Spearman(PC1, valence), neutral", "centred",
                                   "abs Spearman(PC2, arousal), neutral",
                                   "not emotion-specific (C12 fails, or its random-weight copy passes)",
                                   "C11 (weak < 0.5)"]), "",
                      _caption([r for r, _ in recs], (
                          "percentile-bootstrap 95% interval widened to include the estimate (PC1 can swap with PC2 "
                          "between resamples); weak needs the whole interval below 0.5; on vectors that are "
                          "not emotion-specific (C12 not holding), or when the random-weight copy is weak too, the "
                          "reading is uninformative; inconclusive while its own interval straddles 0.5 or while "
                          "C12 or the copy's reading is undecided; paper: "
                          "valence structure weak, compressed by anisotropy"))])


C11: Claim[ValenceDetails] = Claim(
    id="C11", short="weak valence", section="4.5, 7.1", statement="valence organisation of the emotion space is weak in small models",
    axis="extraction method", axis_values=METHODS,
    metric="valence_pc1_abs_spearman", details=ValenceDetails, check=_c11_check,
    applies=_extraction_applies, paper=_no_paper_number,
    tables=(Table("Section 4.5 / 7.1: valence organisation", valence_table),))


# ---------------------------------------------------------------- C12: emotion specificity (our control)


@dataclass(frozen=True)
class SpecificityDetails:
    S: float
    null_mean: float
    null_sd: float
    null_p05: float
    null_k: int  # shuffles with S at or below the observed
    n_permutations: int
    p: float  # (k + 1) / (N + 1)
    p_mc_interval: list[float]
    strata: str
    heldout_kind: str
    heldout_top1: float
    heldout_n: int
    heldout_ci: list[float]
    heldout_p: float
    heldout_best_block: int
    heldout_best_top1: float
    transfer_top1: float | None  # generation vectors labelling held-out passages
    baseline: str
    layer: int
    null_p05_per_block: list[float]


def _c12_test(g: Geometry, block: int | None) -> TestResult[SpecificityDetails]:
    r = g.at(block)
    t = r.null
    below = t.below(th.SPECIFICITY_ALPHA)
    hits = round(r.heldout_top1 * r.n_heldout)
    binom = stats.binomtest(hits, r.n_heldout, 1 / 20, alternative="greater")
    held_ci = stats.binomtest(hits, r.n_heldout).proportion_ci(th.BOOTSTRAP_CONFIDENCE, method="exact")
    held = interval_side((held_ci.low, held_ci.high), 1 / 20, above=True)
    passes = False if below is False or held is False else (None if below is None or held is None else True)
    mc = t.mc_interval
    best = max(range(g.n_layers), key=lambda i: g.heldout_top1[i])
    reason = (f"S {t.observed:.3f} vs label-shuffled null mean {t.null_mean:.3f} (sd {t.null_sd:.3f}) at block "
              f"{r.block}: permutation p = ({t.k}+1)/({t.n}+1) = {t.p:.4g}"
              + (" (no shuffle as low: the smallest p this many shuffles can give)" if t.at_floor else "")
              + f", Monte-Carlo 95% [{mc[0]:.4g}, {mc[1]:.4g}] (needs < {th.SPECIFICITY_ALPHA}); {g.heldout_kind} "
              f"top-1 {r.heldout_top1:.3f} of {r.n_heldout} [{held_ci.low:.3f}, {held_ci.high:.3f}] (its interval must "
              f"lie above chance 0.05; binomial p={binom.pvalue:.3g})"
              + (f"; transfer to held-out passages {r.transfer_top1:.3f}" if r.transfer_top1 is not None else ""))
    note = f"floor: no shuffle of {t.n} as low" if t.at_floor else None
    return TestResult(passes, t.p, mc, reason, note=note, details=SpecificityDetails(
        S=t.observed, null_mean=t.null_mean, null_sd=t.null_sd, null_p05=t.null_p05, null_k=t.k,
        n_permutations=t.n, p=t.p, p_mc_interval=list(mc), strata=g.strata, heldout_kind=g.heldout_kind,
        heldout_top1=r.heldout_top1, heldout_n=r.n_heldout, heldout_ci=[held_ci.low, held_ci.high],
        heldout_p=binom.pvalue, heldout_best_block=best, heldout_best_top1=g.heldout_top1[best],
        transfer_top1=r.transfer_top1, baseline="neutral", layer=r.block, null_p05_per_block=g.null_p05))


def _c12_null(g: Geometry, block: int | None, control: Geometry | None) -> ControlReading:
    return ControlReading("label-shuffled null mean S (the test's reference)", g.at(block).null.null_mean, None)


@dataclass(frozen=True)
class TransferDetails:
    transfer: dict[str, float]
    layer: int
    chance: float


@dataclass(frozen=True)
class HeldoutDetails:
    heldout_kind: str
    heldout_n: int
    heldout_p: float
    heldout_best_block: int
    heldout_best_top1: float
    transfer_top1: float | None
    layer: int
    right_only_model: int  # held-out items the model labels right and its random-weight copy wrong
    right_only_copy: int
    p_beats_copy: float  # exact one-sided McNemar


def _heldout_reading(d: SpecificityDetails, copy: SpecificityDetails, model_hits: tuple[bool, ...],
                     copy_hits: tuple[bool, ...]) -> Check[HeldoutDetails]:
    """C12's second half on its own row: held-out top-1 at the middle block vs 20-way chance,
    against the random-weight copy labelling the same items (exact one-sided McNemar: a copy at
    chance straddles 0.05 at any size, so "the copy passes too" is decided pair by pair)."""
    side = interval_side((d.heldout_ci[0], d.heldout_ci[1]), 1 / 20, above=True)
    if len(model_hits) != len(copy_hits) or not model_hits:
        raise HarnessError(f"C12: the model labelled {len(model_hits)} held-out items and its random-weight copy "
                           f"{len(copy_hits)}; rerun both from the same extraction")
    only_model, only_copy, p = mcnemar_greater(model_hits, copy_hits)
    control = ControlReading(RANDOM_COPY, f"top-1 {copy.heldout_top1:.3f}; the model beats it p={p:.2g} (exact "
                             f"McNemar: {only_model} items right only for the model, {only_copy} only for the copy)",
                             p >= th.CONTROL_ALPHA)
    verdict = decide(side, [control])
    return Check(verdict == "holds", d.heldout_top1, f"{d.heldout_kind} top-1 {d.heldout_top1:.3f} of {d.heldout_n} "
                 f"[{d.heldout_ci[0]:.3f}, {d.heldout_ci[1]:.3f}] vs chance 0.05 at block {d.layer} (one half of "
                 f"C12; best block {d.heldout_best_block}: {d.heldout_best_top1:.3f}); random-weight copy on the same "
                 f"items {copy.heldout_top1:.3f}, beaten p={p:.2g} (needs < {th.CONTROL_ALPHA})",
                 HeldoutDetails(heldout_kind=d.heldout_kind, heldout_n=d.heldout_n, heldout_p=d.heldout_p,
                                heldout_best_block=d.heldout_best_block, heldout_best_top1=d.heldout_best_top1,
                                transfer_top1=d.transfer_top1, layer=d.layer, right_only_model=only_model,
                                right_only_copy=only_copy, p_beats_copy=p),
                 outcome=verdict, interval=(d.heldout_ci[0], d.heldout_ci[1]), controls=(control,))


def _c12_check(ev: Evidence, method: str) -> list[Finding]:
    out = _geometry_findings(C12, ev, method, _c12_test, _c12_null)
    hits = [ev.geometry(method, "primary", w).at().heldout_hits for w in ("trained", "random")]
    out.append(C12.finding(ev, _heldout_reading(out[0].check.details, out[1].check.details, *hits),
                           ev.context(method), "heldout_top1"))
    if ev.replication is not None and method == "comprehension":
        acc = ev.cross_set_transfer()
        g = ev.geometry(method)
        out.append(C12.finding(ev, Check(None, min(acc.values()), "cross-set transfer: comprehension vectors of one "
                                         "stimulus set labelling the other set's held-out passages: "
                                         + ", ".join(f"{k} {v:.3f}" for k, v in acc.items()),
                                         TransferDetails(transfer=acc, layer=g.middle, chance=1 / 20)),
                               ev.context(method), "cross_set_transfer_top1"))
    return out


def specificity_table(records: list[ClaimRecord], kinds: dict[str, str]) -> str:
    recs = C12.read(records)
    rows = [[r.model, r.method, fmt(d.S), f"{fmt(d.null_mean)} (sd {fmt(d.null_sd, 2)})",
             (f"<= {fmt(d.p, 2)} (floor: no shuffle as low of {d.n_permutations})" if d.null_k == 0 else
              f"{fmt(d.p, 3)} [{fmt(d.p_mc_interval[0], 2)}, {fmt(d.p_mc_interval[1], 2)}] of {d.n_permutations}"),
             d.heldout_kind, fmt_ci(d.heldout_top1, d.heldout_ci), fmt(d.transfer_top1), r.verdict]
            for r, d in recs]
    return "\n".join([table(rows, ["model", "method", "S", "null mean", "permutation p [MC 95%]",
                                   "held-out", "held-out top-1 (chance 0.05)", "transfer to passages", "C12"]), "",
                      _caption([r for r, _ in recs], (
                          "neutral baseline; null: emotion labels shuffled (generation: within each story index, "
                          "so every shuffled class keeps one story per topic); p = (k+1)/(N+1) with its "
                          "Monte-Carlo interval; generation's held-out is leave-one-story-out, its labelling of "
                          "held-out passages is transfer; the paper has no such control"))])


def controls_table(records: list[ClaimRecord], kinds: dict[str, str]) -> str:
    """Every geometry verdict beside the random-weight copy's and the second stimulus set's."""
    rows = []
    sets: set[str] = set()
    for claim in GEOMETRY_CLAIMS:
        for r in sorted((r for r in records if r.claim == claim.id and r.metric == claim.metric
                         and r.verdict != "not applicable"), key=lambda r: (r.model, r.method)):
            copy = next((x for x in records if x.claim == claim.id and x.model == r.model and x.method == r.method
                         and x.metric == f"{claim.metric} ({RANDOM_COPY})"), None)
            rep = next((x for x in records if x.claim == claim.id and x.model == r.model and x.method == r.method
                        and x.metric.startswith(f"{claim.metric} (stimuli ")), None)
            if rep is not None:
                sets.add(str(rep.details.get("stimulus_set")))
            adj = r.details.get("adjacent_blocks") or {}
            vals = r.details.get("adjacent_values") or {}
            agree = ("—" if rep is None else "agrees" if rep.verdict == r.verdict else "stimulus-dependent")
            rows.append([claim.id, r.model, r.method, r.verdict,
                         ", ".join(f"{b}: {adj[b]} ({fmt(vals.get(b))})" for b in sorted(adj, key=int)) or "—",
                         copy.verdict if copy else "—", rep.verdict if rep else "—", agree])
    transfer = [[r.model, ", ".join(f"{k} {fmt(v)}" for k, v in r.details.get("transfer", {}).items())]
                for r in records if r.claim == "C12" and r.metric == "cross_set_transfer_top1"]
    out = [table(rows, ["claim", "model", "method", "verdict", "verdicts at middle-1, middle, middle+1",
                        f"on the {RANDOM_COPY}", f"on stimuli {', '.join(sorted(sets)) or '(none)'}",
                        "between stimulus sets"]), "",
           _caption([r for r in records if r.claim == "C12"], (
               "the random-weight copy has the model's architecture and tokenizer with seeded random weights (it "
               "re-reads the model's own stories for generation); the second stimulus set is a comprehension set "
               "drafted from randomly drawn scenes by a writer who had not read the first, so generation rows have "
               "no replication"))]
    if transfer:
        out += ["", table(transfer, ["model", "cross-set transfer: top-1 on the other set's held-out passages "
                                     "(middle block, chance 0.05)"])]
    return "\n".join(out)


C12: Claim[SpecificityDetails] = Claim(
    id="C12", short="emotion-specific (our control)", section="control the paper lacks",
    statement="separation is emotion-specific: below a label-shuffled null, and held-out passages above chance",
    axis="extraction method", axis_values=METHODS,
    metric="permutation_p", details=SpecificityDetails, check=_c12_check,
    applies=_extraction_applies, paper=_no_paper_number,
    tables=(Table("Control: emotion specificity (C12)", specificity_table),
            Table("Controls and replication: every geometry verdict", controls_table)))

GEOMETRY_CLAIMS: tuple[Claim[Any], ...] = (C1, C2, C3, C4, C11, C12)
