"""Markdown building blocks for the tables claims feed into the report: numbers, tables, captions."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from tabulate import tabulate

from harness.claims.record import ClaimRecord, is_pooled

NOT_RUN = "not run"


def fmt(value: Any, digits: int = 3) -> str:
    """Compact display: numbers rounded, long lists summarised by their extremes."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            return "n/a"
        if isinstance(value, float) and 10 ** digits <= abs(value) < 1e9:
            return f"{value:.0f}"  # 1620, not 1.62e+03
        return f"{value:.{digits}g}" if isinstance(value, float) else str(value)
    if isinstance(value, (list, tuple)):
        nums = [v for v in value if isinstance(v, (int, float)) and not isinstance(v, bool)]
        if len(value) > 6 and len(nums) == len(value):
            lo = min(range(len(nums)), key=nums.__getitem__)
            hi = max(range(len(nums)), key=nums.__getitem__)
            return f"{len(nums)} values, min {fmt(nums[lo])} @{lo}, max {fmt(nums[hi])} @{hi}"
        return "[" + ", ".join(fmt(v) for v in value) + "]"
    return str(value)


def fmt_ci(value: Any, interval: Sequence[float] | None, digits: int = 3) -> str:
    """``value [low, high]``, or the value alone when there is no interval."""
    if not interval:
        return fmt(value, digits)
    return f"{fmt(value, digits)} [{fmt(interval[0], digits)}, {fmt(interval[1], digits)}]"


def table(rows: list[list[Any]], headers: Iterable[str]) -> str:
    return tabulate(rows, headers=list(headers), tablefmt="github", disable_numparse=True)


def measured_models(records: Iterable[ClaimRecord]) -> list[str]:
    """Models with records in this run (pooled pseudo-models aside)."""
    return sorted({r.model for r in records if not is_pooled(r.model)})


def provenance(records: Sequence[ClaimRecord], *extra: str) -> str:
    """Italic caption: what the numbers are, then the profiles and stimulus sets they come from."""
    profiles = sorted({str(r.profile) for r in records if r.profile})
    stim = sorted({str(r.stimuli) for r in records if r.stimuli})
    parts = [*extra, f"profile {', '.join(profiles) or '?'}", f"stimuli {', '.join(stim) or '?'}"]
    return "_" + "; ".join(parts) + "._"


def steering_caption(records: Sequence[ClaimRecord], what: str) -> str:
    """Provenance of a steering table, with the vectors and the classifier behind it."""
    cls = sorted({str(r.classifier) for r in records if r.classifier})
    vm = sorted({str(r.vector_method) for r in records if r.vector_method})
    scorers = sorted({str(r.details.get("scorer")) for r in records if r.details.get("scorer")})
    # Records name their own vector (baseline and block); older ones steered with the middle
    # block's neutral-baseline vectors only.
    # Blocks differ by model, so with several models each model's vectors are named under it.
    by_model: dict[str, set[str]] = {}
    for r in records:
        if r.details.get("vector"):
            by_model.setdefault(r.model, set()).add(str(r.details["vector"]))
    singles = {m: v for m, v in by_model.items() if not is_pooled(m)} or by_model
    if len(singles) > 1:
        vectors = " | ".join(f"{m}: {'; '.join(sorted(v))}" for m, v in sorted(singles.items()))
    else:
        vectors = "; ".join(sorted(next(iter(singles.values()), set()))) or "neutral baseline, middle block"
    scales = sorted({str(r.details.get("scale")) for r in records if r.details.get("scale")})
    return provenance(records, what, f"vectors: {', '.join(vm) or '?'} ({vectors})",
                      f"scale {', '.join(scales) or '?'}",
                      f"classifier {', '.join(cls) or '?'}", f"perplexity scored by {', '.join(scorers) or '?'}")
