"""Progress of the long phases (loading, generation, re-reads, scoring), for whoever listens.

Experiment code opens a :func:`phase` (model, what, unit); the batching loop reports each
finished batch to the innermost open phase (:func:`expect` when a loop starts, :func:`advance`
per batch) and generation adds the tokens it produced. Sinks (the pytest plugin's terminal
line, :func:`stderr_sink` for the command line) decide how to show an :class:`Update`; with
no sink installed every call here is a no-op, so library users pay nothing.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Literal, TextIO

from tqdm import tqdm

Event = Literal["start", "step", "end"]


@dataclass(frozen=True)
class Update:
    model: str
    phase: str
    event: Event
    done: int
    total: int | None  # None until a loop says how many rows it will run
    unit: str
    tokens: int  # tokens generated so far in this phase (0 for teacher-forced passes)
    elapsed: float  # seconds since the phase opened

    def line(self) -> str:
        """One line: model | phase | done/total | elapsed and ETA | tokens/s."""
        fmt = tqdm.format_interval
        parts = [self.model, self.phase]
        if self.total:
            parts.append(f"{self.done}/{self.total} {self.unit} ({100 * self.done / self.total:.0f}%)")
        elif self.done:
            parts.append(f"{self.done} {self.unit}")
        clock = fmt(self.elapsed)
        if self.event == "step" and self.total and self.done:
            clock += f", ETA {fmt(self.elapsed * (self.total - self.done) / self.done)}"
        parts.append(clock)
        if self.tokens and self.elapsed > 0:
            parts.append(f"{self.tokens / self.elapsed:.0f} tok/s")
        return {"start": "start ", "step": "", "end": "done  "}[self.event] + " | ".join(parts)


Sink = Callable[[Update], None]


@dataclass
class _Phase:
    model: str
    name: str
    unit: str
    total: int | None
    done: int = 0
    tokens: int = 0
    started: float = field(default_factory=time.perf_counter)

    def update(self, event: Event) -> Update:
        return Update(self.model, self.name, event, self.done, self.total, self.unit, self.tokens,
                      time.perf_counter() - self.started)


_sinks: list[Sink] = []
_open: list[_Phase] = []


def _emit(p: _Phase, event: Event) -> None:
    u = p.update(event)
    for sink in list(_sinks):
        sink(u)


@contextlib.contextmanager
def reporting(sink: Sink) -> Iterator[None]:
    """Send every update to ``sink`` while the block runs."""
    _sinks.append(sink)
    try:
        yield
    finally:
        _sinks.remove(sink)


@contextlib.contextmanager
def phase(model: str, name: str, total: int | None = None, unit: str = "rows") -> Iterator[None]:
    """One named phase of one model's work; batches run inside it advance it."""
    p = _Phase(model, name, unit, total)
    _open.append(p)
    _emit(p, "start")
    try:
        yield
    finally:
        _open.remove(p)
        _emit(p, "end")


def expect(n: int) -> None:
    """A loop of ``n`` rows starts in the innermost phase (adds to its total)."""
    if _open:
        p = _open[-1]
        p.total = (p.total or 0) + n


def advance(n: int = 1, tokens: int = 0) -> None:
    """``n`` more rows (and ``tokens`` generated tokens) of the innermost phase are done."""
    if _open:
        p = _open[-1]
        p.done += n
        p.tokens += tokens
        _emit(p, "step")


def add_tokens(tokens: int) -> None:
    """Generated tokens of a batch that :func:`advance` will count as done."""
    if _open:
        _open[-1].tokens += tokens


def pulse() -> None:
    """A sign of life from inside a long step (a decode step of a batch): the innermost phase
    reports where it stands, and the display decides whether to show it."""
    if _open and _sinks:
        _emit(_open[-1], "step")


# In a log (no terminal), a long phase writes a done/total line at least this often.
LOG_INTERVAL = 30.0


@dataclass
class Gate:
    """Which updates a display shows: on a terminal every start and end and a step at most
    every ``interval`` seconds; in a log every start and end and a step once ``log_interval``
    seconds have passed since the last line (a short phase: start and end only); under
    ``quiet`` only ends."""

    interval: float = 0.5
    log_interval: float = LOG_INTERVAL
    _last: float = 0.0

    def shows(self, u: Update, live: bool, quiet: bool = False) -> bool:
        now = time.perf_counter()
        if u.event != "step":
            self._last = now
            return u.event == "end" or not quiet
        if quiet and not live:
            return False
        if now - self._last < (self.interval if live else self.log_interval):
            return False
        self._last = now
        return True


def stderr_sink(stream: TextIO | None = None, interval: float = 0.5, log_interval: float = LOG_INTERVAL) -> Sink:
    """Updates on ``stream`` (stderr): a live line on a terminal, else a line per phase start and
    end and one at least every ``log_interval`` seconds or tenth of a phase between."""
    out = stream or sys.stderr
    live = out.isatty()
    gate = Gate(interval, log_interval)

    def sink(u: Update) -> None:
        if not gate.shows(u, live):
            return
        out.write(("\r\033[K" + u.line() + ("\n" if u.event == "end" else "")) if live else u.line() + "\n")
        out.flush()

    return sink
