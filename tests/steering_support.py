"""Stand-ins shared by the steering tests: a tiny profile, two deterministic classifiers, and
the grid's size as the thresholds give it."""

from __future__ import annotations

import math

from harness import thresholds as th
from harness.experiments.steering_grid import SteerRow
from harness.protocol import Profile

TINY_PROFILE = Profile("tiny", gen_max_new_tokens=4, n_permutations=50, n_bootstrap=20, batch_size=16, gen_batch_size=64,
                       steer_max_new_tokens=5)


class LengthClassifier:
    """A deterministic stand-in: 'joy' grows with text length, 'sadness' shrinks."""

    name, version, labels = "fake", "1", ("joy", "sadness", "fear", "anger", "trust", "disgust")

    def scores(self, texts):
        return [{"joy": len(t) / 100, "sadness": 1 - len(t) / 100, "fear": 0.1, "anger": 0.2, "trust": 0.3,
                 "disgust": 0.0} for t in texts]


class WordClassifier:
    """A second stand-in with other labels: 'up' counts words."""

    name, version, labels = "words", "1", ("up", "down")

    def scores(self, texts):
        return [{"up": len(t.split()) / 10, "down": 0.5} for t in texts]


def expected_rows(prompts_per_scenario: list[int], prompting: str) -> int:
    """run_steering's grid size from the thresholds (docs/protocol.md, section 5: 280 chat, 490 raw)."""
    main = len(th.STRENGTHS) + len(th.RANDOM_STRENGTHS) + len(th.CONTROL_STRENGTHS) + len(th.CENTRED_STRENGTHS)
    rows = sum(prompts_per_scenario) * main
    if prompting == "chat":
        return rows
    scale_prompts = sum(min(k, th.SCALE_PROMPTS_PER_SCENARIO) for k in prompts_per_scenario)
    # The paper's rule on short prompts at a main-grid strength is the main grid's row.
    shared = sum(1 for a in th.SCALE_STRENGTHS if a in th.STRENGTHS)
    per_scale_prompt = 1 + len(th.SCALE_STRENGTHS) * 2 * 2 - shared  # long unsteered + rules x lengths
    return rows + scale_prompts * per_scale_prompt


def seen(r: SteerRow) -> tuple:
    """A row's text and scores, with nan (a text without words) comparable."""
    def v(x: float) -> float | None:
        return None if math.isnan(x) else x
    return r.text, v(r.target), {k: v(x) for k, x in r.targets.items()}, r.readout if r.n_new else None
