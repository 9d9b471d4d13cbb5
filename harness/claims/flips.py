"""Classifier flips, prompt by prompt (C6 counts them, C7 follows them over strengths)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from harness.claims.steering_rows import Key, key_of, rows_by_prompt, signed_target
from harness.claims.text_health import is_degenerate
from harness.experiments.steering_grid import Direction, SteeringRun
from harness.metrics.recognition import Recognition


def unrecognised_targets(recog: dict[str, Recognition] | None, run: SteeringRun) -> dict[str, str]:
    """Scenarios left out because the classifier does not recognise their target: id -> reason."""
    if recog is None:
        return {}
    return {s.id: f"target '{s.target}' not recognised ({recog[s.target].reason})"
            for s in run.scenarios if s.target in recog and not recog[s.target].recognised}


def flip_outcomes(run: SteeringRun, direction: Direction, strength: float, keys: Sequence[Key],
                  classifier: str | None) -> dict[Key, bool | None]:
    """Per prompt: does the steered text's target score move the scenario's way? None where
    the steered text is degenerate or missing: a collapsed text is its own outcome, never a
    "no flip" (there is nothing a reader could call that emotion, nor its absence)."""
    rows = rows_by_prompt(run, direction, strength)
    return {k: None if k not in rows or is_degenerate(rows[k]) else signed_target(run, rows[k], classifier) > 0
            for k in keys}


def flip_flags(run: SteeringRun, direction: Direction, strength: float, keys: Sequence[Key],
               classifier: str | None, healthy: bool = True) -> list[bool]:
    """Per prompt, a flip counting a degenerate text as no flip (``healthy``) or read as it
    is (``healthy=False``): the readings recorded beside the verdict."""
    rows = rows_by_prompt(run, direction, strength)
    return [k in rows and not (healthy and is_degenerate(rows[k]))
            and signed_target(run, rows[k], classifier) > 0 for k in keys]


def flip_keys(run: SteeringRun, excluded: dict[str, str], classifier: str | None) -> list[Key]:
    """Prompts a flip is counted on: eligible scenario, and an unsteered text that is healthy
    (not degenerate) and has words the classifier can score."""
    return sorted(key_of(r) for r in run.select("emotion", 0.0)
                  if r.scenario not in excluded and not is_degenerate(r)
                  and not math.isnan(run.target_of(r, classifier)))
