"""Progress of the evals' phases on pytest's terminal, past output capture."""

from __future__ import annotations

import contextlib
import sys
import time
from typing import Any

import pytest


class TerminalProgress:
    """Progress updates on pytest's terminal, past output capture (phases run inside fixtures,
    whose output pytest captures): a live line on a terminal; otherwise (CI logs) a line when
    a phase starts and one when it ends, the end line only under ``-q``. A pytest-xdist
    worker (``worker`` set) has no terminal of its own: it writes those start/end lines,
    prefixed with its name, to the stderr it shares with the controller."""

    def __init__(self, config: pytest.Config, interval: float = 0.5, worker: str | None = None) -> None:
        from harness.progress import Gate

        self.config = config
        self.worker = worker
        self.gate = Gate(interval, float(config.getoption("progress_every")))
        self._line: str | None = None  # "live" / "ended": our unterminated line is the last one shown
        self.started = time.perf_counter()
        self.computed: list[float] = []  # seconds of every phase that ran (not read from the cache)

    def __call__(self, update: Any) -> None:
        if update.event == "end":
            self.computed.append(update.elapsed)
        if self.config.getoption("progress") == "off":
            return
        tr = None if self.worker else self.config.pluginmanager.get_plugin("terminalreporter")
        if tr is None and not self.worker:
            return
        tty = bool(tr.isatty) if tr is not None else False
        if not self.gate.shows(update, tty, quiet=self.config.getoption("verbose") < 0):
            return
        capman = self.config.pluginmanager.get_plugin("capturemanager")
        with capman.global_and_fixture_disabled() if capman else contextlib.nullcontext():
            if tr is None:
                sys.stderr.write(f"[{self.worker}] {update.line()}\n")
                sys.stderr.flush()
                return
            if not tr.isatty:
                self._fresh_line(tr)
                tr.write_line(update.line())
                tr.flush()
                return
            if tr.currentfspath is not None:  # pytest wrote after our line
                self._line = None
            if self._line is None:
                self._fresh_line(tr)
            elif self._line == "ended" and update.event == "start":
                tr.write("\n")
            tr.rewrite(update.line(), erase=True)
            tr.flush()
            self._line = "ended" if update.event == "end" else "live"

    @staticmethod
    def _fresh_line(tr: Any) -> None:
        """Start on an empty line: after a file name (verbose) or after -q's bare result letters."""
        tw = getattr(tr, "_tw", None)
        if tw is not None and tw.width_of_current_line:
            tr.write("\n")
            tr.currentfspath = None  # pytest writes the file name again before the next result
        else:
            tr.ensure_newline()
