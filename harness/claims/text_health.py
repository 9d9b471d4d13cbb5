"""Whether a steered text is still text: degeneration, perplexity, and degeneration in excess
of the unsteered text of the same prompt (the readings C5-C10 and C13 share)."""

from __future__ import annotations

import math
import statistics
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from harness import thresholds as th
from harness.claims.steering_rows import Key, key_of, rows_by_prompt, share_of
from harness.experiments.steering_grid import Direction, SteeringRun, SteerRow
from harness.metrics.paired import bootstrap_interval
from harness.metrics.textstats import degeneration


def row_degeneration(row: SteerRow) -> str | None:
    """Why a steered text is degenerate (its words, or its perplexity: incoherent), or None."""
    return degeneration(row.stats, row.perplexity)


def is_degenerate(row: SteerRow) -> bool:
    return row_degeneration(row) is not None


def degenerate_share(rows: Sequence[SteerRow]) -> float:
    return share_of([is_degenerate(r) for r in rows])


def scored_ppl(r: SteerRow) -> float:
    """A continuation's perplexity, or nan when it has no words (nothing a reader could score)."""
    return math.nan if r.stats.get("blank") else r.perplexity


def median_ppl(rows: Sequence[SteerRow]) -> float:
    vals = [scored_ppl(r) for r in rows if not math.isnan(scored_ppl(r))]
    return statistics.median(vals) if vals else math.nan



def readable_range(shares: Mapping[float, float]) -> float | None:
    """The top of the readable range: the largest strength such that it and every smaller one
    keep at least READABLE_SHARE of the healthy-unsteered prompts healthy (``shares``: strength ->
    that share); None when even the smallest strength breaks more."""
    top = None
    for strength in sorted(shares):
        if not shares[strength] >= th.READABLE_SHARE:  # a nan share (no prompt) ends the range too
            break
        top = strength
    return top


def healthy_keys(run: SteeringRun, **sel: Any) -> list[Key]:
    return sorted(key_of(r) for r in run.select("emotion", 0.0, **sel) if not is_degenerate(r))


def newly_degenerate(run: SteeringRun, direction: Direction, strength: float, **sel: Any) -> tuple[int, int]:
    """(turned degenerate, healthy unsteered): prompts whose unsteered text is healthy and whose
    steered text at ``strength`` is degenerate."""
    healthy = healthy_keys(run, **sel)
    rows = rows_by_prompt(run, direction, strength, **sel)
    return sum(1 for k in healthy if k in rows and is_degenerate(rows[k])), len(healthy)


def ratio_of_medians(pairs: np.ndarray) -> float:
    lo, hi = np.nanmedian(pairs[:, 0]), np.nanmedian(pairs[:, 1])
    return float(hi / lo) if lo > 0 else math.nan


def ppl_ratio(run: SteeringRun, low: float, high: float, direction_high: Direction = "emotion",
              score_blank: bool = False) -> tuple[float, tuple[float, float]]:
    """median PPL(high) / median PPL(low) over prompts, with a bootstrap interval over prompts
    (texts without words unscored, unless ``score_blank``)."""
    lo, hi = rows_by_prompt(run, "emotion", low), rows_by_prompt(run, direction_high, high)
    keys = sorted(set(lo) & set(hi))
    ppl = (lambda r: r.perplexity) if score_blank else scored_ppl
    pairs = np.array([[ppl(lo[k]), ppl(hi[k])] for k in keys], float)
    if not len(pairs):
        return math.nan, (math.nan, math.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return ratio_of_medians(pairs), bootstrap_interval(pairs, ratio_of_medians)


