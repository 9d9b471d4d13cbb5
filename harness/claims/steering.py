"""The steering claims C5-C10: declared once each, with check, paper values and tables.

Each check reads one (model, prompting mode) steering run
(harness.experiments.steering_grid.SteeringRun); thresholds come from harness.thresholds only.
"""

from __future__ import annotations

import math
import statistics
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from scipy import stats as sps

from harness import thresholds as th
from harness.claims.base import Check, Claim, Evidence, Finding, PaperRef, Table, parse_details
from harness.claims.markdown import fmt, provenance, steering_caption, table
from harness.claims.record import ClaimRecord, is_pooled, pooled_key
from harness.experiments.extraction import supports
from harness.experiments.steering_grid import (
    PROMPTINGS,
    Direction,
    SteeringRun,
    SteerRow,
    supports_prompting,
)
from harness.models.loading import ModelHandle
from harness.stimuli.loading import paper_values

REGIMES = ("surgical", "repetitive", "explosive")


def _signed(run: SteeringRun, row: SteerRow, attr: str) -> float:
    """sign * (steered - unsteered) of a row attribute: > 0 means it moved the scenario's way."""
    return row.sign * (getattr(row, attr) - getattr(run.baseline(row), attr))


def _mean_finite(values) -> float:
    vals = [v for v in values if not math.isnan(v)]
    return statistics.fmean(vals) if vals else math.nan


def _share(flags: Sequence[bool]) -> float:
    return sum(flags) / len(flags) if flags else math.nan


def is_degenerate(stats: dict) -> bool:
    return (stats["loop_share"] >= th.LOOP_SHARE_MAX or stats.get("char_loop_share", 0.0) >= th.LOOP_SHARE_MAX
            or stats["distinct2"] < th.DISTINCT2_MIN)


def degenerate_share(rows: Sequence[SteerRow]) -> float:
    return _share([is_degenerate(r.stats) for r in rows])


def median_ppl(rows: Sequence[SteerRow]) -> float:
    vals = [r.perplexity for r in rows if not math.isnan(r.perplexity)]
    return statistics.median(vals) if vals else math.nan


def flip_rate(run: SteeringRun, strength: float, direction: Direction = "emotion") -> tuple[float, int, int]:
    rows = run.select(direction, strength)
    flips = [_signed(run, r, "target") > 0 for r in rows if not math.isnan(r.target)]
    return _share(flips), sum(flips), len(flips)


def _applies(handle: ModelHandle, prompting: str) -> str | None:
    return supports_prompting(handle, prompting) or supports(handle, "comprehension")  # type: ignore[arg-type]


SCENARIO_COLUMNS = (("calm", "Calm"), ("hostile", "Hostile"), ("happy", "Happy"), ("desperate", "Desperate"),
                    ("anti_calm", "Anti-Calm"))


# ---------------------------------------------------------------- C5: steering moves the target


@dataclass(frozen=True)
class MovesDetails:
    strength: float
    per_scenario: dict[str, dict[str, float]]
    random_rate: float
    rate_by_strength: dict[str, float]


def steering_moves(run: SteeringRun, strength: float = th.SCENARIO_STRENGTH) -> Check[MovesDetails]:
    """C5: readout delta (unsteered re-read of the steered text) > 0 in most prompts."""
    rows = run.select("emotion", strength)
    moved = [_signed(run, r, "readout") > 0 for r in rows]  # nan (empty continuation) counts as not moved
    rate = _share(moved)
    rnd = [_signed(run, r, "readout") > 0 for r in run.select("random", strength)]
    per_scenario = {s.id: {
        "readout_delta": statistics.fmean(_signed(run, r, "readout") for r in run.select("emotion", strength, s.id)),
        "activation_delta": statistics.fmean(_signed(run, r, "activation")
                                             for r in run.select("emotion", strength, s.id))}
        for s in run.scenarios}
    by_strength = {str(a): _share([_signed(run, r, "readout") > 0 for r in run.select("emotion", a)])
                   for a in th.STRENGTHS if a > 0}
    reason = (f"readout delta > 0 in {sum(moved)}/{len(moved)} prompts at strength {strength} "
              f"(needs > {th.MOST:.0%}); random direction: {sum(rnd)}/{len(rnd)}")
    return Check(rate > th.MOST, rate, reason, MovesDetails(strength=strength, per_scenario=per_scenario,
                                                            random_rate=_share(rnd), rate_by_strength=by_strength))


def _c5_check(ev: Evidence, prompting: str) -> list[Finding]:
    run = ev.steering(prompting)
    return [C5.finding(ev, steering_moves(run), ev.steering_context(run))]


def _c5_paper(model: str, family: str) -> PaperRef:
    row = paper_values()["table4_activation_delta"].get(model)
    if row:
        return PaperRef(min(row.values()), f"Table 4, {model}: smallest activation delta (all 5 scenarios > 0)")
    return PaperRef(1.0, "Table 4: every scenario of all 9 models moves the expected way (share 1.0)")


def table4_deltas(records: list[ClaimRecord], kinds: dict[str, str]) -> str:
    pv = paper_values()
    t4, ids = pv["table4_activation_delta"], pv["table4_scenarios"]
    recs = C5.read(records)
    ran = {r.model for r, _ in recs}
    rows = [[m, "paper", *[v[c] for c, _ in SCENARIO_COLUMNS]] for m, v in t4.items() if m not in ran]
    rows += [[m, "paper", *[v[c] for c, _ in SCENARIO_COLUMNS]] for m, v in t4.items() if m in ran]
    for r, d in recs:
        rows.append([r.model, r.method, *[
            f"{fmt(d.per_scenario[ids[c]]['activation_delta'], 3)} ({fmt(d.per_scenario[ids[c]]['readout_delta'], 2)})"
            if ids[c] in d.per_scenario else "—" for c, _ in SCENARIO_COLUMNS]])
    note = ("measured: activation delta (last prompt token, hooks on) with the readout delta (unsteered "
            "re-read of the steered text) in brackets, mean over the scenario's prompts at strength "
            f"{recs[0][1].strength if recs else '?'}; paper rows list models it ran (strength "
            "not stated); paper models absent from this run are not run. Paper 5.5, instruct/base delta ratio: "
            + ", ".join(f"{k} {v}" for k, v in pv["rlhf_steering_ratio"].items())
            + " (not measured here: no base/instruct pair among the embedded models)")
    return "\n".join([table(rows, ["model", "source / prompting", *[h for _, h in SCENARIO_COLUMNS]]), "",
                      steering_caption([r for r, _ in recs], note)])


C5: Claim[MovesDetails] = Claim(
    id="C5", section="5.1, Table 4", statement="steering moves the target emotion in every model",
    axis="prompting mode", axis_values=PROMPTINGS,
    metric="share of prompts with readout delta > 0", details=MovesDetails, check=_c5_check, applies=_applies,
    paper=_c5_paper, tables=(Table("Table 4: steering activation deltas", table4_deltas),))


# ---------------------------------------------------------------- C6: classifier-confirmed flips


@dataclass(frozen=True)
class FlipsDetails:
    strength: float
    flips: int
    n: int
    random_rate: float | None
    random_flips: int
    random_n: int
    classifier: str


@dataclass(frozen=True)
class ModelFlipsDetails(FlipsDetails):
    rate_by_strength: dict[str, float]
    rate_by_scenario: dict[str, float]


@dataclass(frozen=True)
class PooledFlipsDetails(FlipsDetails):
    models: list[str]


def classifier_flips(run: SteeringRun, strength: float = th.SCENARIO_STRENGTH) -> Check[ModelFlipsDetails]:
    """C6: share of scenario prompts whose target-label score moves the expected way."""
    rate, k, n = flip_rate(run, strength)
    r_rate, rk, rn = flip_rate(run, strength, "random")
    by_strength = {str(a): flip_rate(run, a)[0] for a in th.STRENGTHS if a > 0}
    by_scenario = {s.id: _share([_signed(run, r, "target") > 0 for r in run.select("emotion", strength, s.id)])
                   for s in run.scenarios}
    reason = (f"{run.classifier} confirms {k}/{n} flips at strength {strength} ({rate:.0%}; needs >= "
              f"{th.FLIP_RATE_MIN:.0%}); random direction {rk}/{rn} ({r_rate:.0%})")
    return Check(rate >= th.FLIP_RATE_MIN, rate, reason, ModelFlipsDetails(
        strength=strength, flips=k, n=n, random_rate=r_rate, random_flips=rk, random_n=rn,
        classifier=run.classifier, rate_by_strength=by_strength, rate_by_scenario=by_scenario))


def pooled_flips(runs: Sequence[SteeringRun], prompting: str, profile: str,
                 strength: float = th.SCENARIO_STRENGTH) -> tuple[str, Finding]:
    """C6 pooled over models (the paper's 37/40 pools nine): the pooled record's model name and finding.

    The pooled value depends on which models are pooled, so the set is part of its name
    (and of its baseline and expected outcome)."""
    counts = {r.model: flip_rate(r, strength) for r in runs}
    rnd = {r.model: flip_rate(r, strength, "random") for r in runs}
    k, n = sum(c[1] for c in counts.values()), sum(c[2] for c in counts.values())
    rk, rn = sum(c[1] for c in rnd.values()), sum(c[2] for c in rnd.values())
    rate = k / n
    check = Check(rate >= th.FLIP_RATE_MIN, rate,
                  f"{k}/{n} flips pooled over {', '.join(counts)} at strength {strength} "
                  f"(needs >= {th.FLIP_RATE_MIN:.0%}); random direction {rk}/{rn}",
                  PooledFlipsDetails(strength=strength, flips=k, n=n, random_rate=rk / rn if rn else None,
                                     random_flips=rk, random_n=rn, classifier=runs[0].classifier,
                                     models=sorted(counts)))
    name = pooled_key(sorted(counts))
    return name, Finding(C6.metric, check, {"method": prompting, "profile": profile},
                         _c6_paper(name, ""))


def _c6_check(ev: Evidence, prompting: str) -> list[Finding]:
    run = ev.steering(prompting)
    return [C6.finding(ev, classifier_flips(run), ev.steering_context(run))]


def _c6_paper(model: str, family: str) -> PaperRef:
    f = paper_values()["classifier_flips"]
    return PaperRef(f["rate"], f"section 5.2: {f['flips']}/{f['pairs']} scenario pairs, {f['classifier']}")


def flips_table(records: list[ClaimRecord], kinds: dict[str, str]) -> str:
    f = paper_values()["classifier_flips"]
    recs = sorted(C6.read(records), key=lambda rd: (is_pooled(rd[0].model), rd[0].model, rd[0].method))
    rows = [["paper (9 models)", "—", f["classifier"], f"{f['flips']}/{f['pairs']}", f["rate"], "—", "—"]]
    for r, d in recs:
        per_model = parse_details(ModelFlipsDetails, r.details)  # pooled records have no per-strength rates
        by = per_model.rate_by_strength if per_model else {}
        rows.append([r.model, r.method, d.classifier, f"{d.flips}/{d.n}", fmt(r.value, 3),
                     fmt(d.random_rate, 3), ", ".join(f"{a}: {fmt(v, 2)}" for a, v in by.items()) or "—"])
    return "\n".join([table(rows, ["model", "prompting", "classifier", "flips", "rate", "random direction",
                                   "rate at each strength"]), "",
                      steering_caption([r for r, _ in recs], "flip = the target labels' score moves the scenario's "
                                       "way from the unsteered continuation of the same prompt, at strength 0.02")])


C6: Claim[FlipsDetails] = Claim(
    id="C6", section="5.2", statement="the external classifier confirms >= 92% of flips (37/40)",
    axis="prompting mode", axis_values=PROMPTINGS,
    metric="classifier flip rate", details=FlipsDetails, check=_c6_check, applies=_applies,
    paper=_c6_paper, tables=(Table("Section 5.2: classifier flips", flips_table),))


# ---------------------------------------------------------------- C7: dose-response


@dataclass(frozen=True)
class DoseDetails:
    p_value: float
    readout_rho: float
    readout_p: float
    flip_points: dict[str, float | None]
    target_curve: dict[str, float]
    readout_curve: dict[str, float]
    strengths: list[float]
    sweep: list[float]
    per_scenario: dict[str, dict[str, Any]]


def flip_points(run: SteeringRun) -> dict[str, float | None]:
    """Per scenario: the lowest strength at which most of its prompts flip (None if none does)."""
    out: dict[str, float | None] = {}
    for s in run.scenarios:
        out[s.id] = next((a for a in th.STRENGTHS if a > 0 and _share(
            [_signed(run, r, "target") > 0 for r in run.select("emotion", a, s.id)]) > th.MOST), None)
    return out


def dose_response(run: SteeringRun) -> Check[DoseDetails]:
    """C7: Spearman(strength, signed target score) > 0 over 0 + the paper's sweep, p < alpha."""
    xs, ys, ps = [], [], []
    for a in th.DOSE_STRENGTHS:
        for r in run.select("emotion", a):
            if not math.isnan(r.target):
                xs.append(a)
                ys.append(r.sign * r.target)
                ps.append(r.sign * r.readout)
    with warnings.catch_warnings():  # a constant score gives rho = nan, which does not hold
        warnings.simplefilter("ignore", sps.ConstantInputWarning)
        rho, p = sps.spearmanr(xs, ys, alternative="greater")
        rho_read, p_read = sps.spearmanr(xs, [v if not math.isnan(v) else -math.inf for v in ps],
                                         alternative="greater")
    curve = {str(a): statistics.fmean(r.sign * r.target for r in run.select("emotion", a)) for a in th.STRENGTHS}
    readout_curve = {str(a): _mean_finite(r.sign * r.readout for r in run.select("emotion", a))
                     for a in th.STRENGTHS}
    per_scenario = {s.id: {
        "target": [statistics.fmean(r.target for r in run.select("emotion", a, s.id)) for a in th.STRENGTHS],
        "readout": [_mean_finite(r.readout for r in run.select("emotion", a, s.id)) for a in th.STRENGTHS],
        "random_target": {str(a): statistics.fmean(r.target for r in run.select("random", a, s.id))
                          for a in th.RANDOM_STRENGTHS}}
        for s in run.scenarios}
    points = flip_points(run)
    holds = bool(rho > 0 and p < th.DOSE_ALPHA)
    reason = (f"Spearman(strength, signed target score) = {rho:.3f} (p={p:.3g}, needs > 0 with p < "
              f"{th.DOSE_ALPHA}) over {len(xs)} texts; readout rho {rho_read:.3f}; flip points {points}")
    return Check(holds, float(rho), reason, DoseDetails(
        p_value=float(p), readout_rho=float(rho_read), readout_p=float(p_read), flip_points=points,
        target_curve=curve, readout_curve=readout_curve, strengths=list(th.DOSE_STRENGTHS),
        sweep=list(th.STRENGTHS), per_scenario=per_scenario))


def _c7_check(ev: Evidence, prompting: str) -> list[Finding]:
    run = ev.steering(prompting)
    return [C7.finding(ev, dose_response(run), ev.steering_context(run))]


def _c7_paper(model: str, family: str) -> PaperRef:
    d = paper_values()["dose_response_gpt2"]
    lo, hi = d["flip_between"]
    return PaperRef(f"flip {lo}-{hi}", f"section 5.2, GPT-2: anger {d['anger']['before']} -> {d['anger']['after']}, "
                                       f"joy {d['joy']['before']} -> {d['joy']['after']}")


def dose_table(records: list[ClaimRecord], kinds: dict[str, str]) -> str:
    d0 = paper_values()["dose_response_gpt2"]
    recs = C7.read(records)
    rows = [["gpt2 (paper)", "—", "—", "—", f"anger {d0['anger']['before']} -> {d0['anger']['after']}, joy "
             f"{d0['joy']['before']} -> {d0['joy']['after']} between {d0['flip_between'][0]} and "
             f"{d0['flip_between'][1]}"]]
    rows += [[r.model, r.method, fmt(r.value, 3), fmt(d.p_value, 3),
              ", ".join(f"{k}: {fmt(v)}" for k, v in d.flip_points.items())] for r, d in recs]
    return "\n".join([table(rows, ["model", "prompting", "Spearman rho", "p (one-sided)", "flip points"]), "",
                      steering_caption([r for r, _ in recs], "Spearman over strengths 0 + 0.005..0.05, signed target "
                                       "score; flip point = lowest strength at which most of a scenario's prompts "
                                       "flip")])


C7: Claim[DoseDetails] = Claim(
    id="C7", section="5.2 Figure 3, 5.4", statement="dose-response is monotone with a flip point",
    axis="prompting mode", axis_values=PROMPTINGS,
    metric="Spearman(strength, target score)", details=DoseDetails, check=_c7_check, applies=_applies,
    paper=_c7_paper, tables=(Table("Section 5.2 / 5.4: dose-response", dose_table),))


# ---------------------------------------------------------------- C8: three regimes


@dataclass(frozen=True)
class RegimeDetails:
    ppl_low: float
    ppl_high: float
    ppl_ratio: float
    degenerate_share: float
    regime: str
    regime_by_ppl_only: str
    collapse_point: float | None
    ppl_by_strength: dict[str, float]
    degenerate_by_strength: dict[str, float]


def classify_regime(ppl_ratio: float, degenerate: bool) -> str:
    """explosive (PPL ratio at or above the cut), else repetitive (degenerate text), else surgical."""
    if not math.isnan(ppl_ratio) and ppl_ratio >= th.EXPLOSIVE_PPL_RATIO:
        return "explosive"
    return "repetitive" if degenerate else "surgical"


def regime_summary(run: SteeringRun, direction: Direction = "emotion") -> RegimeDetails:
    hi, lo = run.select(direction, th.REGIME_HIGH), run.select("emotion", th.REGIME_LOW)
    ppl_hi, ppl_lo = median_ppl(hi), median_ppl(lo)
    ratio = ppl_hi / ppl_lo if ppl_lo and not math.isnan(ppl_lo) else math.nan
    deg = degenerate_share(hi)
    collapse = next((a for a in th.STRENGTHS if a > 0 and (
        degenerate_share(run.select("emotion", a)) >= th.DEGENERATE_SHARE
        or median_ppl(run.select("emotion", a)) / ppl_lo >= th.EXPLOSIVE_PPL_RATIO)), None)
    return RegimeDetails(
        ppl_low=ppl_lo, ppl_high=ppl_hi, ppl_ratio=ratio, degenerate_share=deg,
        regime=classify_regime(ratio, deg >= th.DEGENERATE_SHARE), regime_by_ppl_only=classify_regime(ratio, False),
        collapse_point=collapse,
        ppl_by_strength={str(a): median_ppl(run.select("emotion", a)) for a in th.STRENGTHS},
        degenerate_by_strength={str(a): degenerate_share(run.select("emotion", a)) for a in th.STRENGTHS})


def regime(run: SteeringRun, paper_label: str | None) -> Check[RegimeDetails]:
    """C8: the regime from PPL ratio + degeneration equals the paper's label for this family."""
    s = regime_summary(run)
    reason = (f"PPL {s.ppl_low:.1f} (0.005) -> {s.ppl_high:.1f} (0.05), ratio {s.ppl_ratio:.2f}; "
              f"degenerate texts at 0.05: {s.degenerate_share:.0%} -> {s.regime} "
              f"(paper: {paper_label}); collapse point {s.collapse_point}")
    return Check(s.regime == paper_label, s.regime, reason, s)


def _c8_check(ev: Evidence, prompting: str) -> list[Finding]:
    run = ev.steering(prompting)
    label = C8.paper(ev.handle.key, ev.handle.family).value
    return [C8.finding(ev, regime(run, label), ev.steering_context(run))]


def _c8_paper(model: str, family: str) -> PaperRef:
    """The paper's regime for a model: its Table 5 row, else its architecture's label."""
    pv = paper_values()
    if model in pv["table5_regimes"]:
        return PaperRef(pv["table5_regimes"][model]["regime"], f"Table 5, {model}")
    label = pv["regime_by_family"].get(family)
    return PaperRef(label, f"section 5.3 (regime follows architecture): {family} models in Table 5" if label
                    else f"Table 5 has no {family} model")


def table5_regimes(records: list[ClaimRecord], kinds: dict[str, str]) -> str:
    t5 = paper_values()["table5_regimes"]
    recs = C8.read(records)
    rows = [[m, "paper", v["ppl_low"], v["ppl_high"], v["ratio"], "—", v["regime"], "—", "—"] for m, v in t5.items()]
    rows += [[r.model, r.method, fmt(d.ppl_low, 3), fmt(d.ppl_high, 3), fmt(d.ppl_ratio, 3),
              fmt(d.degenerate_share, 2), f"{r.value} (paper: {r.paper_value})", d.regime_by_ppl_only,
              fmt(d.collapse_point)] for r, d in recs]
    return "\n".join([table(rows, ["model", "source / prompting", "PPL(0.005)", "PPL(0.05)", "ratio",
                                   "degenerate at 0.05", "regime", "by ratio alone", "collapse point"]), "",
                      steering_caption([r for r, _ in recs], "median perplexity over scenario prompts, scored by "
                                       "the unsteered model; regime rule and cuts in harness/thresholds.py")])


C8: Claim[RegimeDetails] = Claim(
    id="C8", section="5.3, Table 5", statement="steering breaks down in a regime (surgical / repetitive / explosive) "
    "told apart by the perplexity ratio, and the regime follows the architecture",
    axis="prompting mode", axis_values=PROMPTINGS,
    metric="regime", details=RegimeDetails, check=_c8_check, applies=_applies,
    paper=_c8_paper, tables=(Table("Table 5: perplexity and regimes", table5_regimes),))


# ---------------------------------------------------------------- C9: 0.005 is safe


@dataclass(frozen=True)
class SafeDetails:
    degenerate_unsteered: float
    degenerate_safe: float
    ppl_unsteered: float
    ppl_safe: float


def safe_strength(run: SteeringRun) -> Check[SafeDetails]:
    """C9: PPL(0.005)/PPL(0) within a factor of SAFE_PPL_FACTOR of 1, no added degeneration."""
    base, safe = run.select("emotion", 0.0), run.select("emotion", th.SAFE_STRENGTH)
    ratio = median_ppl(safe) / median_ppl(base)
    d0, d1 = degenerate_share(base), degenerate_share(safe)
    f = th.SAFE_PPL_FACTOR
    holds = bool(1 / f <= ratio <= f and d1 <= d0)
    reason = (f"PPL ratio {th.SAFE_STRENGTH}/0 = {ratio:.2f} (needs within [{1 / f:.2f}, {f:.2f}]); "
              f"degenerate texts {d1:.0%} vs {d0:.0%} unsteered (must not rise)")
    return Check(holds, ratio, reason, SafeDetails(degenerate_unsteered=d0, degenerate_safe=d1,
                                                   ppl_unsteered=median_ppl(base), ppl_safe=median_ppl(safe)))


def _c9_check(ev: Evidence, prompting: str) -> list[Finding]:
    run = ev.steering(prompting)
    return [C9.finding(ev, safe_strength(run), ev.steering_context(run))]


def _c9_paper(model: str, family: str) -> PaperRef:
    return PaperRef(paper_values()["safe_strength"], "section 5.4: universal safe starting strength")


def safety_table(records: list[ClaimRecord], kinds: dict[str, str]) -> str:
    rows = [[r.model, r.method, fmt(r.value, 3),
             f"{fmt(d.degenerate_unsteered, 2)} -> {fmt(d.degenerate_safe, 2)}", r.verdict] for r, d in C9.read(records)]
    return "\n".join([table(rows, ["model", "prompting", "PPL(0.005)/PPL(0)", "degenerate share 0 -> 0.005", "C9"]),
                      "", "_Paper: 0.005 is the universal safe starting strength (5.4)._"])


C9: Claim[SafeDetails] = Claim(
    id="C9", section="5.4", statement="0.005 is a safe starting strength",
    axis="prompting mode", axis_values=PROMPTINGS,
    metric="PPL(0.005) / PPL(0)", details=SafeDetails, check=_c9_check, applies=_applies,
    paper=_c9_paper, tables=(Table("Section 5.4: safe strength", safety_table),))


# ---------------------------------------------------------------- C10: Chinese tokens in Qwen


@dataclass(frozen=True)
class CrossLingualDetails:
    unsteered: float
    random: float
    examples: list[str]
    emoji: int


def pooled_cjk_share(rows: Sequence[SteerRow]) -> float:
    """CJK characters over all non-space characters of the texts, pooled over rows."""
    total = sum(len("".join(r.text.split())) for r in rows)
    cjk = sum(r.stats["cjk_share"] * len("".join(r.text.split())) for r in rows)
    return cjk / total if total else 0.0


def expects_cjk_leak(family: str) -> bool:
    """Section 6.1: steering Qwen2.5 produces Chinese tokens; no other family was reported to."""
    return family in paper_values()["cross_lingual"]["families_leaking"]


def cross_lingual(run: SteeringRun, expects_leak: bool) -> Check[CrossLingualDetails]:
    """C10: CJK share under strong steering > 0 for Qwen models, below CJK_ABSENT_MAX elsewhere."""
    strong = [r for r in run.select("emotion") if r.strength >= th.STRONG_STRENGTH]
    rnd = [r for r in run.select("random") if r.strength >= th.STRONG_STRENGTH]
    share = pooled_cjk_share(strong)
    base, r_share = pooled_cjk_share(run.select("emotion", 0.0)), pooled_cjk_share(rnd)
    holds = share > 0 if expects_leak else share < th.CJK_ABSENT_MAX
    want = "> 0" if expects_leak else f"< {th.CJK_ABSENT_MAX}"
    reason = (f"CJK share {share:.4f} at strength >= {th.STRONG_STRENGTH} (needs {want}); unsteered "
              f"{base:.4f}; random direction {r_share:.4f}")
    return Check(holds, share, reason, CrossLingualDetails(
        unsteered=base, random=r_share, examples=[r.text for r in strong if r.stats["cjk_share"] > 0][:3],
        emoji=sum(r.stats["emoji"] for r in strong)))


def _c10_check(ev: Evidence, prompting: str) -> list[Finding]:
    run = ev.steering(prompting)
    return [C10.finding(ev, cross_lingual(run, expects_cjk_leak(ev.handle.family)), ev.steering_context(run))]


def _c10_paper(model: str, family: str) -> PaperRef:
    return PaperRef("> 0" if expects_cjk_leak(family) else "0",
                    "section 6.1: Chinese tokens under steering in Qwen2.5 only")


def cjk_table(records: list[ClaimRecord], kinds: dict[str, str]) -> str:
    recs = C10.read(records)
    rows = [[r.model, r.method, fmt(r.value, 3), fmt(d.unsteered, 3), fmt(d.random, 3), r.verdict]
            for r, d in recs]
    return "\n".join([table(rows, ["model", "prompting", "CJK share (>= 0.05)", "CJK, unsteered",
                                   "CJK, random direction", "C10"]), "",
                      provenance([r for r, _ in recs], "Paper: Chinese tokens appear under steering in Qwen2.5 "
                                 "only (6.1)")])


C10: Claim[CrossLingualDetails] = Claim(
    id="C10", section="6.1", statement="strong steering leaks Chinese tokens in Qwen, not in other families",
    axis="prompting mode", axis_values=PROMPTINGS,
    metric="CJK share of strongly steered text", details=CrossLingualDetails, check=_c10_check, applies=_applies,
    paper=_c10_paper, tables=(Table("Section 6.1: cross-lingual leakage", cjk_table),))

STEERING_CLAIMS: tuple[Claim[Any], ...] = (C5, C6, C7, C8, C9, C10)
