"""How a geometry claim is judged: its test on one extraction, decided against the
label-shuffled null and a random-weight copy of the model, at the middle block and its
neighbours, and replicated on the second stimulus set (docs/protocol.md, How a geometry
claim is decided). A test whose interval straddles its cut is inconclusive; a pass a
control matches is uninformative.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar

from harness.claims.base import Check, Claim, ControlReading, Evidence, Finding, PaperRef, decide
from harness.claims.markdown import fmt, provenance
from harness.claims.record import ClaimRecord, canonical
from harness.claims.ruling import Bound, all_of
from harness.experiments.extraction import supports
from harness.models.loading import ModelHandle

D = TypeVar("D")


def block_depth(layer: int, n_layers: int) -> float:
    return round((layer + 1) / n_layers, 3)


def extraction_applies(handle: ModelHandle, method: str) -> str | None:
    return supports(handle, method)  # type: ignore[arg-type]


@dataclass(frozen=True)
class GeometryResult(Generic[D]):
    """A claim's test on one geometry, ruled on its bounds (harness.claims.ruling): passes
    True (every bound shown), False (one ruled out), None (undecided)."""

    bounds: tuple[Bound, ...]
    value: Any
    interval: tuple[float, float] | None
    reason: str
    details: D
    note: str | None = None  # shown beside the value (a p at its floor)

    @property
    def passes(self) -> bool | None:
        return all_of(self.bounds)[0]

    @property
    def ruled_out(self) -> Bound | None:
        return all_of(self.bounds)[1]

    def shown(self) -> Any:
        return f"{fmt(self.value)} ({self.note})" if self.note else canonical(self.value)


# What a test reads: a Geometry, or for C2 a (generation, comprehension) pair of them.
Subject = Any
# (subject, block or None for the middle) -> the claim's test result
GeometryTest = Callable[[Subject, "int | None"], GeometryResult[Any]]
# (subject, block, its random-weight copy) -> the label-shuffled (or other) control
NullReading = Callable[[Subject, "int | None", "Subject | None"], ControlReading]
RANDOM_COPY = "random-weight copy"


def beats(model: Sequence[Bound], control: Sequence[Bound]) -> bool:
    """Does the model beat the control on every statistic where the control is undecided? Its
    interval lies wholly beyond the control's, on the side the claim favours (higher for a
    region above a cut, lower for one below; a band has no better side)."""
    for m, c in zip(model, control, strict=True):
        if c.side is not None:
            continue
        favour = {k for k in c.region if k in ("gt", "ge", "lt", "le")}
        if m.uses_shown and c.uses_shown:
            # Shown by another test (a permutation p): the model passes it beyond its
            # Monte-Carlo interval and the control fails it beyond its own.
            ok = m.shown is True and c.shown is False
        elif favour <= {"gt", "ge"} and favour:
            ok = m.interval[0] > c.interval[1]
        elif favour <= {"lt", "le"} and favour:
            ok = m.interval[1] < c.interval[0]
        else:
            ok = False
        if not ok:
            return False
    return True


def copy_reading(r: GeometryResult[Any], rc: GeometryResult[Any]) -> ControlReading:
    """The random-weight copy under the claim's own test: it passes too (uninformative), it is
    ruled out, or its reading is undecided; an undecided copy the model beats on every
    undecided statistic cannot pass as far as the model goes (harness.claims.ruling)."""
    undecided = rc.passes is None and not beats(r.bounds, rc.bounds)
    value = rc.shown() if rc.passes is not None or undecided else f"{fmt(rc.value)} (undecided, beaten by the model)"
    return ControlReading(RANDOM_COPY, value, rc.passes is True, undecided=undecided)


def judge(test: GeometryTest, null: NullReading, g: Subject, block: int | None, control: Subject | None,
          copy_decides: bool = True) -> Check[Any]:
    """``test`` on ``g`` decided against the label-shuffled null and (``copy_decides``) the
    random-weight copy; otherwise the copy's reading is recorded without deciding."""
    r = test(g, block)
    controls = [null(g, block, control)]
    if control is not None:
        reading_ = copy_reading(r, test(control, block))
        controls.append(reading_ if copy_decides else ControlReading(reading_.name, reading_.value, None))
    verdict = decide(r.passes, controls)
    said = "; ".join(f"{c.name} {fmt(c.value)}" + (" passes too" if c.passes else "")
                     + (" undecided: may pass too" if c.undecided else "") for c in controls)
    return Check(verdict == "holds", r.value, f"{r.reason}; controls: {said}", r.details, outcome=verdict,
                 interval=r.interval, controls=tuple(controls), note=r.note, ruled_out=r.ruled_out)


def reading(r: GeometryResult[Any], controls: list[ControlReading], prefix: str) -> Check[Any]:
    """A test result recorded beside the verdict (a control's own reading, a variant), decided
    against ``controls`` only."""
    verdict = decide(r.passes, controls)
    return Check(verdict == "holds", r.value, prefix + r.reason, r.details, outcome=verdict, interval=r.interval,
                 note=r.note, ruled_out=r.ruled_out)


def findings(claim: Claim[Any], ev: Evidence, label: str, test: GeometryTest, null: NullReading,
              subject: Callable[[str, str], Subject], blocks: Callable[[Subject], list[int]] | None,
              replicate: bool, paper: PaperRef | None = None, copy_decides: bool = True) -> list[Finding]:
    """The decisive finding (primary stimuli, middle block, both controls), its verdicts at
    the neighbouring blocks, the random-weight copy's own reading, and (``replicate``) the
    replication on the second stimulus set. ``subject(stimulus set, weights)`` is what the
    test reads; ``label`` is the records' method; ``paper`` overrides the claim's reference."""
    ref = paper or claim.paper(ev.handle.key, ev.handle.family, label)
    g, ctrl = subject("primary", "trained"), subject("primary", "random")
    main = judge(test, null, g, None, ctrl, copy_decides)
    if blocks is not None:
        main = with_adjacent(main, {b: judge(test, null, g, b, ctrl, copy_decides) for b in blocks(g)})
    ctx = ev.context(label)
    out = [Finding(claim.metric, main, ctx, ref),
           Finding(f"{claim.metric} ({RANDOM_COPY})", reading(test(ctrl, None), [null(ctrl, None, None)],
                                                               "on the random-weight copy: "),
                   {**ctx, "weights": "random"}, ref)]
    if ev.replication is not None and replicate:
        name = ev.replication.name
        rep = judge(test, null, subject("replication", "trained"), None, subject("replication", "random"),
                    copy_decides)
        out.append(Finding(f"{claim.metric} (stimuli {name})", rep,
                           {**ctx, "stimuli": ev.replication.content_hash()[:12], "stimulus_set": name}, ref))
    return out


def geometry_findings(claim: Claim[Any], ev: Evidence, method: str, test: GeometryTest, null: NullReading,
                      per_block: bool = True, copy_decides: bool = True) -> list[Finding]:
    """:func:`findings` for a claim read off one extraction method's geometry (comprehension
    replicates on the second set; generation reads one set of stories)."""
    return findings(claim, ev, method, test, null, lambda which, w: ev.geometry(method, which, w),
                    (lambda g: sorted(g.adjacent)) if per_block else None, replicate=method == "comprehension",
                    copy_decides=copy_decides)


def with_adjacent(main: Check[Any], checks: dict[int, Check[Any]]) -> Check[Any]:
    """``main`` with the verdicts and values at the middle block and its neighbours."""
    verdicts = {str(b): c.verdict for b, c in checks.items()}
    values = {str(b): f"{fmt(c.value)} (floor)" if c.note else canonical(c.value) for b, c in checks.items()}
    said = ", ".join(f"{b}: {v} ({fmt(values[b])})" for b, v in verdicts.items())
    flips = len(set(verdicts.values())) > 1
    return replace(main, adjacent=verdicts, adjacent_values=values, reason=main.reason + (
        f"; the verdict flips between adjacent blocks ({said})" if flips else f"; same verdict at blocks {said}"))


def caption(records: list[ClaimRecord], what: str) -> str:
    return provenance(records, what, "every single-block reading is at the middle block L // 2, whose depth "
                      "(l+1)/L is 0.53-0.56 on these models (the paper's '50%' layer)")

def no_paper_number(model: str, family: str, axis_value: str = "") -> PaperRef:
    return PaperRef(None, "the paper reports no number for this")


