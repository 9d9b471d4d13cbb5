"""Paired inference over prompts (the steering claims' unit of independence).

Each scenario prompt is one independent sample; a steered continuation is compared with a
control continuation of the same prompt (unsteered, random direction, wrong emotion).
Tests are one-sided ("the emotion vector does more than its control"): a sign-flip
permutation test for paired numbers, exact McNemar for paired yes/no; intervals are
bootstraps over prompts.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from scipy import stats as sps

from harness import thresholds as th

_BATCH = 20000  # sign flips scored at once (memory: _BATCH x prompts floats); the p does not depend on it


def paired_greater(x: Sequence[float], y: Sequence[float], n_resamples: int = 9999, seed: int = th.SEED) -> float:
    """One-sided paired permutation p that x exceeds y: the mean of the differences against its
    sign flips (exact when 2^n <= n_resamples, else Monte Carlo with p = (k+1)/(N+1)). While the
    Monte-Carlo p's interval still holds CONTROL_ALPHA, the sign flips are doubled up to
    th.MAX_PERMUTATIONS (exact from 2^n on), so "beaten or not" does not hinge on that noise.
    Pairs with a missing value are dropped; no non-zero difference gives p = 1 (nothing favours x)."""
    d = np.asarray(x, float) - np.asarray(y, float)
    d = d[np.isfinite(d)]
    if not np.any(d != 0):
        return 1.0
    while True:
        res = sps.permutation_test((d,), np.mean, permutation_type="samples", alternative="greater",
                                   n_resamples=n_resamples, batch=_BATCH,
                                   random_state=np.random.default_rng(seed))
        p = float(res.pvalue)
        if 2 ** len(d) <= n_resamples or n_resamples >= th.MAX_PERMUTATIONS:  # exact, or as far as we go
            return p
        if monte_carlo_below(round(p * (n_resamples + 1)) - 1, n_resamples, th.CONTROL_ALPHA) is not None:
            return p
        n_resamples = min(2 * n_resamples + 1, th.MAX_PERMUTATIONS)


def monte_carlo_below(k: int, n: int, alpha: float) -> bool | None:
    """Whether a Monte-Carlo p = (k+1)/(n+1), k of n resamples at least as extreme, lies below
    ``alpha`` beyond its Monte-Carlo doubt: True or False, or None while the Clopper-Pearson
    interval of k/n contains alpha (more resamples would decide)."""
    low, high = proportion_interval(k, n)
    if (k + 1) / (n + 1) < alpha and high < alpha:
        return True
    if low >= alpha:
        return False
    return None


def finite_pairs(x: Sequence[float], y: Sequence[float]) -> int:
    """How many pairs have both values."""
    return int(np.sum(np.isfinite(np.asarray(x, float)) & np.isfinite(np.asarray(y, float))))


def mcnemar_greater(a: Sequence[bool], b: Sequence[bool]) -> tuple[int, int, float]:
    """Exact one-sided McNemar test that ``a`` succeeds more often than ``b`` on the same samples:
    (a only, b only, p) with p = P(X >= a only | X ~ Binomial(a only + b only, 1/2))."""
    only_a = sum(1 for x, y in zip(a, b, strict=True) if x and not y)
    only_b = sum(1 for x, y in zip(a, b, strict=True) if y and not x)
    return only_a, only_b, mcnemar_p(only_a, only_b)


def mcnemar_p(only_a: int, only_b: int) -> float:
    """One-sided exact McNemar p from the discordant counts (1 when there are none)."""
    n = only_a + only_b
    return float(sps.binomtest(only_a, n, 0.5, alternative="greater").pvalue) if n else 1.0


def proportion_interval(k: int, n: int, confidence: float = th.BOOTSTRAP_CONFIDENCE) -> tuple[float, float]:
    """Clopper-Pearson interval of k successes in n."""
    if n == 0:
        return (math.nan, math.nan)
    ci = sps.binomtest(k, n).proportion_ci(confidence_level=confidence, method="exact")
    return (float(ci.low), float(ci.high))


def bootstrap_interval(values: Sequence[float] | np.ndarray, statistic: Callable[[np.ndarray], float] = np.mean,
                       n_resamples: int = 1000, seed: int = th.SEED,
                       confidence: float = th.BOOTSTRAP_CONFIDENCE) -> tuple[float, float]:
    """Percentile bootstrap interval over samples (rows of ``values``), widened to include the
    estimate. ``statistic`` maps a resample (same shape as ``values``) to a number."""
    v = np.asarray(values, float)
    if len(v) < 2:
        return (math.nan, math.nan)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(v), size=(n_resamples, len(v)))
    reps = np.array([statistic(v[i]) for i in idx], float)
    reps = reps[np.isfinite(reps)]
    est = statistic(v)
    if not len(reps) or not math.isfinite(est):
        return (math.nan, math.nan)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(reps, [tail, 100 - tail])
    return (float(min(low, est)), float(max(high, est)))
