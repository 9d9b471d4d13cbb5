"""The strength C5-C7 are read at inside a model's readable range (docs/protocol.md, Readable range).

Per model and prompting mode, the top of the readable range is the largest sweep strength that,
with every smaller one, keeps at least READABLE_SHARE of the prompts whose unsteered text is
healthy still healthy. A claim is read there only against controls at the same strength, so the
readable strength is the largest strength at or below that top at which every control of the
claim ran. Where even the smallest strength breaks more texts, nothing is readable: the row is
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
        kept = ", ".join(f"{a:g}: {v:.0%}" for a, v in sorted(self.shares.items()))
        if self.top is None:
            return (f"no readable strength: even {min(self.shares):g} keeps under {th.READABLE_SHARE:.0%} of the "
                    f"healthy texts healthy ({kept})")
        return (f"readable range up to {self.top:g} (healthy texts kept: {kept}); judged at {self.strength:g}, "
                "the largest strength in it with every control")


def health_shares(run: SteeringRun) -> dict[float, float]:
    """Per steered strength of the target's vector: the share of the prompts healthy unsteered
    whose steered text stays healthy."""
    out = {}
    for a in run.strengths("emotion"):
        if a > 0:
            broken, n = newly_degenerate(run, "emotion", a)
            out[a] = 1 - broken / n if n else float("nan")
    return out


def has_readable_grid(run: SteeringRun) -> bool:
    """Whether the run's controls reach below the judged strength (the readable grid)."""
    return any(a < th.SCENARIO_STRENGTH for a in run.strengths("random"))


def readable_strength(run: SteeringRun, directions: Sequence[Direction]) -> Readable:
    """The readable range of the run and the strength a claim with these directions (the
    steered one and its controls) is judged at."""
    shares = health_shares(run)
    top = readable_range(shares)
    common = set(run.strengths(directions[0]))
    for d in directions[1:]:
        common &= set(run.strengths(d))
    common.discard(0.0)
    if not common:
        raise ValueError(f"{run.model}: no strength at which {', '.join(directions)} all ran")
    inside = sorted(a for a in common if top is not None and a <= top + 1e-12)
    return Readable(top, inside[-1] if inside else None, shares, min(common))


def at_readable(run: SteeringRun, directions: Sequence[Direction], check: Callable[[float], Check[D]]
                ) -> tuple[Check[D], dict[str, Any]]:
    """``check`` at the run's readable strength for these directions, with the range in its reason
    and context; inconclusive at the smallest strength when nothing is readable."""
    r = readable_strength(run, directions)
    ctx = {"readable_range_top": r.top, "readable_strength": r.strength,
           "readable_shares": {f"{a:g}": v for a, v in sorted(r.shares.items())}}
    if r.strength is None:
        c = check(r.smallest)
        return replace(c, outcome="inconclusive", reason=f"{r.words()}; read at {r.smallest:g} for the record: "
                                                         f"{c.reason}", ruled_out=None), ctx
    c = check(r.strength)
    return replace(c, reason=f"{r.words()}: {c.reason}"), ctx
