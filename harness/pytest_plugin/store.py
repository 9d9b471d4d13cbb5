"""The session's records, models and excerpts; under pytest-xdist each worker ships its
store to the controller as JSON (its shard), and only the controller writes the report."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from harness.claims.record import ClaimRecord, canonical


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


_STORE = pytest.StashKey[RunStore]()


def run_store(config: pytest.Config) -> RunStore:
    return config.stash.setdefault(_STORE, RunStore())
