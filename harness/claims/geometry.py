"""Claim checks: measured metrics in, a verdict with its measured reason out.

Each function states the paper's claim as a test over numbers, using only the thresholds
in harness.thresholds. They know nothing about pytest; the evals record and assert.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness import thresholds as th
from harness.experiments.geometry_run import Geometry
from harness.metrics.geometry import block_at_depth
from harness.metrics.stats import compare_lower, heldout_pvalue


@dataclass(frozen=True)
class Check:
    holds: bool
    value: Any  # the headline measured value recorded with the verdict
    reason: str  # one line: what was measured against what
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        return "holds" if self.holds else "does not hold"


def _depth(layer: int, n_layers: int) -> float:
    return round((layer + 1) / n_layers, 3)


def u_curve(curve: list[float], lower_is_better: bool = True) -> Check:
    """C1 on one per-block curve: best block in the accepted depth band, arms worse by a margin."""
    n = len(curve)
    sign = 1.0 if lower_is_better else -1.0
    best = min(range(n), key=lambda i: sign * curve[i])
    arms = {d: block_at_depth(n, d) for d in th.UCURVE_ARMS}
    gaps = {d: sign * (curve[b] - curve[best]) for d, b in arms.items()}
    lo, hi = th.UCURVE_BEST_DEPTH
    depth = _depth(best, n)
    holds = lo <= depth <= hi and all(g > th.UCURVE_MARGIN for g in gaps.values())
    reason = (f"best depth {depth} (block {best}, value {curve[best]:.3f}); accepted [{lo}, {hi}]; "
              + ", ".join(f"gap at depth {d} = {g:.3f}" for d, g in gaps.items())
              + f" (needs > {th.UCURVE_MARGIN})")
    return Check(holds, depth, reason, {"best_block": best, "best_value": curve[best],
                                        "arm_blocks": {str(d): b for d, b in arms.items()},
                                        "arm_gaps": {str(d): g for d, g in gaps.items()}})


def gen_beats_comp(gen: Geometry, comp: Geometry, seed: int = th.SEED) -> Check:
    """C2: S_gen < S_comp at the middle block, and LOO Mann-Whitney p < alpha."""
    s_gen = gen.separation["neutral"][gen.middle]
    s_comp = comp.separation["neutral"][comp.middle]
    cmp = compare_lower(gen.loo_middle, comp.loo_middle, seed=seed, resamples=th.BOOTSTRAP_RESAMPLES,
                        confidence=th.BOOTSTRAP_CONFIDENCE)
    holds = s_gen < s_comp and cmp.p_value < th.GEN_VS_COMP_ALPHA
    reason = (f"S_gen {s_gen:.3f} vs S_comp {s_comp:.3f} at block {gen.middle}; LOO Mann-Whitney "
              f"U={cmp.u:.1f} p={cmp.p_value:.4f} (needs < {th.GEN_VS_COMP_ALPHA}); "
              f"diff CI [{cmp.ci_low:.3f}, {cmp.ci_high:.3f}], d={cmp.cohens_d:.2f}")
    return Check(holds, s_comp - s_gen, reason, {
        "s_generation": s_gen, "s_comprehension": s_comp, "u": cmp.u, "p_value": cmp.p_value,
        "ci_low": cmp.ci_low, "ci_high": cmp.ci_high, "cohens_d": cmp.cohens_d,
        "loo_generation": gen.loo_middle, "loo_comprehension": comp.loo_middle})


def opposite_pairs_positive(g: Geometry) -> Check:
    """C3: every opposite-pair cosine > 0 under the neutral baseline (middle block)."""
    cos = g.opposite["neutral"]
    holds = all(c > th.OPPOSITE_MIN_COSINE for c in cos.values())
    reason = ", ".join(f"{k} {v:.3f}" for k, v in cos.items()) + f" (all must be > {th.OPPOSITE_MIN_COSINE})"
    return Check(holds, min(cos.values()), reason, {"neutral": cos, "centred": g.opposite["centred"]})


def below_anisotropy(g: Geometry) -> Check:
    """C4: gap B - S > 0 at the middle block."""
    b, s = g.anisotropy[g.middle], g.separation["neutral"][g.middle]
    gap = b - s
    return Check(gap > th.ANISOTROPY_MIN_GAP, gap,
                 f"B {b:.3f} - S {s:.3f} = {gap:.3f} at block {g.middle} (needs > {th.ANISOTROPY_MIN_GAP})",
                 {"B": b, "S": s, "gap_per_block": [bb - ss for bb, ss in
                                                    zip(g.anisotropy, g.separation["neutral"], strict=True)]})


def valence_weak(g: Geometry) -> Check:
    """C11: valence organisation is weak: |Spearman(PC1, valence)| < bound (neutral baseline)."""
    rho = g.valence["neutral"]
    return Check(rho < th.VALENCE_WEAK_BELOW, rho,
                 f"|rho(PC1, valence)| {rho:.3f} neutral, {g.valence['centred']:.3f} centred; "
                 f"weak means < {th.VALENCE_WEAK_BELOW}",
                 {"valence": g.valence, "arousal": g.arousal})


def emotion_specific(g: Geometry) -> Check:
    """C12: S below the shuffled null's 5th percentile at the middle block, and held-out top-1
    accuracy at its best block above 20-way chance (one-sided binomial p < alpha)."""
    m = g.middle
    s, p05 = g.separation["neutral"][m], g.null_p05[m]
    best = max(range(g.n_layers), key=lambda i: g.heldout_top1[i])
    acc = g.heldout_top1[best]
    # The best block is picked after looking, so the binomial p is Bonferroni-corrected.
    p = min(1.0, heldout_pvalue(acc, g.n_heldout, 1 / 20) * g.n_layers)
    holds = s < p05 and p < th.HELDOUT_ALPHA
    reason = (f"S {s:.3f} vs null 5th pct {p05:.3f} (null mean {g.null_mean[m]:.3f}) at block {m}; "
              f"held-out top-1 {acc:.3f} at block {best} (chance 0.05, Bonferroni binomial p={p:.4f})")
    return Check(holds, s - p05, reason, {
        "S": s, "null_p05": p05, "null_mean": g.null_mean[m],
        "null_fraction_at_or_below": g.null_fraction_at_or_below[m], "heldout_best_block": best,
        "heldout_top1": acc, "heldout_p": p})
