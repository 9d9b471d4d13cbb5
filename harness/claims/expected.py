"""Reviewed expected outcomes: claims known not to hold on a model (evals/expected_outcomes.yaml).

An entry names claim, model and axis value, the verdict found at review (does not hold,
inconclusive or uninformative), the profile it was reviewed in and the value measured then.
The plugin turns a matching verdict into an xfail; in the reviewed profile any other verdict
fails the run until the file is reviewed again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from harness.errors import HarnessError

EXPECTABLE = ("does not hold", "inconclusive", "uninformative")


@dataclass(frozen=True)
class Expected:
    claim: str
    model: str
    axis_value: str
    verdict: str  # the reviewed verdict: does not hold, inconclusive or uninformative
    profile: str  # the profile it was reviewed in
    measured: str  # the value at review, for the reader

    def reason(self, now: str) -> str:
        return (f"{self.claim} known to be '{self.verdict}' on {self.model} ({self.axis_value}, reviewed in the "
                f"{self.profile} profile: {self.measured}); now: {now}")


def read_expected(path: Path) -> dict[tuple[str, str, str], Expected]:
    """Every entry of ``path`` by (claim, model, axis value); {} if absent."""
    if not path.is_file():
        return {}
    try:
        doc = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as e:
        raise HarnessError(f"{path}: not valid YAML ({e}); fix the file") from None
    if not isinstance(doc, dict):
        raise HarnessError(f"{path}: expected claim -> model -> method -> entry mappings")
    out = {}
    for claim, models in doc.items():
        for model, methods in (models or {}).items():
            for value, entry in (methods or {}).items():
                if not isinstance(entry, dict):
                    raise HarnessError(f"{path}: {claim}.{model}.{value} must be a mapping with 'expect'")
                if entry.get("expect") not in EXPECTABLE:
                    raise HarnessError(f"{path}: {claim}.{model}.{value}: expect must be one of "
                                       f"{', '.join(EXPECTABLE)}, not {entry.get('expect')!r}")
                out[(claim, model, value)] = Expected(claim, model, value, entry["expect"],
                                                      entry.get("profile", "paper"), str(entry.get("measured", "?")))
    return out
