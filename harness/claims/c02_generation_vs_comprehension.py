"""C2 (paper 4.2): generation-based vectors separate better than comprehension-based ones.

Decided on the emotion-specific part of the separation (null mean - S); the paper's raw
S_comp - S_gen is recorded beside, with the nulls' own difference."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

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
)
from harness.claims.c01_u_curve import C1
from harness.claims.geometry_judging import (
    GeometryResult,
    caption,
    extraction_applies,
    findings,
    reading,
)
from harness.claims.markdown import NOT_RUN, fmt, fmt_ci, measured_models, table
from harness.claims.record import ClaimRecord
from harness.claims.ruling import above, all_of
from harness.experiments.geometry_run import Geometry
from harness.metrics.resampling import basic_interval
from harness.protocol import middle_block
from harness.stimuli.loading import paper_values


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


def _specific_difference(gen: Geometry, comp: Geometry, block: int | None) -> GeometryResult[GenVsCompDetails]:
    """C2 on the emotion-specific part: (null mean - S) of generation minus that of
    comprehension; its interval from the two jackknife standard errors (independent samples)."""
    rg, rc = gen.at(block), comp.at(block)
    diff = rg.specific - rc.specific
    se = math.hypot(rg.specific_se, rc.specific_se)  # independent samples
    z = float(stats.norm.ppf(0.5 + th.BOOTSTRAP_CONFIDENCE / 2))
    ci = (diff - z * se, diff + z * se)
    bound = above("emotion-specific separation, generation minus comprehension", diff, ci,
                  th.GEN_VS_COMP_MIN_DIFFERENCE)
    reason = (f"emotion-specific separation (null mean - S) generation {rg.specific:.3f} "
              f"[{rg.specific_ci[0]:.3f}, {rg.specific_ci[1]:.3f}] vs comprehension {rc.specific:.3f} "
              f"[{rc.specific_ci[0]:.3f}, {rc.specific_ci[1]:.3f}] at block {rg.block}: difference {diff:.3f} "
              f"[{ci[0]:.3f}, {ci[1]:.3f}] (needs > {th.GEN_VS_COMP_MIN_DIFFERENCE})")
    return GeometryResult((bound,), diff, ci, reason, GenVsCompDetails(
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
    passes, ruled = all_of([above("S_comp - S_gen", diff, ci, 0.0)])
    verdict = decide(passes, [control])
    reason = (f"the paper's metric: S_comp {rc.separation:.3f} - S_gen {rg.separation:.3f} = {diff:.3f} "
              f"[{ci[0]:.3f}, {ci[1]:.3f}] at block {rg.block}; the label-shuffled nulls differ by "
              f"{null_diff:.3f} the same way, so raw S mixes read position and stimuli with emotion")
    return Check(verdict == "holds", diff, reason, RawSeparationDetails(
        s_generation=rg.separation, s_comprehension=rc.separation, null_difference=null_diff, layer=rg.block),
        outcome=verdict, interval=ci, controls=(control,), ruled_out=ruled)


# The paper reports raw S only; its metric (S_comp - S_gen) is the s_comp_minus_s_gen record.
SPECIFIC_PAPER = PaperRef(None, "the paper reports raw S only (Table 2): its metric is s_comp_minus_s_gen")


def _c2_test(pair: tuple[Geometry, Geometry], block: int | None) -> GeometryResult[GenVsCompDetails]:
    return _specific_difference(*pair, block)


def _c2_null(pair: tuple[Geometry, Geometry], block: int | None, control: Any) -> ControlReading:
    return ControlReading("label-shuffled nulls (subtracted in the metric)", None, None)


def _c2_check(ev: Evidence, method: str) -> list[Finding]:
    def pair(which: str, weights: str) -> tuple[Geometry, Geometry]:
        return ev.geometry("generation", weights=weights), ev.geometry("comprehension", which, weights)

    out = findings(C2, ev, "generation vs comprehension", _c2_test, _c2_null, pair,
                    lambda p: sorted(p[0].adjacent), replicate=True, paper=SPECIFIC_PAPER)
    gen, comp = pair("primary", "trained")
    ctx = ev.context("generation vs comprehension")
    story = reading(_specific_difference(ev.geometry("generation-story"), comp, None), [],
                    "stories re-read without the prompt that names the emotion: ")
    return [out[0], C2.finding(ev, _raw_difference(gen, comp), ctx, "s_comp_minus_s_gen"),
            Finding("specific_gen_story_only_minus_comp", story,
                    {**ctx, "method": "generation (story only) vs comprehension"}, SPECIFIC_PAPER), *out[1:]]


def _c2_paper(model: str, family: str, axis_value: str = "") -> PaperRef:
    t2 = paper_values()["table2_separation"]
    row = t2.get(model, {})
    if "generation" in row and "comprehension" in row:
        return PaperRef(round(row["comprehension"] - row["generation"], 3), f"Table 2, {model} (S_comp - S_gen)")
    ref = t2["smollm2-1.7b-instruct"]
    return PaperRef(round(ref["comprehension"] - ref["generation"], 3),
                    "Table 2, smollm2-1.7b-instruct (S_comp - S_gen)")


def s_middle(records: list[ClaimRecord], model: str, method: str) -> float | None:
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
        g, c = (s_middle(records, m, "generation"), s_middle(records, m, "comprehension")) if ran else (None, None)
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
    return "\n".join([table(rows, headers), "", caption([r for r, _ in C1.read(records)], (
        "S neutral baseline; C-G = S_comp - S_gen, the paper's metric, beside the same difference of the "
        "label-shuffled nulls (basic-bootstrap 95% interval); C2 decides on the emotion-specific part "
        "(null mean - S), generation minus comprehension, with 95% intervals from jackknife standard errors "
        "(one topic or one passage left out at a time); 'story only' re-reads the stories without the prompt "
        "that names the emotion; generation applies to instruct models only"))])


def rlhf_table(records: list[ClaimRecord], kinds: dict[str, str]) -> str:
    rows = []
    for base, p in paper_values()["rlhf_generation"].items():
        g_i, g_b = s_middle(records, f"{base}-instruct", "generation"), s_middle(records, base, "generation")
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
    applies=extraction_applies, paper=_c2_paper,
    tables=(Table("Table 2: generation vs comprehension", table2_separation),
            Table("Section 4.3: instruction tuning (generation S)", rlhf_table)),
    test=("emotion-specific separation (null mean - S) at the middle block, generation minus "
          "comprehension, with a 95% interval from jackknife standard errors above the cut "
          "(instruct models only)"),
    control=("the random-weight copy under the same test; the paper's raw S_comp - S_gen is "
             "recorded beside with the label-shuffled nulls' own difference, and a re-read of the "
             "stories without their prompt"),
    thresholds=("GEN_VS_COMP_MIN_DIFFERENCE", "BOOTSTRAP_CONFIDENCE", "NULL_PER_REPLICATE"))


