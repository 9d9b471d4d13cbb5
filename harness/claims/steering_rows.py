"""A steering run read prompt by prompt: the unit of inference of every steering claim.

Each (scenario, prompt index) is one independent sample; a steered row is compared with the
row of the same prompt under a control (unsteered, random direction, opposite emotion).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from typing import Any

from harness.claims.base import ControlReading
from harness.claims.markdown import fmt
from harness.experiments.extraction import supports
from harness.experiments.steering_grid import Direction, SteeringRun, SteerRow, supports_prompting
from harness.metrics.textstats import is_refusal
from harness.models.loading import ModelHandle

Key = tuple[str, int]  # (scenario, prompt index): one independent sample


def key_of(r: SteerRow) -> Key:
    return (r.scenario, r.prompt_index)


def zero_if_missing(v: float) -> float:
    """A missing reading (a continuation without tokens) counts as no movement."""
    return 0.0 if v is None or math.isnan(v) else v


# Readings that are functions of the continuation alone (the activation delta is read with the
# hooks on, so it differs even where the steered text does not).
TEXT_READINGS = frozenset({"readout", "readout_centred", "readout_platform", "perplexity", "target"})


def same_text(row: SteerRow, base: SteerRow) -> bool:
    """The steered continuation is the unsteered one, token for token (rows without token ids,
    from older results, are never taken as unchanged)."""
    return bool(row.tokens) and row.tokens == base.tokens


def signed(run: SteeringRun, row: SteerRow, attr: str) -> float:
    """sign * (steered - unsteered) of a row attribute: > 0 means it moved the scenario's way.
    A reading of the text is exactly 0 where the text did not change: re-reading the same tokens
    in another batch differs by float noise (~1e-6), which must not count as movement."""
    base = run.baseline(row)
    if attr in TEXT_READINGS and same_text(row, base):
        return 0.0
    return row.sign * (getattr(row, attr) - getattr(base, attr))


def signed_target(run: SteeringRun, row: SteerRow, classifier: str | None = None) -> float:
    """sign * (target score - unsteered target score) of the same prompt under one classifier
    (nan when either text has no words; 0 where the text did not change, as in ``signed``)."""
    base = run.baseline(row)
    steered, unsteered = run.target_of(row, classifier), run.target_of(base, classifier)
    if same_text(row, base) and not math.isnan(steered):
        return 0.0
    return row.sign * (steered - unsteered)


def mean_finite(values: Sequence[float]) -> float:
    vals = [v for v in values if not math.isnan(v)]
    return statistics.fmean(vals) if vals else math.nan


def finite_count(values: Sequence[float]) -> int:
    return sum(not math.isnan(v) for v in values)


def fraction(k: int, n: int) -> float:
    return k / n if n else math.nan


def share_of(flags: Sequence[bool]) -> float:
    return sum(flags) / len(flags) if flags else math.nan


def steering_applies(handle: ModelHandle, prompting: str) -> str | None:
    return supports_prompting(handle, prompting) or supports(handle, "comprehension")  # type: ignore[arg-type]


def rows_by_prompt(run: SteeringRun, direction: Direction, strength: float, **sel: Any) -> dict[Key, SteerRow]:
    return {key_of(r): r for r in run.select(direction, strength, **sel)}


def refusal_share(run: SteeringRun) -> float | None:
    """Share of unsteered chat continuations that decline instead of writing (None for raw prompts)."""
    if run.prompting != "chat":
        return None
    return share_of([is_refusal(r.text) for r in run.select("emotion", 0.0)])


def shown(passes: bool | None, readings: Sequence[ControlReading]) -> tuple[ControlReading, ...]:
    """The controls as recorded: when the test itself fails, whether a control passes decides
    nothing, so it is not marked (a control is never "passing too" beside a failed test)."""
    if passes is False:
        return tuple(ControlReading(c.name, c.value, None) for c in readings)
    return tuple(readings)


def vector_context(ctx: dict[str, Any], run: SteeringRun, direction: Direction) -> dict[str, Any]:
    """A record's context naming the vector that steered it (baseline and block)."""
    return {**ctx, "vector": run.vectors.get(direction, direction)}


def p_text(p: float) -> str:
    return f"p={fmt(p, 2)}"
