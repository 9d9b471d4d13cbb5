"""One report from runs made apart (one model or model group per machine): their results.json
files are joined and the checks pooled over models are recomputed over all of them.

Runs join only when they measured the same thing: same protocol version, profile, stimuli and
scenarios (the hashes every record carries), and no model in two of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.claims.c06_classifier_flips import pooled_readable_records, pooled_records
from harness.claims.record import ClaimRecord, is_pooled
from harness.errors import HarnessError
from harness.report.results import read_excerpts, read_results

# What must agree: keys of the run metadata, and of the context every record carries.
_RUN_KEYS = ("protocol_version", "profile")
_RECORD_KEYS = ("stimuli", "scenarios")


def results_path(path: Path) -> Path:
    """A run folder's results.json, or the file itself."""
    return path / "results.json" if path.is_dir() else path


def _identity(run: dict[str, Any], records: Sequence[ClaimRecord]) -> dict[str, Any]:
    ident: dict[str, Any] = {k: run.get(k) for k in _RUN_KEYS}
    for k in _RECORD_KEYS:
        ident[k] = sorted({str(r.details[k]) for r in records if k in r.details})
    return ident


def same_measurement(a: Path, b: Path) -> tuple[tuple[dict[str, Any], list[ClaimRecord]], ...]:
    """Both runs' metadata and records, or a one-line error naming what they measured differently."""
    (run_a, recs_a), (run_b, recs_b) = read_results(a), read_results(b)
    ia, ib = _identity(run_a, recs_a), _identity(run_b, recs_b)
    if (k := differing_key(ib, ia)) is not None:
        raise HarnessError(f"cannot compare {b} with {a}: {k.replace('_', ' ')} {_show(ib[k])} vs {_show(ia[k])}; "
                           "compare runs of the same harness, profile and stimuli")
    return (run_a, recs_a), (run_b, recs_b)


def differing_key(ident: dict[str, Any], ident0: dict[str, Any]) -> str | None:
    """The first identity key two runs disagree on, or None."""
    for k in ident0:
        # A run without steering records has no scenarios hash; that is no disagreement.
        if ident[k] != ident0[k] and (k not in _RECORD_KEYS or (ident[k] and ident0[k])):
            return k
    return None


def merge_runs(paths: Sequence[Path], replace: bool = False
               ) -> tuple[dict[str, Any], list[ClaimRecord], list[dict[str, Any]]]:
    """The merged run metadata, records and excerpts of several runs' results.json files.
    ``replace``: a model in several runs is taken from the last of them (a model rerun on newer code
    replaces its older records and texts); otherwise a model in two runs is an error."""
    if len(paths) < 2:
        raise HarnessError("merging needs two runs or more; give each run's report folder")
    runs = []
    for p in paths:
        f = results_path(Path(p))
        run, records = read_results(f)
        runs.append((f, run, records, read_excerpts(f)))
    first, run0, recs0, _ = runs[0]
    ident0 = _identity(run0, recs0)
    owner: dict[str, int] = {}
    for i, (f, run, records, _) in enumerate(runs):
        ident = _identity(run, records)
        if (k := differing_key(ident, ident0)) is not None:
            raise HarnessError(f"cannot merge {f} with {first}: {k.replace('_', ' ')} {_show(ident[k])} vs "
                               f"{_show(ident0[k])}; rerun it with the same harness, profile and stimuli")
        # Record models, not run["models"]: a run also loads its perplexity scorer.
        for model in sorted({r.model for r in records if not is_pooled(r.model)}):
            if model in owner and not replace:
                raise HarnessError(f"cannot merge {f} with {runs[owner[model]][0]}: both ran {model}; "
                                   "give each model's run once, or --replace to take it from the later run")
            owner[model] = i
    records = [r for i, (_, _, recs, _) in enumerate(runs) for r in recs
               if not is_pooled(r.model) and owner.get(r.model) == i]
    records += pooled_records(records) + pooled_readable_records(records)
    merged = dict(run0)
    # Each model keeps the precision it ran in; runs in different precisions merge as "mixed".
    # A model's metadata comes from the run its records come from (another run may have loaded it as a scorer).
    merged["models"] = dict(sorted({m: {**v, "dtype": v.get("dtype", run.get("dtype"))}
                                    for i, (_, run, _, _) in enumerate(runs) for m, v in run.get("models", {}).items()
                                    if owner.get(m, i) == i}.items()))
    dtypes = {run.get("dtype") for _, run, _, _ in runs}
    merged["dtype"] = dtypes.pop() if len(dtypes) == 1 else "mixed"
    sources = []
    for i, (f, run, _, _) in enumerate(runs):
        kept = {m for m, j in owner.items() if j == i}
        # A run that is itself a merge lists the runs it came from: keep them, with the models kept.
        for src in run.get("merged_from") or [{"results": str(f), "date": run.get("date"), "device": run.get("device"),
                                               "dtype": run.get("dtype"), "platform": run.get("platform")}]:
            models = sorted(kept & set(src.get("models", kept)))
            if models:
                sources.append({**src, "models": models})
    merged["merged_from"] = sources
    excerpts = [e for i, (*_, ex) in enumerate(runs) for e in ex if owner.get(e.get("model")) == i]
    return merged, records, excerpts


def _show(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(value) or "none"
    return str(value)
