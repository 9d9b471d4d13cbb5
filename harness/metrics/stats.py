"""Statistics over separation values: leave-one-out, Mann-Whitney U, bootstrap CI, Cohen's d."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from scipy import stats

from harness.metrics.geometry import mean_pairwise_cosine
from harness.metrics.vectors import Baseline, LabelledStates, vectors_from_states


def loo_separation(data: LabelledStates, emotions: Sequence[str], baseline: Baseline,
                   layer: int) -> list[float]:
    """S at ``layer`` with sample k of every emotion dropped, for each k.

    Sample k is the k-th sample of each emotion in input order (story k, passage k); the
    neutral samples are kept whole. Needs the same number of samples per emotion.
    """
    positions: dict[str, list[int]] = {e: [] for e in emotions}
    for i, lab in enumerate(data.labels):
        if lab in positions:
            positions[lab].append(i)
    counts = {len(v) for v in positions.values()}
    if len(counts) != 1:
        raise ValueError(f"leave-one-out needs equal samples per emotion, got {sorted(counts)}")
    n = counts.pop()
    values = []
    at_layer = LabelledStates(data.states[layer:layer + 1], data.labels)
    for k in range(n):
        drop = {idx[k] for idx in positions.values()}
        kept = at_layer.select([i for i in range(len(data.labels)) if i not in drop])
        values.append(float(mean_pairwise_cosine(vectors_from_states(kept, emotions, baseline))[0]))
    return values


@dataclass(frozen=True)
class Comparison:
    """Is ``a`` lower than ``b``? (e.g. S_generation vs S_comprehension LOO values)"""

    mean_a: float
    mean_b: float
    difference: float  # mean_a - mean_b
    u: float
    p_value: float  # one-sided, alternative: a < b
    ci_low: float
    ci_high: float
    cohens_d: float


def compare_lower(a: Sequence[float], b: Sequence[float], seed: int, resamples: int = 2000,
                  confidence: float = 0.95) -> Comparison:
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    mw = stats.mannwhitneyu(x, y, alternative="less")
    boot = stats.bootstrap((x, y), lambda p, q, axis=-1: p.mean(axis) - q.mean(axis),
                           n_resamples=resamples, confidence_level=confidence,
                           rng=np.random.default_rng(seed), method="percentile")
    return Comparison(mean_a=float(x.mean()), mean_b=float(y.mean()),
                      difference=float(x.mean() - y.mean()), u=float(mw.statistic),
                      p_value=float(mw.pvalue), ci_low=float(boot.confidence_interval.low),
                      ci_high=float(boot.confidence_interval.high), cohens_d=cohens_d(x, y))


def cohens_d(a: Sequence[float], b: Sequence[float]) -> float:
    """Mean difference over the pooled standard deviation (inf when both are constant)."""
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    nx, ny = len(x), len(y)
    pooled = np.sqrt(((nx - 1) * x.var(ddof=1) + (ny - 1) * y.var(ddof=1)) / (nx + ny - 2))
    diff = x.mean() - y.mean()
    if pooled == 0:
        return float("inf") * np.sign(diff) if diff else 0.0
    return float(diff / pooled)


def heldout_pvalue(accuracy: float, n: int, chance: float) -> float:
    """One-sided binomial p that top-1 accuracy over ``n`` items beats ``chance``."""
    return float(stats.binomtest(round(accuracy * n), n, chance, alternative="greater").pvalue)


def percentile_rank(observed: float, null: torch.Tensor) -> float:
    """Fraction of null values at or below ``observed`` (an empirical one-sided p)."""
    return float((null <= observed).double().mean())
