"""Reviewed expected outcomes: claims known not to hold on a model (evals/expected_outcomes.yaml).

An entry names claim, model and axis value, with the profile it was reviewed in and the
value measured at review; the plugin turns it into an xfail, strict in that profile and non-strict in others.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from harness.errors import HarnessError


@dataclass(frozen=True)
class Expected:
    claim: str
    model: str
    axis_value: str
    profile: str  # the profile it was reviewed in
    measured: str  # the value at review, for the reader

    def reason(self, now: str) -> str:
        return (f"{self.claim} known not to hold on {self.model} ({self.axis_value}, reviewed in the "
                f"{self.profile} profile: {self.measured}); now: {now}")


def read_expected(path: Path) -> dict[tuple[str, str, str], Expected]:
    """Every 'does not hold' entry of ``path`` by (claim, model, axis value); {} if absent."""
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
                if entry.get("expect") == "does not hold":
                    out[(claim, model, value)] = Expected(claim, model, value, entry.get("profile", "paper"),
                                                          str(entry.get("measured", "?")))
    return out
