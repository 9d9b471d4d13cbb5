"""Regression baselines: drift against a reviewed value; another profile is not compared (the
pytest runs that fail and restore green are in tests/integration/test_plugin_baselines.py)."""

from __future__ import annotations

import pytest

from harness.claims.record import ClaimRecord
from harness.report.baselines import check, drift


def test_other_profiles_and_missing_entries_are_not_compared(tmp_path):
    rec = ClaimRecord("C3", "m1", "x", 0.5, "holds", details={"method": "a", "profile": "paper"})
    assert check(tmp_path, rec, update=True) is None
    quick = ClaimRecord("C3", "m1", "x", 0.9, "holds", details={"method": "a", "profile": "quick"})
    assert check(tmp_path, quick) is None
    other = ClaimRecord("C3", "m1", "y", 0.9, "holds", details={"method": "a", "profile": "paper"})
    assert check(tmp_path, other) is None
    assert "drifted" in check(tmp_path, ClaimRecord("C3", "m1", "x", 0.6, "holds",
                                                    details={"method": "a", "profile": "paper"}))


@pytest.mark.parametrize("entry, value, ok", [
    ({"value": float("nan"), "tolerance": 0.0}, float("nan"), True),
    ({"value": 1.0, "tolerance": 0.1}, 1.05, True),
    ({"value": 1.0, "tolerance": 0.1}, 1.2, False),
    ({"value": None}, None, True),
    ({"value": "explosive"}, "surgical", False),
])
def test_drift_rules(entry, value, ok):
    assert (drift(entry, value) is None) == ok
