"""A claim record: one measured value with its verdict, its paper value and its details.

Claims write records; the report, the baselines and results.json read them.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from harness.errors import HarnessError

# holds / does not hold: the test decides, beyond its interval, and its control does not pass
# it; inconclusive: the interval straddles the cut; uninformative: the claim's test passes
# but so does its control, so the test cannot speak for emotions (docs/protocol.md, Verdicts).
Verdict = Literal["holds", "does not hold", "inconclusive", "uninformative", "not applicable"]
VERDICTS: tuple[str, ...] = ("holds", "does not hold", "inconclusive", "uninformative", "not applicable")
# Recorded floats keep this many significant digits: far beyond what 20 vectors can
# resolve, and short of the last bits that differ when torch sums with 1 or 2 threads
# (serial vs pytest-xdist workers), so both runs write the same results.json.
SIGNIFICANT_DIGITS = 8


def canonical(value: Any) -> Any:
    """``value`` with every finite float rounded to SIGNIFICANT_DIGITS (recursively)."""
    if isinstance(value, float):
        return float(f"{value:.{SIGNIFICANT_DIGITS}g}") if math.isfinite(value) else value
    if isinstance(value, dict):
        return {k: canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    return value


@dataclass(frozen=True)
class ClaimRecord:
    claim: str  # C1 .. C12
    model: str  # registry key
    metric: str
    value: Any  # number or list of numbers
    verdict: Verdict
    paper_value: Any = None
    details: dict[str, Any] = field(default_factory=dict)  # baseline, layer, method, profile, ...

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise HarnessError(f"claim record {self.claim}/{self.metric}: verdict '{self.verdict}' "
                               f"is not one of {', '.join(VERDICTS)}")
        if not (self.claim.startswith("C") and self.claim[1:].isdigit()):
            raise HarnessError(f"claim record: claim id '{self.claim}' must look like C4")
        _check_json(self.value, f"{self.claim}/{self.metric} value")

    # The context every record carries, typed (the claim's own fields are read with Claim.read).
    @property
    def method(self) -> str:
        """The axis value: extraction method of a geometry claim, prompting mode of a steering claim."""
        return str(self.details.get("method", ""))

    @property
    def profile(self) -> str | None:
        return self.details.get("profile")

    @property
    def stimuli(self) -> str | None:
        return self.details.get("stimuli")

    @property
    def classifier(self) -> str | None:
        return self.details.get("classifier")

    @property
    def vector_method(self) -> str | None:
        return self.details.get("vector_method")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ClaimRecord:
        if not isinstance(d, dict):
            raise HarnessError("results record is not a JSON object")
        missing = {"claim", "model", "metric", "value", "verdict"} - d.keys()
        if missing:
            raise HarnessError(f"results record is missing field(s) {', '.join(sorted(missing))}")
        for name in ("claim", "model", "metric", "verdict"):
            if not isinstance(d[name], str):
                raise HarnessError(f"results record field '{name}' must be a string")
        if not isinstance(d.get("details") or {}, dict):
            raise HarnessError("results record field 'details' must be an object")
        return cls(claim=d["claim"], model=d["model"], metric=d["metric"], value=d["value"],
                   verdict=d["verdict"], paper_value=d.get("paper_value"), details=d.get("details") or {})


def _check_json(value: Any, what: str) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        return  # NaN is a legitimate "could not be measured"; json writes it as NaN
    if isinstance(value, (list, tuple)):
        for v in value:
            _check_json(v, what)
    elif not isinstance(value, (int, float, str, bool, dict, type(None))):
        raise HarnessError(f"claim record {what}: {type(value).__name__} is not JSON-serialisable; "
                           "convert tensors with .tolist() or float()")


def sort_key(r: ClaimRecord) -> tuple:
    return (int(r.claim[1:]), r.model, r.metric, json.dumps(r.details, sort_keys=True))


def pooled_key(models: list[str]) -> str:
    """Record model name of a check pooled over ``models``."""
    return "pooled(" + ",".join(sorted(models)) + ")"


def is_pooled(model: str) -> bool:
    return model.startswith("pooled(")
