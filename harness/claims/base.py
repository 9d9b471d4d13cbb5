"""What a claim is: its identity, the axis it runs over, its check, its paper values, its tables.

A claim's check reads evidence (geometry of an extraction, a steering run) and returns
findings: the first decides the verdict, any others record related readings beside it.
Each finding becomes one :class:`~harness.claims.record.ClaimRecord` whose ``details`` are
a typed dataclass, so the report reads fields, not string keys. No pytest here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Literal, Protocol, TypeVar

from harness.claims.record import ClaimRecord, Verdict, canonical
from harness.claims.ruling import Bound
from harness.errors import HarnessError

if TYPE_CHECKING:
    from harness.experiments.extraction import Extraction
    from harness.experiments.geometry_run import Geometry
    from harness.experiments.script_control import ScriptControl
    from harness.experiments.steering_grid import SteeringRun
    from harness.metrics.recognition import Recognition
    from harness.models.loading import ModelHandle
    from harness.protocol import Profile
    from harness.stimuli.loading import Stimuli

# What a claim is run over: the extraction method of its vectors, or the prompting mode of
# its steered continuations. Recorded as ``details["method"]`` either way.
Axis = Literal["extraction method", "prompting mode"]

D = TypeVar("D")


@dataclass(frozen=True)
class PaperRef:
    """The paper's number for a claim and exactly where it comes from."""

    value: Any
    source: str


@dataclass(frozen=True)
class ControlReading:
    """A claim's control under the claim's own test: its value and whether it passes too."""

    name: str  # e.g. "label-shuffled null", "random-weight copy"
    value: Any
    passes: bool | None  # None: not measured, or the test does not apply to it
    # The control's own test could not decide (its interval straddles the cut): it may pass
    # too, so a pass beside it is not yet shown to be the model's.
    undecided: bool = False

    def as_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        if not self.undecided:
            del d["undecided"]  # recorded only where it decides something
        return d


@dataclass(frozen=True)
class Check(Generic[D]):
    """A verdict with its headline value, one-line reason and typed details.

    ``holds=None`` is a measurement that decides nothing (recorded as ``not applicable``).
    A check judged against controls (:func:`decide`) sets ``outcome``, which may also be
    inconclusive or uninformative; ``interval`` is the value's interval, ``controls`` the
    controls' readings and ``adjacent`` (``adjacent_values``) the verdicts (values) at the
    middle block and its neighbours."""

    holds: bool | None
    value: Any
    reason: str
    details: D
    outcome: Verdict | None = None
    interval: tuple[float, float] | None = None
    controls: tuple[ControlReading, ...] = ()
    adjacent: dict[str, Verdict] | None = None
    adjacent_values: dict[str, Any] | None = None
    note: str | None = None  # shown beside the value (e.g. a p at the floor its shuffles allow)
    # The statistic whose interval lies outside the claim's region: a "does not hold" must
    # name one (harness.claims.ruling); a failed test without it is an error, not a verdict.
    ruled_out: Bound | None = None

    def __post_init__(self) -> None:
        if self.verdict == "does not hold" and self.ruled_out is None:
            raise HarnessError(f"'does not hold' without an interval that excludes the claim's region: {self.reason}")

    @property
    def verdict(self) -> Verdict:
        if self.outcome is not None:
            return self.outcome
        if self.holds is None:
            return "not applicable"
        return "holds" if self.holds else "does not hold"


def decide(passes: bool | None, controls: Sequence[ControlReading]) -> Verdict:
    """The verdict of a test against its controls: ``passes`` True means every statistic is
    shown, False that one is ruled out (harness.claims.ruling), None undecided
    (inconclusive); a pass that a control matches is uninformative, and one beside a control
    that may pass too (undecided) is inconclusive."""
    if passes is None:
        return "inconclusive"
    if not passes:
        return "does not hold"
    if any(c.passes for c in controls):
        return "uninformative"
    if any(c.undecided for c in controls):
        return "inconclusive"
    return "holds"


@dataclass(frozen=True)
class Finding:
    """One record-to-be: a metric, its check, and the context every number carries
    (method, profile, stimulus hash, and for steering the run's settings)."""

    metric: str
    check: Check[Any]
    context: dict[str, Any]
    paper: PaperRef | None = None  # None: the record carries no paper value


class Evidence(Protocol):
    """What a claim may read about one model (built by harness.experiments.workbench)."""

    handle: ModelHandle
    stimuli: Stimuli
    profile: Profile

    def geometry(self, method: str, which: str = "primary", weights: str = "trained") -> Geometry: ...

    @property
    def replication(self) -> Stimuli | None: ...

    def cross_set_transfer(self) -> dict[str, float]: ...

    def steering(self, prompting: str) -> SteeringRun: ...

    def recognition(self) -> dict[str, dict[str, Recognition]]: ...

    def script_control(self) -> ScriptControl: ...

    def context(self, method: str) -> dict[str, Any]: ...

    def steering_context(self, run: SteeringRun) -> dict[str, Any]: ...

    def neutral_sentence_states(self) -> Extraction: ...


@dataclass(frozen=True)
class Table:
    """A section of the report: the paper's table re-made from records."""

    title: str
    render: Callable[[list[ClaimRecord], dict[str, str]], str]  # (records, model kinds) -> markdown


@dataclass(frozen=True)
class Plot:
    """A figure of the report, drawn from records: ``draw(records, out)`` writes PNGs under
    ``out`` and returns their paths relative to it ({model or model_method: path}, or one path
    for a figure over every model), None or {} when no record has the data."""

    kind: str  # file prefix and key ("ucurve")
    title: str  # what it shows, as the report lists it
    draw: Callable[[list[ClaimRecord], Path], dict[str, str] | str | None]


@dataclass(frozen=True)
class Claim(Generic[D]):
    """One paper claim, declared once.

    ``check(evidence, axis_value)`` returns the findings; the first decides the verdict.
    ``applies(handle, axis_value)`` gives the reason it does not apply, or None.
    ``paper(model_key, family, axis_value)`` is the paper's value to show beside the measured one:
    the paper's number for the same model and method where it gives one, else the number that
    stands in, with its source saying so.
    """

    id: str
    section: str
    statement: str
    axis: Axis
    axis_values: tuple[str, ...]
    metric: str  # the decisive finding's metric
    details: type[D]  # the decisive finding's details
    check: Callable[[Evidence, str], list[Finding]]
    applies: Callable[[ModelHandle, str], str | None]
    paper: Callable[[str, str, str], PaperRef]  # (model, family, axis value) -> the paper's value
    tables: tuple[Table, ...] = ()
    short: str = ""  # a few words for tables ("U-curve")
    plots: tuple[Plot, ...] = ()
    # What `python -m harness claims` lists: how the claim is tested, what it is decided
    # against, and the names of the constants in harness.thresholds that decide it.
    test: str = ""
    control: str = ""
    thresholds: tuple[str, ...] = ()
    # The count behind a share, from the decisive record's typed details ("0/2, 45 collapsed"):
    # the verdict matrix shows it in place of the bare share, which hides how few texts it rests on.
    count: Callable[[Any], str] | None = None

    def finding(self, ev: Evidence, check: Check[Any], context: dict[str, Any], metric: str | None = None
                ) -> Finding:
        """A finding of this claim on ``ev``'s model, carrying the claim's paper reference
        (``metric`` defaults to the decisive one)."""
        return Finding(metric or self.metric, check, context,
                       self.paper(ev.handle.key, ev.handle.family, str(context.get("method", ""))))

    def read(self, records: Sequence[ClaimRecord]) -> list[tuple[ClaimRecord, D]]:
        """This claim's decisive records with their typed details, sorted by model and method;
        records without the fields (another harness version) are skipped (see unreadable)."""
        out = []
        for r in records:
            if r.claim != self.id or r.metric != self.metric or r.verdict == "not applicable" \
                    or "method" not in r.details:
                continue
            d = parse_details(self.details, r.details)
            if d is not None:
                out.append((r, d))
        return sorted(out, key=lambda rd: (rd[0].model, str(rd[0].method)))


    def unreadable(self, records: Sequence[ClaimRecord]) -> int:
        """How many of this claim's decided records lack fields its details need (written by
        another harness version); the report says so rather than silently dropping them."""
        return sum(1 for r in records if r.claim == self.id and r.metric == self.metric
                   and r.verdict != "not applicable" and parse_details(self.details, r.details) is None)


def parse_details(cls: type[D], details: dict[str, Any]) -> D | None:
    """``cls`` built from a record's details, or None when a field is missing."""
    names = [f for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    if any(f.name not in details and f.default is dataclasses.MISSING
           and f.default_factory is dataclasses.MISSING for f in names):
        return None
    return cls(**{f.name: details[f.name] for f in names if f.name in details})


def to_record(claim_id: str, model: str, finding: Finding) -> ClaimRecord:
    """The record a finding becomes: context, reason, paper source, then the typed details."""
    check = finding.check
    details = {**finding.context, "reason": check.reason}
    if finding.paper is not None:
        details["paper_source"] = finding.paper.source
    if check.interval is not None:
        details["interval"] = list(check.interval)
    if check.controls:
        details["controls"] = [c.as_dict() for c in check.controls]
    if check.adjacent:
        details["adjacent_blocks"] = dict(check.adjacent)
    if check.adjacent_values:
        details["adjacent_values"] = dict(check.adjacent_values)
    if check.note:
        details["value_note"] = check.note
    if check.ruled_out is not None and check.verdict == "does not hold":
        details["ruled_out"] = check.ruled_out.as_dict()
    details.update(dataclasses.asdict(check.details))
    return ClaimRecord(claim=claim_id, model=model, metric=finding.metric, value=canonical(check.value),
                       verdict=check.verdict, paper_value=finding.paper.value if finding.paper else None,
                       details=canonical(details))


def not_applicable(claim: Claim[Any], model: str, axis_value: str, reason: str, profile: str) -> ClaimRecord:
    """The record of a claim that does not apply to a model on this axis value."""
    metric = f"{axis_value} extraction" if claim.axis == "extraction method" else f"{axis_value} prompts"
    return ClaimRecord(claim=claim.id, model=model, metric=metric, value=None, verdict="not applicable",
                       details={"method": axis_value, "reason": reason, "profile": profile})


@dataclass(frozen=True)
class Outcome:
    """A claim checked on one model and axis value: its records, and the check that decides
    (None when the claim does not apply; ``records`` then holds the not-applicable record)."""

    records: list[ClaimRecord]
    decisive: Check[Any] | None
    reason_not_applicable: str | None = None


def evaluate(claim: Claim[Any], evidence: Callable[[], Evidence], handle: ModelHandle, axis_value: str,
             profile: str) -> Outcome:
    """Check ``claim`` on ``handle``: not applicable -> one record saying why; else the findings
    of ``claim.check`` on the evidence (built only when needed) as records."""
    reason = claim.applies(handle, axis_value)
    if reason:
        return Outcome([not_applicable(claim, handle.key, axis_value, reason, profile)], None, reason)
    findings = claim.check(evidence(), axis_value)
    return Outcome([to_record(claim.id, handle.key, f) for f in findings], findings[0].check)
