"""Statistics (scipy-backed) and claim checks on numbers with known answers."""

from __future__ import annotations

import math

import pytest
import torch

from harness.claims.geometry import u_curve
from harness.metrics.stats import (
    cohens_d,
    compare_lower,
    heldout_pvalue,
    loo_separation,
    percentile_rank,
)
from harness.metrics.vectors import LabelledStates


def test_compare_lower_detects_a_clear_difference_and_is_seeded():
    a, b = [0.30, 0.31, 0.29, 0.32, 0.30, 0.31], [0.60, 0.62, 0.61]
    c = compare_lower(a, b, seed=1)
    assert c.p_value < 0.05 and c.difference < 0
    assert c.ci_low < c.difference < c.ci_high < 0
    assert c.cohens_d < -5
    assert compare_lower(a, b, seed=1) == c
    assert compare_lower(b, a, seed=1).p_value > 0.5


def test_cohens_d_known_value_and_degenerate_cases():
    assert cohens_d([1.0, 2.0, 3.0], [2.0, 3.0, 4.0]) == pytest.approx(-1.0)
    assert cohens_d([1.0, 1.0], [1.0, 1.0]) == 0.0
    assert math.isinf(cohens_d([1.0, 1.0], [2.0, 2.0]))


def test_heldout_pvalue_and_percentile_rank():
    assert heldout_pvalue(0.05, 40, 0.05) > 0.3
    assert heldout_pvalue(0.5, 40, 0.05) < 1e-8
    assert percentile_rank(0.2, torch.tensor([0.1, 0.2, 0.3, 0.4])) == 0.5


def test_loo_drops_the_kth_sample_of_every_emotion():
    g = torch.Generator().manual_seed(0)
    labels = tuple(e for e in ("x", "y", "z", "neutral") for _ in range(3))
    data = LabelledStates(torch.randn(2, 12, 8, generator=g), labels)
    vals = loo_separation(data, ["x", "y", "z"], "neutral", layer=1)
    assert len(vals) == 3 and len(set(vals)) == 3
    with pytest.raises(ValueError, match="equal samples per emotion"):
        loo_separation(data.select(range(1, 12)), ["x", "y", "z"], "neutral", layer=0)


def test_u_curve_accepts_a_u_and_rejects_early_minima_and_flat_curves():
    n = 20
    u = [abs((i + 1) / n - 0.5) + 0.3 for i in range(n)]
    assert u_curve(u).holds and u_curve(u).value == 0.5
    early = [0.3 + 0.02 * i for i in range(n)]
    assert not u_curve(early).holds and u_curve(early).value == 0.05
    flat = [0.5 + 0.001 * ((i * 7) % 3) for i in range(n)]
    assert not u_curve(flat).holds
    peaked = [-x for x in u]
    assert u_curve(peaked, lower_is_better=False).holds
