"""Stand-ins shared by the steering tests: a tiny profile, two deterministic classifiers, the
grid's size as the thresholds give it, and constructed runs for the claim logic."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from harness import thresholds as th
from harness.experiments.steering_grid import GRIDS, Grid, SteeringRun, SteerRow, grid_cells
from harness.metrics.recognition import Recognition
from harness.metrics.textstats import text_stats
from harness.protocol import Profile
from harness.stimuli.scenarios import Scenario

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


# ---- constructed runs: every cell run_steering generates, each value a function of the cell ----

PLAIN = "plain words of a normal kind"
LOOP = "calm calm calm calm calm calm calm calm"


def scenarios(n: int = 2) -> tuple[Scenario, ...]:
    return (Scenario("up", "Up", "happy", 1, tuple(f"u{i}" for i in range(n))),
            Scenario("away", "Away", "calm", -1, tuple(f"w{i}" for i in range(n))))


@dataclass(frozen=True)
class At:
    """One cell of a constructed run, as the grid's functions see it."""

    scenario: str
    sign: int
    i: int  # prompt index
    direction: str
    a: float  # strength
    rule: str = "paper"
    length: str = "short"


@cache
def _stats(text: str, tokens: tuple[int, ...]) -> dict:
    return text_stats(text, list(tokens)).__dict__


def row(scenario, i, strength, target, readout=0.0, text=PLAIN, direction="emotion", ppl=10.0, activation=0.0,
        rule="paper", length="short", tokens=(), sign=None, readout_platform=math.nan):
    sign = sign if sign is not None else (1 if scenario == "up" else -1)
    stats = dict(_stats(text, tuple(tokens)))
    target = math.nan if stats["blank"] else target  # as run_steering: a text without words has no score
    return SteerRow(scenario=scenario, prompt_index=i, direction=direction, strength=strength, sign=sign,
                    text=text, n_new=5, stopped=False, readout=readout, perplexity=ppl, activation=activation,
                    target=target, scores={}, stats=stats, readout_centred=readout, targets={"fake": target},
                    rule=rule, length=length, tokens=list(tokens), readout_platform=readout_platform)


def make_run(rows, scen=None, prompting="raw", steer_grid: Grid = GRIDS["paper"]) -> SteeringRun:
    return SteeringRun(model="m", prompting=prompting, method="comprehension", scale=steer_grid.scale,
                       classifier="fake 1", scorer="m", max_new_tokens=5, layer=1, scenarios=scen or scenarios(),
                       rows=tuple(rows), classifiers=("fake",), grid=steer_grid.name,
                       vectors={d: f"{d} vector" for d in steer_grid.strengths})


Fn = Callable[[At], object]


def grid(target: Fn = lambda c: 0.5, readout: Fn = lambda c: 0.0, text: Fn = lambda c: PLAIN,
         ppl: Fn = lambda c: 10.0, tokens: Fn = lambda c: (), n: int = 2, scale: bool = False,
         steer_grid: Grid = GRIDS["paper"], readout_platform: Fn = lambda c: 0.0) -> SteeringRun:
    """A constructed run with every cell run_steering generates (grid_cells): the emotion vector at
    th.STRENGTHS, the random direction, the opposite emotion and the centred vector at theirs, and
    with ``scale`` C13's scale-rule x prompt-length cells. ``n`` prompts per scenario; each function
    maps a cell to the row's value."""
    scen = scenarios(n)
    prompts = [(s, i, p) for s in scen for i, p in enumerate(s.prompts)]
    prompting = "raw" if scale else "chat"  # C13's cells are raw-only
    rows = []
    for c in grid_cells(prompts, prompting, grid=steer_grid):
        s, i, _ = prompts[c.k]
        at = At(s.id, s.sign, i, c.direction, c.strength, c.rule, c.length)
        rows.append(row(s.id, i, c.strength, target(at), readout(at), text(at), c.direction, ppl(at),
                        rule=c.rule, length=c.length, tokens=tokens(at), sign=s.sign,
                        readout_platform=readout_platform(at)))
    return make_run(rows, scen, prompting, steer_grid)


def only(direction: str | tuple[str, ...], f: Fn, rest: object = 0.0) -> Fn:
    """``f`` on the rows steered by ``direction`` (one or several), ``rest`` on the others."""
    ds = (direction,) if isinstance(direction, str) else direction
    return lambda c: f(c) if c.direction in ds else rest


def towards(c: At) -> float:
    """Moves the scenario's way with strength (0 unsteered)."""
    return c.sign * c.a


def rising(c: At) -> float:
    return 0.5 + c.sign * c.a


def recognition(**recognised: bool) -> dict[str, Recognition]:
    return {e: Recognition(e, ("joy",), 10, 0.6 if ok else 0.1, 1 / 6, 0.8 if ok else 0.45,
                           (0.7, 0.9) if ok else (0.3, 0.6), 0.001 if ok else 0.7, ok,
                           "AUC 0.80 [0.70, 0.90], p 0.001" if ok else "AUC 0.45 [0.30, 0.60], p 0.7")
            for e, ok in recognised.items()}
