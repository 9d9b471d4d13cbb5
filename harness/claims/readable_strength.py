"""The strength C5-C7 are read at inside a model's readable range (docs/protocol.md, Readable range).

Per model, prompting mode and steering vector, the top of the readable range is the largest
strength that, with every smaller one, keeps at least READABLE_SHARE of the prompts whose
unsteered text is healthy still healthy under that vector (each arm its own: the platform's
vectors break text sooner than the neutral-baseline ones). A claim is read there only against
controls at the same strength, so the readable strength is the largest strength at or below
that top at which the vector and every control of the claim ran. Where even the smallest strength breaks more texts, nothing is readable: the row is
read at the smallest strength for the record and is inconclusive.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from harness import thresholds as th
from harness.claims.base import Check
from harness.claims.text_health import newly_degenerate, readable_range
from harness.experiments.steering_grid import Direction, SteeringRun

D = TypeVar("D")
LABEL = "at the readable strength"


@dataclass(frozen=True)
class Readable:
    top: float | None  # top of the readable range (None: even the smallest strength breaks too many)
    strength: float | None  # the largest strength <= top at which every control ran
    shares: dict[float, float]  # strength -> share of healthy-unsteered prompts still healthy
    smallest: float  # the smallest strength every control ran at

    def words(self) -> str:
        kept = ", ".join(f"{a:g}: {v:.1%}" for a, v in sorted(self.shares.items()))  # 39/49 is 79.6%, not 80%
        if self.top is None:
            return (f"no readable strength: even {min(self.shares):g} keeps under {th.READABLE_SHARE:.0%} of the "
                    f"healthy texts healthy ({kept})")
        return (f"readable range up to {self.top:g} (healthy texts kept: {kept}); judged at {self.strength:g}, "
                "the largest strength in it with every control")

    def of(self, steered: str) -> str:
        return f"{steered} vectors: {self.words()}"


def health_shares(run: SteeringRun, direction: Direction = "emotion") -> dict[float, float]:
    """Per strength ``direction`` ran at: the share of the prompts healthy unsteered whose text
    steered by it stays healthy."""
    out = {}
    for a in run.strengths(direction):
        if a > 0:
            broken, n = newly_degenerate(run, direction, a)
            out[a] = 1 - broken / n if n else float("nan")
    return out


def has_readable_grid(run: SteeringRun) -> bool:
    """Whether the run's controls reach below the judged strength (the readable grid)."""
    return any(a < th.SCENARIO_STRENGTH for a in run.strengths("random"))


def readable_strength(run: SteeringRun, steered: Direction, controls: Sequence[Direction]) -> Readable:
    """The readable range of the ``steered`` vector and the strength a claim comparing it with
    ``controls`` is judged at."""
    shares = health_shares(run, steered)
    top = readable_range(shares)
    common = set(run.strengths(steered))
    for d in controls:
        common &= set(run.strengths(d))
    common.discard(0.0)
    if not common:
        raise ValueError(f"{run.model}: no strength at which {steered} and {', '.join(controls)} all ran")
    inside = sorted(a for a in common if top is not None and a <= top + 1e-12)
    return Readable(top, inside[-1] if inside else None, shares, min(common))


def at_readable(run: SteeringRun, steered: Direction, controls: Sequence[Direction],
                check: Callable[[float], Check[D]]) -> tuple[Check[D], dict[str, Any]]:
    """``check`` at the readable strength of ``steered`` against ``controls``, with the range in its
    reason and context; inconclusive at the smallest strength when nothing is readable."""
    r = readable_strength(run, steered, controls)
    ctx = {"readable_range_top": r.top, "readable_strength": r.strength,
           "readable_shares": {f"{a:g}": v for a, v in sorted(r.shares.items())}}
    if r.strength is None:
        c = check(r.smallest)
        return replace(c, outcome="inconclusive", reason=f"{r.of(steered)}; read at {r.smallest:g} for the record: "
                                                         f"{c.reason}", ruled_out=None), ctx
    c = check(r.strength)
    return replace(c, reason=f"{r.of(steered)}: {c.reason}"), ctx


def readable_tag(metric: str, details: dict[str, Any]) -> str:
    """How a table labels a readable-strength row: the judged strength, or that none is readable
    (the row then reads the smallest strength for the record)."""
    if not metric.endswith(LABEL):
        return ""
    if "readable_strength" not in details:  # C7 reads a range of strengths, not one
        top, judged = details.get("readable_range_top"), details.get("judged") or []
        if top is None:
            return " (nothing readable: read for the record, inconclusive)"
        if any(a > top + 1e-12 for a in judged):
            return (f" (readable range up to {top:g}: under {th.READABLE_MIN_STRENGTHS} strengths in it, read for "
                    "the record, inconclusive)")
        return f" (readable range up to {top:g})"
    if details.get("readable_strength") is None:
        return " (nothing readable: read for the record, inconclusive)"
    return " (readable strength)"
