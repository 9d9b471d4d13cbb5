"""Paired inference over prompts: exact McNemar, one-sided Wilcoxon, Clopper-Pearson, bootstrap."""

from __future__ import annotations

import math

import pytest
from scipy import stats as sps

from harness.metrics.paired import (
    bootstrap_interval,
    finite_pairs,
    mcnemar_greater,
    paired_greater,
    proportion_interval,
)


def test_mcnemar_counts_the_discordant_pairs_and_gives_the_exact_one_sided_p():
    a = [True, True, True, False, True, True, True, True]
    b = [False, False, True, False, True, False, False, True]
    only_a, only_b, p = mcnemar_greater(a, b)
    assert (only_a, only_b) == (4, 0) and p == pytest.approx(1 / 16)  # 4 heads in 4 fair tosses
    assert mcnemar_greater([True] * 5 + [False], [False] * 5 + [True]) == (5, 1, pytest.approx(7 / 64))
    assert mcnemar_greater([False] * 3, [True] * 3) == (0, 3, 1.0)
    assert mcnemar_greater([True, False], [True, False]) == (0, 0, 1.0)  # nothing discordant
    with pytest.raises(ValueError):
        mcnemar_greater([True], [True, False])  # pairs must pair


def test_the_paired_permutation_test_is_one_sided_exact_and_drops_missing_pairs():
    assert paired_greater([0.0, 0.0, 0.0], [0.0, 0.0, 0.0]) == 1.0
    assert paired_greater([1.0, 2.0, math.nan], [1.0, 2.0, 5.0]) == 1.0  # the nan pair is dropped
    x, y = [1.0, 2.1, 3.3, 4.6, 5.0, 6.2], [0.0] * 6
    assert paired_greater(x, y) == pytest.approx(1 / 64)  # all 2^6 sign flips: only the observed one is as large
    assert paired_greater(y, x) == pytest.approx(1.0)
    # Four pairs can never reach p < 0.0625 (the normal approximation claimed 0.029 on such data).
    assert paired_greater([5.0, 5.0, 5.0, 5.0], [0.0] * 4) == pytest.approx(1 / 16)
    d = [0.5, -0.2, 1.0, 0.3, -0.1, 0.8, 0.4]
    # Exact by enumeration: the share of the 128 sign flips whose mean is at least the observed one.
    flips = [sum(v if (m >> i) & 1 else -v for i, v in enumerate(d)) for m in range(2 ** len(d))]
    want = sum(f >= sum(d) - 1e-12 for f in flips) / len(flips)
    assert paired_greater(d, [0.0] * 7) == pytest.approx(want)
    assert finite_pairs([1.0, math.nan, 2.0], [0.0, 1.0, math.nan]) == 1


@pytest.mark.parametrize(("k", "n"), [(0, 10), (3, 10), (10, 10), (37, 40), (1, 1), (20, 20)])
def test_proportion_interval_is_clopper_pearson(k, n):
    low = sps.beta.ppf(0.025, k, n - k + 1) if k > 0 else 0.0
    high = sps.beta.ppf(0.975, k + 1, n - k) if k < n else 1.0
    assert proportion_interval(k, n) == pytest.approx((low, high), abs=1e-9)


def test_proportion_interval_of_nothing_is_nan_and_bootstrap_needs_two_samples():
    assert all(math.isnan(v) for v in proportion_interval(0, 0))
    assert all(math.isnan(v) for v in bootstrap_interval([1.0]))
    assert bootstrap_interval([2.0, 2.0, 2.0]) == (2.0, 2.0)
    lo, hi = bootstrap_interval([1.0, 2.0, 3.0, 4.0])
    assert 1.0 <= lo < 2.5 < hi <= 4.0


def test_a_paired_p_within_monte_carlo_noise_of_alpha_gets_more_sign_flips_until_decided():
    import itertools

    import numpy as np

    from harness import thresholds as th

    # 17 pairs: 2^17 sign flips, so the first 9999 are a Monte-Carlo draw; the exact p is 0.0492
    # and the draw's interval holds CONTROL_ALPHA, so the flips are doubled until it does not.
    d = np.array([5, -4, 3, -7, 8, 2, 7, 4, 8, 0, 4, -8, 4, -1, 6, 4, 1], float)
    signs = np.array(list(itertools.product([1.0, -1.0], repeat=len(d))))
    exact = float(((signs * d).mean(axis=1) >= d.mean() - 1e-12).mean())
    assert 2 ** len(d) <= th.MAX_PERMUTATIONS and abs(exact - th.CONTROL_ALPHA) < 0.002
    first = sps.permutation_test((d,), np.mean, permutation_type="samples", alternative="greater",
                                 n_resamples=9999, random_state=np.random.default_rng(th.SEED)).pvalue
    low, high = proportion_interval(round(first * 10000) - 1, 9999)
    assert low <= th.CONTROL_ALPHA <= high  # the first draw alone leaves "beaten" to chance
    p = paired_greater(d, np.zeros_like(d))
    assert p != first and p < th.CONTROL_ALPHA  # decided, on the exact p's side
    # A draw that the doubling ends at is decided: its interval lies below alpha.
    n = next(n for n in (19999, 39999, 79999, 159999) if sps.permutation_test(
        (d,), np.mean, permutation_type="samples", alternative="greater", n_resamples=n,
        random_state=np.random.default_rng(th.SEED)).pvalue == p)
    assert proportion_interval(round(p * (n + 1)) - 1, n)[1] < th.CONTROL_ALPHA
    # Far from alpha the first draw decides, as before: the same p as one draw of 9999.
    far = d + 3
    assert paired_greater(far, np.zeros_like(far)) == sps.permutation_test(
        (far,), np.mean, permutation_type="samples", alternative="greater", n_resamples=9999,
        random_state=np.random.default_rng(th.SEED)).pvalue
