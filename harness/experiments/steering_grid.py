"""The steering experiment: scenarios x strengths (emotion vector and random control).

For one model and one prompting mode, every scenario prompt is continued greedily at
every strength of the sweep with the target emotion's vector, and at a few strengths
with a random unit direction. Each continuation is then measured: the unsteered model's
re-read projection on v_hat (readout) and perplexity (scorer), the paper's activation
delta, the external classifier's target score, and degeneration statistics. The whole
grid is generated in large batches (each row carries its own direction and strength)
and cached content-addressed, so a warm rerun generates nothing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Any, Literal

import torch

from harness import thresholds as th
from harness.cache import entry_key, load_entry, save_entry
from harness.errors import HarnessError
from harness.experiments.extraction import Method, extract, supports
from harness.metrics.classifier import Classifier, target_score
from harness.metrics.textstats import text_stats
from harness.metrics.vectors import vectors_from_states
from harness.models.loading import ModelHandle
from harness.protocol import PROTOCOL_VERSION, Profile
from harness.runtime.batching import text_ids
from harness.runtime.generate import chat_ids, plain_ids
from harness.runtime.readout import reread
from harness.runtime.steering import Scale, generate_steered, steered_last_states
from harness.stimuli.loading import Stimuli
from harness.stimuli.scenarios import LabelMap, Scenario, scenarios_hash

Prompting = Literal["raw", "chat"]
PROMPTINGS: tuple[Prompting, ...] = ("raw", "chat")
Direction = Literal["emotion", "random"]
# Vectors for steering come from comprehension extraction: it applies to base and instruct
# models alike, so every model is steered with the same kind of vector.
STEER_METHOD: Method = "comprehension"


@dataclass(frozen=True)
class SteerRow:
    scenario: str
    prompt_index: int
    direction: Direction
    strength: float  # >= 0; the added vector is sign * strength * s_l * direction
    sign: int
    text: str
    n_new: int
    stopped: bool
    readout: float  # unsteered re-read: mean projection on the target v_hat over the continuation
    perplexity: float  # scorer's perplexity of the continuation given the prompt
    activation: float  # last prompt token's projection on v_hat with the hooks on (paper's delta)
    target: float  # classifier score of the target emotion's labels
    scores: dict[str, float]
    stats: dict[str, Any]  # TextStats fields


@dataclass(frozen=True)
class SteeringRun:
    model: str
    prompting: Prompting
    method: Method
    scale: Scale
    classifier: str
    scorer: str
    max_new_tokens: int
    layer: int  # block of v_hat, readout and activation delta
    scenarios: tuple[Scenario, ...]
    rows: tuple[SteerRow, ...]
    params: dict[str, Any] = field(default_factory=dict)

    def select(self, direction: Direction = "emotion", strength: float | None = None,
               scenario: str | None = None) -> list[SteerRow]:
        return [r for r in self.rows if r.direction == direction
                and (strength is None or math.isclose(r.strength, strength))
                and (scenario is None or r.scenario == scenario)]

    @cached_property
    def _unsteered(self) -> dict[tuple[str, int], SteerRow]:
        return {(r.scenario, r.prompt_index): r for r in self.rows if r.direction == "emotion" and r.strength == 0}

    def baseline(self, row: SteerRow) -> SteerRow:
        """The unsteered (strength 0) continuation of the same prompt (looked up, not scanned:
        every claim asks for it once per row)."""
        try:
            return self._unsteered[(row.scenario, row.prompt_index)]
        except KeyError:
            raise KeyError(f"no unsteered row for {row.scenario}[{row.prompt_index}]") from None


def prompt_ids(handle: ModelHandle, text: str, prompting: Prompting) -> list[int]:
    return chat_ids(handle, text) if prompting == "chat" else plain_ids(handle, text)


def supports_prompting(handle: ModelHandle, prompting: Prompting) -> str | None:
    if prompting == "chat" and not handle.has_chat_template:
        return f"{handle.key} has no chat template: only raw-continuation prompts apply"
    return None


def steering_vectors(handle: ModelHandle, stimuli: Stimuli, profile: Profile,
                     method: Method = STEER_METHOD) -> torch.Tensor:
    """Unit neutral-baseline vectors at the middle block, ``[n_emotions, d]`` (float32)."""
    reason = supports(handle, method)
    if reason:
        raise HarnessError(reason)
    ex = extract(handle, method, stimuli, profile)
    return vectors_from_states(ex.data, stimuli.names, "neutral")[handle.middle_layer].float()


def random_directions(n: int, d: int, seed: int = th.SEED) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.nn.functional.normalize(torch.randn(n, d, generator=g, dtype=torch.float64), dim=-1).float()


def run_steering(handle: ModelHandle, stimuli: Stimuli, scenarios: Sequence[Scenario], profile: Profile,
                 prompting: Prompting, classifier: Classifier, labels: LabelMap,
                 scorer: ModelHandle | None = None, scale: Scale = "prefill") -> SteeringRun:
    reason = supports_prompting(handle, prompting)
    if reason:
        raise HarnessError(reason)
    scenarios = tuple(scenarios)
    scorer = scorer or handle
    params = {"strengths": th.STRENGTHS, "random_strengths": th.RANDOM_STRENGTHS, "seed": th.SEED,
              "max_new_tokens": profile.steer_max_new_tokens, "scale": scale, "method": STEER_METHOD,
              "prompting": prompting}
    key = entry_key(kind="steering", model=handle.fingerprint, stimuli=stimuli.content_hash(),
                    scenarios=scenarios_hash(scenarios), params=params, protocol=PROTOCOL_VERSION,
                    dtype=str(handle.dtype), classifier=[classifier.name, classifier.version],
                    labels={k: list(v) for k, v in sorted(labels.items())}, scorer=scorer.fingerprint)
    meta = dict(model=handle.key, prompting=prompting, method=STEER_METHOD, scale=scale,
                classifier=f"{classifier.name} {classifier.version}", scorer=scorer.key,
                max_new_tokens=profile.steer_max_new_tokens, layer=handle.middle_layer, params=params)
    hit = load_entry("steering", key)
    if hit is not None:
        # Text statistics are a pure function of the text: recomputed, so changing them
        # never needs the generations again.
        rows = tuple(SteerRow(**{**r, "stats": asdict(text_stats(r["text"]))}) for r in hit[1]["rows"])
        return SteeringRun(scenarios=scenarios, rows=rows, **meta)
    rows = _compute(handle, stimuli, scenarios, profile, prompting, classifier, labels, scorer, scale)
    save_entry("steering", key, {"strengths": torch.tensor([r.strength for r in rows])},
               {"rows": [asdict(r) for r in rows], **meta})
    return SteeringRun(scenarios=scenarios, rows=tuple(rows), **meta)


def _compute(handle: ModelHandle, stimuli: Stimuli, scenarios: tuple[Scenario, ...], profile: Profile,
             prompting: Prompting, classifier: Classifier, labels: LabelMap, scorer: ModelHandle,
             scale: Scale) -> list[SteerRow]:
    vectors = steering_vectors(handle, stimuli, profile)
    names = list(stimuli.names)
    prompts = [(s, i, p) for s in scenarios for i, p in enumerate(s.prompts)]
    rand = random_directions(len(prompts), handle.d_model)
    # One entry per grid cell: (prompt number, direction kind, strength).
    cells = [(k, "emotion", a) for k in range(len(prompts)) for a in th.STRENGTHS]
    cells += [(k, "random", a) for k in range(len(prompts)) for a in th.RANDOM_STRENGTHS]
    ids = [prompt_ids(handle, p, prompting) for _, _, p in prompts]
    target = torch.stack([vectors[names.index(s.target)] for s, _, _ in prompts])
    cell_ids = [ids[k] for k, _, _ in cells]
    cell_dirs = torch.stack([target[k] if kind == "emotion" else rand[k] for k, kind, _ in cells])
    cell_alpha = [prompts[k][0].sign * a for k, _, a in cells]
    cell_target = torch.stack([target[k] for k, _, _ in cells])

    gens = generate_steered(handle, cell_ids, cell_dirs, cell_alpha, profile.steer_max_new_tokens,
                            scale=scale, batch_size=profile.gen_batch_size)
    reads = reread(handle, cell_ids, [g.new_ids for g in gens], cell_target, handle.middle_layer,
                   batch_size=profile.batch_size)
    if scorer is handle:
        ppl = [r.perplexity for r in reads]
    else:
        s_prompts = [plain_ids(scorer, prompts[k][2]) for k, _, _ in cells]
        s_conts = [text_ids(scorer, g.text, special_tokens=False) for g in gens]
        ppl = [r.perplexity for r in reread(scorer, s_prompts, s_conts, batch_size=profile.batch_size)]
    states = steered_last_states(handle, cell_ids, cell_dirs, cell_alpha, handle.middle_layer,
                                 batch_size=profile.batch_size)
    activation = (states * cell_target).sum(-1).tolist()
    scores = classifier.scores([g.text for g in gens])
    rows = []
    for c, (k, kind, a) in enumerate(cells):
        s, i, _ = prompts[k]
        rows.append(SteerRow(
            scenario=s.id, prompt_index=i, direction=kind, strength=a, sign=s.sign, text=gens[c].text,
            n_new=len(gens[c].new_ids), stopped=gens[c].stopped, readout=reads[c].projection,
            perplexity=ppl[c], activation=activation[c], target=target_score(scores[c], labels[s.target]),
            scores=scores[c], stats=asdict(text_stats(gens[c].text))))
    return rows


def excerpts(run: SteeringRun, scenarios: Sequence[Scenario]) -> list[dict[str, Any]]:
    """Every continuation of a run as a flat record, so a reader can judge the texts behind C5-C10."""
    prompt = {(s.id, i): p for s in scenarios for i, p in enumerate(s.prompts)}
    target = {s.id: s.target for s in scenarios}
    return [{"model": run.model, "prompting": run.prompting, "scenario": r.scenario,
             "target_emotion": target[r.scenario], "sign": r.sign, "prompt_index": r.prompt_index,
             "prompt": prompt[(r.scenario, r.prompt_index)], "direction": r.direction,
             "strength": r.strength, "text": r.text, "target": r.target, "perplexity": r.perplexity,
             "loop_share": r.stats["loop_share"]} for r in run.rows]
