"""results.json: the run's metadata, its claim records and its steered-text excerpts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.claims.record import ClaimRecord, sort_key
from harness.errors import HarnessError

RESULTS_SCHEMA = 1


def excerpt_key(e: dict[str, Any]) -> tuple:
    # The main grid (short prompts, the paper's scale) first, then the C13 runs.
    return (e["model"], e["prompting"], e["scenario"], e.get("length", "short") != "short",
            e.get("rule", "paper") != "paper", e["direction"], e["strength"], e["prompt_index"])


def unique_excerpts(excerpts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sorted, one per key: under xdist a pooled check may re-add a model's excerpts."""
    return sorted({excerpt_key(e): e for e in excerpts}.values(), key=excerpt_key)


def write_results(path: Path, run: dict[str, Any], records: list[ClaimRecord],
                  excerpts: list[dict[str, Any]] | None = None) -> None:
    from harness.cache import atomic_path

    doc = {"schema": RESULTS_SCHEMA, "run": run,
           "records": [r.to_dict() for r in sorted(records, key=sort_key)],
           "excerpts": unique_excerpts(excerpts or [])}
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")


def read_results(path: Path) -> tuple[dict[str, Any], list[ClaimRecord]]:
    doc = _read_doc(path)
    try:
        return doc["run"], [ClaimRecord.from_dict(r) for r in doc["records"]]
    except HarnessError as e:
        raise HarnessError(f"{path}: {e}") from None


def read_excerpts(path: Path) -> list[dict[str, Any]]:
    """The steered-text excerpts of a results file (empty when no steering eval ran)."""
    excerpts = _read_doc(path).get("excerpts", [])
    if not isinstance(excerpts, list) or not all(isinstance(e, dict) for e in excerpts):
        raise HarnessError(f"{path}: 'excerpts' must be a list of objects")
    return excerpts


def _read_doc(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise HarnessError(f"{path}: no such results file; run `pytest evals` first") from None
    except json.JSONDecodeError as e:
        raise HarnessError(f"{path}: not valid JSON ({e.msg} at line {e.lineno})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("records"), list) or not isinstance(doc.get("run"), dict):
        raise HarnessError(f"{path}: not a harness results file (needs a 'run' object and a 'records' list)")
    if doc.get("schema") != RESULTS_SCHEMA:
        raise HarnessError(f"{path}: results schema {doc.get('schema')!r}, this harness reads "
                           f"{RESULTS_SCHEMA}; rerun `pytest evals` to regenerate it")
    return doc
