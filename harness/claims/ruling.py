"""How a claim is ruled on, in both directions (docs/protocol.md, Verdicts).

A claim's test names the statistics it makes a statement about, each a :class:`Bound`: its
value, its interval, and the region the claim puts it in. The claim is **shown** when every
bound's interval lies inside the region that shows it; it is **ruled out** when some bound's
interval lies wholly outside the claim's region, where that region's edge may be an
equivalence margin fixed in harness.thresholds (with its reason); anything else is
undecided. A p-value above alpha rules nothing out: it leaves the bound undecided.

Regions are small dicts so that a record can be checked without the code: any of ``gt``,
``ge``, ``lt``, ``le`` (numbers), or ``in`` (labels, for a categorical statistic whose
"interval" is the set of labels reachable within its statistics' intervals).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from harness.errors import HarnessError

Region = dict[str, Any]


def _inside(lo: float, hi: float, region: Region) -> bool:
    return all({"gt": lo > v, "ge": lo >= v, "lt": hi < v, "le": hi <= v}[k] for k, v in region.items())


def _outside(lo: float, hi: float, region: Region) -> bool:
    return any({"gt": hi <= v, "ge": hi < v, "lt": lo >= v, "le": lo > v}[k] for k, v in region.items())


def excludes(interval: Sequence[Any], region: Region) -> bool:
    """Does ``interval`` lie wholly outside ``region``? (Also how a record's ``ruled_out`` is
    checked from results.json alone.)"""
    if "in" in region:
        return not set(interval) & set(region["in"])
    lo, hi = interval
    if lo is None or hi is None or math.isnan(lo) or math.isnan(hi):
        return False
    return _outside(float(lo), float(hi), region)


def within(interval: Sequence[Any], region: Region) -> bool:
    if "in" in region:
        return bool(interval) and set(interval) <= set(region["in"])
    lo, hi = interval
    if lo is None or hi is None or math.isnan(lo) or math.isnan(hi):
        return False
    return _inside(float(lo), float(hi), region)


def region_text(region: Region) -> str:
    if "in" in region:
        return "one of " + ", ".join(region["in"])
    words = {"gt": ">", "ge": ">=", "lt": "<", "le": "<="}
    return " and ".join(f"{words[k]} {v:g}" for k, v in region.items())


@dataclass(frozen=True)
class Bound:
    """One statistic a claim makes a statement about.

    ``region``: where the claim puts it (an interval wholly outside rules the claim out).
    ``shows``: where the interval must lie to show the claim (default: ``region``; C6 shows
    the paper's rate with a wider region than the one that rules it out). ``uses_shown``: another
    test shows the claim (a permutation p), whose outcome is ``shown``: True (below alpha beyond
    its Monte-Carlo interval), False (above it beyond that interval: not shown, which never rules
    the claim out) or None; the interval then only rules out. ``how`` says where the region's
    edge comes from: the claim itself, or an equivalence margin (with its threshold's name)."""

    name: str
    value: Any
    interval: tuple[Any, ...]
    region: Region
    shows: Region | None = None
    shown: bool | None = None
    uses_shown: bool = False
    how: str = "interval"

    def __post_init__(self) -> None:
        bad = set(self.region) - {"gt", "ge", "lt", "le", "in"}
        if bad or not self.region:
            raise HarnessError(f"bound '{self.name}': region {self.region} must use gt, ge, lt, le or in")

    @property
    def ruled_out(self) -> bool:
        return excludes(self.interval, self.region)

    @property
    def side(self) -> bool | None:
        """True: the claim is shown on this statistic; False: ruled out; None: undecided."""
        if self.ruled_out:
            return False
        if self.uses_shown:
            return True if self.shown else None
        return True if within(self.interval, self.shows or self.region) else None

    def as_dict(self) -> dict[str, Any]:
        d = {"name": self.name, "value": self.value, "interval": list(self.interval), "region": dict(self.region),
             "how": self.how}
        if self.shows:
            d["shows"] = dict(self.shows)
        return d

    def said(self) -> str:
        iv = (", ".join(self.interval) if "in" in self.region
              else f"[{self.interval[0]:.4g}, {self.interval[1]:.4g}]")
        return f"{self.name} {iv} lies outside {region_text(self.region)} ({self.how})"


def all_of(bounds: Sequence[Bound]) -> tuple[bool | None, Bound | None]:
    """A claim that says every bound: (shown? True / ruled out: False / undecided: None, the
    bound that rules it out)."""
    if not bounds:
        raise HarnessError("a claim's test names no statistic to rule on")
    out = next((b for b in bounds if b.ruled_out), None)
    if out is not None:
        return False, out
    return (True if all(b.side for b in bounds) else None), None


def any_of(bounds: Sequence[Bound]) -> tuple[bool | None, Bound | None]:
    """A claim that says at least one bound (ruled out only when every one is; the first
    excluding bound is recorded)."""
    if not bounds:
        raise HarnessError("a claim's test names no statistic to rule on")
    if any(b.side for b in bounds):
        return True, None
    if all(b.ruled_out for b in bounds):
        return False, bounds[0]
    return None, None


def above(name: str, value: float, interval: Sequence[float], cut: float, how: str = "interval") -> Bound:
    """The claim puts the statistic above ``cut``."""
    return Bound(name, value, (interval[0], interval[1]), {"gt": cut}, how=how)


def below(name: str, value: float, interval: Sequence[float], cut: float, how: str = "interval") -> Bound:
    """The claim puts the statistic below ``cut``."""
    return Bound(name, value, (interval[0], interval[1]), {"lt": cut}, how=how)


def between(name: str, value: float, interval: Sequence[float], low: float, high: float,
            how: str = "interval") -> Bound:
    """The claim puts the statistic inside [low, high]."""
    return Bound(name, value, (interval[0], interval[1]), {"ge": low, "le": high}, how=how)


def whatever_the_unread(bound_of: Callable[[int, int], Bound], k: int, n: int, unread: int,
                        words: tuple[str, str]) -> tuple[bool | None, Bound | None, str]:
    """``all_of([bound_of(k, n)])`` over ``k`` successes in ``n`` read outcomes, where ``unread``
    more (steered texts that collapsed) have no reading. Collapse comes where the push is
    strongest, so the survivors are the prompts it moved least: they understate the claim's
    share. A pass over them is therefore kept; a ruling-out must also hold with every unread
    outcome read as a success, else it is undecided. ``words``: (success, failure) as the note
    names them. Returns (passes, the ruling-out bound, a note for the reason)."""
    passes, ruled = all_of([bound_of(k, n)])
    if not unread or passes is not False:
        return passes, ruled, ""
    best = bound_of(k + unread, n + unread)
    if all_of([best])[0] is False:
        return passes, ruled, ""
    lo, hi = best.interval
    return None, None, (f"; with the {unread} collapsed texts read as {words[0]}, {k + unread}/{n + unread} "
                        f"[{lo:.2f}, {hi:.2f}] would not rule it out: the verdict turns on them")
