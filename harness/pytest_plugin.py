"""pytest plugin (entry point ``pytest11``): the evals' options, fixtures and report.

It owns every option an eval needs (``--models``, ``--device``, ``--profile``, ...) and
registers the fixtures of harness.fixtures, so an evals folder outside this repository
works with the installed package alone. Tests record claims; at session end the plugin
writes ``results.json``, ``summary.md``, plots and excerpts into ``--report-dir`` and
prints the claims table. Under pytest-xdist each worker ships its records (its shard) to
the controller through ``workeroutput``; only the controller writes files.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import platform
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from harness import __version__
from harness.claims.record import ClaimRecord, canonical
from harness.errors import HarnessError
from harness.protocol import PROTOCOL_VERSION

pytest_plugins = ["harness.fixtures"]

_SHARD_KEY = "emotion_harness_shard"
_PHASES_KEY = "emotion_harness_phase_seconds"


@dataclass
class RunStore:
    records: list[ClaimRecord] = field(default_factory=list)
    models: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Steered text excerpts, so a reader can judge the generations behind C5-C10 and C13.
    excerpts: list[dict[str, Any]] = field(default_factory=list)

    def add_model(self, handle: Any) -> None:
        """Note a loaded model (a harness.models.loading.ModelHandle) in the run metadata."""
        s = handle.spec
        self.models[handle.key] = {
            "family": s.family, "kind": s.kind, "source": s.source, "params": s.params,
            "hub_id": s.hub_id, "n_layers": handle.n_layers, "d_model": handle.d_model,
            "fingerprint": handle.fingerprint, "load_seconds": round(handle.load_seconds, 2),
        }

    def record(self, claim: str, model: str, metric: str, value: Any, verdict: str,
               paper_value: Any = None, details: dict[str, Any] | None = None) -> ClaimRecord:
        return self.add(ClaimRecord(claim=claim, model=model, metric=metric, value=canonical(value),
                                    verdict=verdict, paper_value=paper_value,  # type: ignore[arg-type]
                                    details=canonical(dict(details or {}))))

    def add(self, rec: ClaimRecord) -> ClaimRecord:
        self.records.append(rec)
        return rec

    def add_excerpts(self, items: list[dict[str, Any]]) -> None:
        self.excerpts.extend(canonical(items))

    def to_json(self) -> str:
        return json.dumps({"records": [r.to_dict() for r in self.records], "models": self.models,
                           "excerpts": self.excerpts})

    def merge_json(self, text: str) -> None:
        shard = json.loads(text)
        self.records.extend(ClaimRecord.from_dict(r) for r in shard["records"])
        self.models.update(shard["models"])
        self.excerpts.extend(shard.get("excerpts", []))


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
        self.gate = Gate(interval)
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


_STORE = pytest.StashKey[RunStore]()
_PROGRESS = pytest.StashKey[TerminalProgress]()
_KEYS = pytest.StashKey[list[str]]()


def run_store(config: pytest.Config) -> RunStore:
    return config.stash.setdefault(_STORE, RunStore())


def selected_models(config: pytest.Config) -> list[str]:
    """Registry keys selected by ``--models`` (resolved once, at configure time)."""
    return list(config.stash[_KEYS])


def pytest_addoption(parser: pytest.Parser) -> None:
    g = parser.getgroup("emotion-harness")
    g.addoption("--models", default="embedded",
                help="comma-separated registry keys, globs, local model folders, 'embedded' (default) or 'all'")
    g.addoption("--device", default="cpu", help="cpu, cuda, cuda:N or auto (default cpu)")
    g.addoption("--dtype", default="float32", help="float32 (default), bfloat16 or float16")
    g.addoption("--offline", action="store_true",
                help="never download: use only weights already in the harness or HF cache")
    g.addoption("--allow-download", action="store_true",
                help="let hub models download into the HF cache (off by default)")
    g.addoption("--trust-remote-code", action="store_true",
                help="allow models that ship their own Python code (off by default)")
    g.addoption("--profile", default="paper", help="paper (default) or quick")
    g.addoption("--stimuli", default=None,
                help="stimulus set folder (needs passages.yaml; other files default to the packaged set); "
                     "default: the packaged set")
    g.addoption("--replicate-with", default=None,
                help="second stimulus set the geometry verdicts are replicated on (default: the packaged "
                     "independently written set-b; 'none' turns replication off)")
    g.addoption("--classifier", default="auto",
                help="external emotion classifier for C6/C7: auto (j-hartmann when its weights are "
                     "local, else nade), j-hartmann or nade")
    g.addoption("--ppl-scorer", default="external",
                help="model that scores perplexity of steered text: external (default: the first of "
                     "thresholds.PPL_SCORERS that is not the steered model), self (the steered model, "
                     "unsteered), or a registry key")
    g.addoption("--scale-rule", default="paper", choices=("paper", "sink-robust"),
                help="which prompt positions the steering scale s_l averages in the steering grid: paper "
                     "(every position, the attention sink included) or sink-robust (all but the first); "
                     "C13 runs both either way")
    g.addoption("--progress", default="on", choices=("on", "off"),
                help="show each model's phases (loading, generation, re-reads, scoring) with done/total, "
                     "tokens/s and ETA past output capture (default on)")
    g.addoption("--report-dir", default="reports/latest",
                help="where results.json and summary.md go (relative to the rootdir)")
    g.addoption("--baselines", default="evals/baselines",
                help="folder of reviewed per-model regression baselines (relative to the rootdir; "
                     "'none' turns the comparison off)")
    g.addoption("--update-baselines", action="store_true",
                help="write every recorded value into the baselines instead of comparing")
    g.addoption("--expected", default="evals/expected_outcomes.yaml",
                help="reviewed outcomes of claims known not to hold (relative to the rootdir; 'none' for none)")


def pytest_configure(config: pytest.Config) -> None:
    from harness.metrics.classifier import BACKENDS
    from harness.models.loading import resolve_device, resolve_dtype, worker_device
    from harness.models.registry import select
    from harness.protocol import get_profile

    try:
        get_profile(config.getoption("profile"))
        if config.getoption("classifier") not in BACKENDS:
            raise HarnessError(f"unknown --classifier '{config.getoption('classifier')}'; "
                               f"use one of {', '.join(BACKENDS)}")
        resolve_device(config.getoption("device"))
        resolve_dtype(config.getoption("dtype"))
        config.stash[_KEYS] = select(config.getoption("models").split(","))
    except HarnessError as e:
        raise pytest.UsageError(str(e)) from None
    from harness import progress

    stack = contextlib.ExitStack()
    config.stash[_PROGRESS] = TerminalProgress(config, worker=_worker_id(config))
    stack.enter_context(progress.reporting(config.stash[_PROGRESS]))
    config.add_cleanup(stack.close)
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker and config.getoption("device") == "cuda":
        import torch

        config.option.device = worker_device("cuda", worker, torch.cuda.device_count())
    workers = os.environ.get("PYTEST_XDIST_WORKER_COUNT")
    if workers:
        # Share the cores: oversubscribed torch threads spin-wait, and forwards get ~10x slower.
        import torch

        torch.set_num_threads(max(1, (os.cpu_count() or 1) // int(workers)))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "model_key" in metafunc.fixturenames:
        keys = selected_models(metafunc.config)
        metafunc.parametrize("model_key", keys, ids=keys, scope="session")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # One xdist group per model, so `-n N --dist loadgroup` loads each model in one worker.
    for item in items:
        key = getattr(item, "callspec", None) and item.callspec.params.get("model_key")
        if key:
            item.add_marker(pytest.mark.xdist_group(name=key))


@pytest.fixture(scope="session")
def harness_run(pytestconfig: pytest.Config) -> RunStore:
    """The session's record store (models loaded, claim results, steered excerpts)."""
    return run_store(pytestconfig)


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def _worker_id(config: pytest.Config) -> str | None:
    return config.workerinput.get("workerid", "worker") if _is_worker(config) else None


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    output = getattr(node, "workeroutput", {})
    if output.get(_SHARD_KEY):
        run_store(node.config).merge_json(output[_SHARD_KEY])
    watch = node.config.stash.get(_PROGRESS, None)
    if watch is not None:  # the run's summary counts the phases every worker computed
        watch.computed.extend(output.get(_PHASES_KEY, []))


def run_metadata(config: pytest.Config, store: RunStore) -> dict[str, Any]:
    import torch
    import transformers

    def opt(name: str) -> Any:
        return config.getoption(name, default=None)

    return {
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "harness_version": __version__, "protocol_version": PROTOCOL_VERSION,
        "profile": opt("profile"), "device": opt("device"), "dtype": opt("dtype"),
        "models": dict(sorted(store.models.items())),
        "torch": torch.__version__, "transformers": transformers.__version__,
        "python": platform.python_version(), "platform": platform.platform(),
    }


def rooted_path(config: pytest.Config, option: str) -> Path | None:
    """A path option resolved against the rootdir; None when it is empty or 'none'."""
    value = config.getoption(option)
    if value in (None, "", "none"):
        return None
    p = Path(value)
    return p if p.is_absolute() else config.rootpath / p


def report_dir(config: pytest.Config) -> Path:
    return rooted_path(config, "report_dir") or config.rootpath / "reports" / "latest"


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    from harness.report.results import write_results
    from harness.report.summary import write_report

    config = session.config
    store = run_store(config)
    if _is_worker(config):
        config.workeroutput[_SHARD_KEY] = store.to_json()
        watch = config.stash.get(_PROGRESS, None)
        config.workeroutput[_PHASES_KEY] = list(watch.computed) if watch is not None else []
        return
    if not store.records:
        return  # unit-test runs and all-skipped runs leave the last report alone
    out = report_dir(config)
    run = run_metadata(config, store)
    write_results(out / "results.json", run, store.records, store.excerpts)
    write_report(out, run, store.records, store.excerpts)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    from harness.report.summary import claims_table

    store = run_store(config)
    if _is_worker(config) or not store.records:
        return
    terminalreporter.write_sep("=", "emotion claims (measured vs paper)")
    terminalreporter.write_line(claims_table(store.records, fmt_name="simple"))
    terminalreporter.write_line(f"report: {report_dir(config) / 'summary.md'}")
    watch = config.stash.get(_PROGRESS, None)
    if watch is not None:
        from tqdm import tqdm

        from harness.cache import cache_root

        took = tqdm.format_interval(time.perf_counter() - watch.started)
        terminalreporter.write_line(
            f"this run took {took}: {len(watch.computed)} phases computed "
            f"({tqdm.format_interval(sum(watch.computed))}), everything else read from the cache ({cache_root()})")
