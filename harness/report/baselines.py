"""Regression baselines: reviewed per-model values of every recorded metric, with tolerances.

One YAML file per model (``<dir>/<model>.yaml``) maps ``claim|method|metric`` to the
reviewed value and its tolerance, for the profile it was reviewed in. A record of the same
profile whose value drifts beyond the tolerance is a regression; ``update`` rewrites the
entry instead. No pytest here: the plugin turns a drift into a test failure.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import yaml

from harness import thresholds as th
from harness.cache import atomic_path, locked
from harness.claims.record import ClaimRecord
from harness.errors import HarnessError

HEADER = ("# Regression baselines for {model}: reviewed values of every number the evals record.\n"
          "# A value that drifts beyond its tolerance fails its eval; `pytest evals --update-baselines`\n"
          "# rewrites drifted and new entries (review the diff before committing it).\n")


def record_key(rec: ClaimRecord) -> str:
    return f"{rec.claim}|{rec.details.get('method') or '-'}|{rec.metric}"


def baseline_file(root: Path, model: str) -> Path:
    return root / (re.sub(r"[^A-Za-z0-9._-]+", "_", model).strip("_") + ".yaml")


def default_tolerance(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return max(th.BASELINE_ABS_TOL, th.BASELINE_REL_TOL * abs(float(value))) if math.isfinite(value) else 0.0
    return None


def _read(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        doc = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError:
        raise HarnessError(f"{path}: not valid YAML; fix it or delete it and run with --update-baselines") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("values", {}), dict):
        raise HarnessError(f"{path}: expected 'profile' and a 'values' mapping; rerun with --update-baselines")
    return doc


def drift(expected: dict[str, Any], value: Any) -> str | None:
    """None if ``value`` matches the baseline entry, else a one-line description."""
    want, tol = expected.get("value"), expected.get("tolerance")
    if isinstance(want, (int, float)) and not isinstance(want, bool) and isinstance(value, (int, float)) \
            and not isinstance(value, bool):
        if math.isnan(want) and math.isnan(value):
            return None
        tol = float(tol if tol is not None else default_tolerance(want) or 0.0)
        if abs(value - want) <= tol:
            return None
        return f"{value!r} drifted from the baseline {want!r} by {abs(value - want):.4g} (tolerance {tol:.4g})"
    return None if value == want else f"{value!r} differs from the baseline {want!r}"


def check(root: Path, rec: ClaimRecord, update: bool = False) -> str | None:
    """Compare ``rec`` with its baseline (or write it when ``update``); a drift message or None."""
    if rec.verdict == "not applicable":
        return None
    path = baseline_file(root, rec.model)
    profile = rec.details.get("profile")
    key = record_key(rec)
    with locked(path.with_suffix(".yaml")):
        doc = _read(path)
        if doc and doc.get("profile") != profile:
            if not update:
                return None  # reviewed in another profile: nothing to compare with
            doc = {}
        entry = doc.get("values", {}).get(key)
        if not update:
            return None if entry is None else _named(path, key, drift(entry, rec.value))
        if entry is not None and drift(entry, rec.value) is None:
            return None
        values = dict(doc.get("values", {}))
        tol = entry.get("tolerance") if entry else default_tolerance(rec.value)
        values[key] = {"value": rec.value, **({"tolerance": tol} if tol is not None else {})}
        with atomic_path(path) as tmp:
            tmp.write_text(HEADER.format(model=rec.model) + yaml.safe_dump(
                {"profile": profile, "values": dict(sorted(values.items()))}, sort_keys=False, width=120))
    return None


def _named(path: Path, key: str, message: str | None) -> str | None:
    return None if message is None else f"{key}: {message} ({path})"
