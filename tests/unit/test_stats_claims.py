"""Claim checks on numbers with known answers."""

from __future__ import annotations

from harness.claims.c01_u_curve import u_curve


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
