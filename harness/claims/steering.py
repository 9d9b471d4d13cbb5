"""Claim checks C5-C10 over a steering run; thresholds from harness.thresholds only."""

from __future__ import annotations

import math
import statistics
import warnings
from collections.abc import Sequence

from scipy import stats as sps

from harness import thresholds as th
from harness.claims.geometry import Check
from harness.experiments.steering_grid import Direction, SteeringRun, SteerRow

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


def steering_moves(run: SteeringRun, strength: float = th.SCENARIO_STRENGTH) -> Check:
    """C5: readout delta (unsteered re-read of the steered text) > 0 in most prompts."""
    rows = run.select("emotion", strength)
    deltas = [_signed(run, r, "readout") for r in rows]
    moved = [d > 0 for d in deltas]  # nan (empty continuation) counts as not moved
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
    return Check(rate > th.MOST, rate, reason, {"strength": strength, "per_scenario": per_scenario,
                                                "random_rate": _share(rnd), "rate_by_strength": by_strength})


def classifier_flips(run: SteeringRun, strength: float = th.SCENARIO_STRENGTH) -> Check:
    """C6: share of scenario prompts whose target-label score moves the expected way."""
    rate, k, n = flip_rate(run, strength)
    r_rate, rk, rn = flip_rate(run, strength, "random")
    by_strength = {str(a): flip_rate(run, a)[0] for a in th.STRENGTHS if a > 0}
    by_scenario = {s.id: _share([_signed(run, r, "target") > 0 for r in run.select("emotion", strength, s.id)])
                   for s in run.scenarios}
    reason = (f"{run.classifier} confirms {k}/{n} flips at strength {strength} ({rate:.0%}; needs >= "
              f"{th.FLIP_RATE_MIN:.0%}); random direction {rk}/{rn} ({r_rate:.0%})")
    return Check(rate >= th.FLIP_RATE_MIN, rate, reason, {
        "strength": strength, "flips": k, "n": n, "random_rate": r_rate, "random_flips": rk, "random_n": rn,
        "rate_by_strength": by_strength, "rate_by_scenario": by_scenario, "classifier": run.classifier})


def flip_points(run: SteeringRun) -> dict[str, float | None]:
    """Per scenario: the lowest strength at which most of its prompts flip (None if none does)."""
    out: dict[str, float | None] = {}
    for s in run.scenarios:
        out[s.id] = next((a for a in th.STRENGTHS if a > 0 and _share(
            [_signed(run, r, "target") > 0 for r in run.select("emotion", a, s.id)]) > th.MOST), None)
    return out


def dose_response(run: SteeringRun) -> Check:
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
    return Check(holds, float(rho), reason, {
        "p_value": float(p), "readout_rho": float(rho_read), "readout_p": float(p_read),
        "flip_points": points, "target_curve": curve, "readout_curve": readout_curve,
        "strengths": list(th.DOSE_STRENGTHS), "sweep": list(th.STRENGTHS), "per_scenario": per_scenario})


def classify_regime(ppl_ratio: float, degenerate: bool) -> str:
    """explosive (PPL ratio at or above the cut), else repetitive (degenerate text), else surgical."""
    if not math.isnan(ppl_ratio) and ppl_ratio >= th.EXPLOSIVE_PPL_RATIO:
        return "explosive"
    return "repetitive" if degenerate else "surgical"


def regime_summary(run: SteeringRun, direction: Direction = "emotion") -> dict:
    hi, lo = run.select(direction, th.REGIME_HIGH), run.select("emotion", th.REGIME_LOW)
    ppl_hi, ppl_lo = median_ppl(hi), median_ppl(lo)
    ratio = ppl_hi / ppl_lo if ppl_lo and not math.isnan(ppl_lo) else math.nan
    deg = degenerate_share(hi)
    collapse = next((a for a in th.STRENGTHS if a > 0 and (
        degenerate_share(run.select("emotion", a)) >= th.DEGENERATE_SHARE
        or median_ppl(run.select("emotion", a)) / ppl_lo >= th.EXPLOSIVE_PPL_RATIO)), None)
    return {"ppl_low": ppl_lo, "ppl_high": ppl_hi, "ppl_ratio": ratio, "degenerate_share": deg,
            "regime": classify_regime(ratio, deg >= th.DEGENERATE_SHARE),
            "regime_by_ppl_only": classify_regime(ratio, False), "collapse_point": collapse,
            "ppl_by_strength": {str(a): median_ppl(run.select("emotion", a)) for a in th.STRENGTHS},
            "degenerate_by_strength": {str(a): degenerate_share(run.select("emotion", a)) for a in th.STRENGTHS}}


def regime(run: SteeringRun, paper_label: str | None) -> Check:
    """C8: the regime from PPL ratio + degeneration equals the paper's label for this family."""
    s = regime_summary(run)
    reason = (f"PPL {s['ppl_low']:.1f} (0.005) -> {s['ppl_high']:.1f} (0.05), ratio {s['ppl_ratio']:.2f}; "
              f"degenerate texts at 0.05: {s['degenerate_share']:.0%} -> {s['regime']} "
              f"(paper: {paper_label}); collapse point {s['collapse_point']}")
    return Check(s["regime"] == paper_label, s["regime"], reason, s)


def safe_strength(run: SteeringRun) -> Check:
    """C9: PPL(0.005)/PPL(0) within a factor of SAFE_PPL_FACTOR of 1, no added degeneration."""
    base, safe = run.select("emotion", 0.0), run.select("emotion", th.SAFE_STRENGTH)
    ratio = median_ppl(safe) / median_ppl(base)
    d0, d1 = degenerate_share(base), degenerate_share(safe)
    f = th.SAFE_PPL_FACTOR
    holds = bool(1 / f <= ratio <= f and d1 <= d0)
    reason = (f"PPL ratio {th.SAFE_STRENGTH}/0 = {ratio:.2f} (needs within [{1 / f:.2f}, {f:.2f}]); "
              f"degenerate texts {d1:.0%} vs {d0:.0%} unsteered (must not rise)")
    return Check(holds, ratio, reason, {"degenerate_unsteered": d0, "degenerate_safe": d1,
                                        "ppl_unsteered": median_ppl(base), "ppl_safe": median_ppl(safe)})


def cjk_share(rows: Sequence[SteerRow]) -> float:
    """Pooled CJK share: CJK characters over all non-space characters of the texts."""
    total = sum(len("".join(r.text.split())) for r in rows)
    cjk = sum(r.stats["cjk_share"] * len("".join(r.text.split())) for r in rows)
    return cjk / total if total else 0.0


def cross_lingual(run: SteeringRun, expects_leak: bool) -> Check:
    """C10: CJK share under strong steering > 0 for Qwen models, below CJK_ABSENT_MAX elsewhere."""
    strong = [r for r in run.select("emotion") if r.strength >= th.STRONG_STRENGTH]
    rnd = [r for r in run.select("random") if r.strength >= th.STRONG_STRENGTH]
    share, base, r_share = cjk_share(strong), cjk_share(run.select("emotion", 0.0)), cjk_share(rnd)
    holds = share > 0 if expects_leak else share < th.CJK_ABSENT_MAX
    want = "> 0" if expects_leak else f"< {th.CJK_ABSENT_MAX}"
    examples = [r.text for r in strong if r.stats["cjk_share"] > 0][:3]
    reason = (f"CJK share {share:.4f} at strength >= {th.STRONG_STRENGTH} (needs {want}); unsteered "
              f"{base:.4f}; random direction {r_share:.4f}")
    return Check(holds, share, reason, {"unsteered": base, "random": r_share, "examples": examples,
                                        "emoji": sum(r.stats["emoji"] for r in strong)})
