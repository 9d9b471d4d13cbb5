"""pytest plugin (entry point ``pytest11``): record claim results and write the report.

Tests record through the ``record_claim`` fixture. At session end the plugin writes
``results.json`` and ``summary.md`` into ``--report-dir`` (default ``reports/latest``) and
prints the claims table. Under pytest-xdist each worker ships its records (its shard)
to the controller through ``workeroutput``; only the controller writes files.
"""

from __future__ import annotations

import datetime as _dt
import json
import platform
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from harness import PROTOCOL_VERSION, __version__
from harness.report.baselines import check as check_baseline
from harness.report.results import ClaimRecord, canonical, write_results
from harness.report.summary import claims_table, write_report

_SHARD_KEY = "emotion_harness_shard"


@dataclass
class RunStore:
    records: list[ClaimRecord] = field(default_factory=list)
    models: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Steered text excerpts, so a reader can judge the generations behind C5-C10.
    excerpts: list[dict[str, Any]] = field(default_factory=list)

    def add_model(self, handle: Any) -> None:
        """Note a loaded model (a harness.models.ModelHandle) in the run metadata."""
        s = handle.spec
        self.models[handle.key] = {
            "family": s.family, "kind": s.kind, "source": s.source, "params": s.params,
            "hub_id": s.hub_id, "n_layers": handle.n_layers, "d_model": handle.d_model,
            "fingerprint": handle.fingerprint, "load_seconds": round(handle.load_seconds, 2),
        }

    def record(self, claim: str, model: str, metric: str, value: Any, verdict: str,
               paper_value: Any = None, details: dict[str, Any] | None = None) -> ClaimRecord:
        rec = ClaimRecord(claim=claim, model=model, metric=metric, value=canonical(value), verdict=verdict,
                          paper_value=paper_value, details=canonical(dict(details or {})))
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


_STORE = pytest.StashKey[RunStore]()


def run_store(config: pytest.Config) -> RunStore:
    return config.stash.setdefault(_STORE, RunStore())


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--report-dir", default="reports/latest",
                     help="where results.json and summary.md go (relative to the rootdir)")
    parser.addoption("--baselines", default="evals/baselines",
                     help="folder of reviewed per-model regression baselines (relative to the rootdir; "
                          "'none' turns the comparison off)")
    parser.addoption("--update-baselines", action="store_true",
                     help="write every recorded value into the baselines instead of comparing")


@pytest.fixture(scope="session")
def harness_run(pytestconfig: pytest.Config) -> RunStore:
    """The session's record store (models loaded, claim results)."""
    return run_store(pytestconfig)


@pytest.fixture
def record_claim(harness_run: RunStore, pytestconfig: pytest.Config):
    """``record_claim(claim, model, metric, value, verdict, paper_value=None, details=None)``.

    Each record is compared with its reviewed baseline (``--baselines``); a value that
    drifted beyond its tolerance fails the test that recorded it."""
    root = _baselines_dir(pytestconfig)
    update = pytestconfig.getoption("update_baselines")

    def record(*args: Any, **kwargs: Any) -> ClaimRecord:
        rec = harness_run.record(*args, **kwargs)
        message = check_baseline(root, rec, update) if root is not None else None
        if message:
            pytest.fail(f"regression against the reviewed baseline: {message}; if the change is intended, "
                        "rerun with --update-baselines and review the diff", pytrace=False)
        return rec

    return record


def _baselines_dir(config: pytest.Config) -> Path | None:
    opt = config.getoption("baselines")
    if opt in (None, "", "none"):
        return None
    d = Path(opt)
    return d if d.is_absolute() else config.rootpath / d


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    shard = getattr(node, "workeroutput", {}).get(_SHARD_KEY)
    if shard:
        run_store(node.config).merge_json(shard)


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


def report_dir(config: pytest.Config) -> Path:
    d = Path(config.getoption("report_dir"))
    return d if d.is_absolute() else config.rootpath / d


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    store = run_store(config)
    if _is_worker(config):
        config.workeroutput[_SHARD_KEY] = store.to_json()
        return
    if not store.records:
        return  # unit-test runs and all-skipped runs leave the last report alone
    out = report_dir(config)
    run = run_metadata(config, store)
    write_results(out / "results.json", run, store.records, store.excerpts)
    write_report(out, run, store.records, store.excerpts)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    store = run_store(config)
    if _is_worker(config) or not store.records:
        return
    terminalreporter.write_sep("=", "emotion claims (measured vs paper)")
    terminalreporter.write_line(claims_table(store.records, fmt_name="simple"))
    terminalreporter.write_line(f"report: {report_dir(config) / 'summary.md'}")
