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
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import cached_property
from typing import Any, Literal

import torch

from harness import progress
from harness import thresholds as th
from harness.cache import Journal, entry_key, load_entry, save_entry
from harness.errors import HarnessError
from harness.experiments.extraction import Method, extract, supports
from harness.experiments.scoring import perplexities, reader_continuation
from harness.metrics.classifier import Classifier, target_score
from harness.metrics.textstats import degeneration, text_stats
from harness.metrics.vectors import Baseline, vectors_from_states
from harness.models.loading import ModelHandle
from harness.protocol import PROTOCOL_VERSION, Profile, platform_block
from harness.runtime.generate import Generation, chat_ids, plain_ids
from harness.runtime.readout import Reread, reread
from harness.runtime.steering import (
    SCALE_RULES,
    Scale,
    ScaleRule,
    generate_steered,
    position_norms,
    prompt_scales,
    steered_last_states,
)
from harness.stimuli.loading import Stimuli
from harness.stimuli.scenarios import (
    LabelMap,
    PromptForms,
    Scenario,
    load_prompt_forms,
    scenarios_hash,
)

Prompting = Literal["raw", "chat"]
PROMPTINGS: tuple[Prompting, ...] = ("raw", "chat")
# emotion: the target's neutral-baseline vector (the paper's); random: a random unit
# direction; opposite: the target's opposite-pair emotion's vector (the wrong-emotion
# control); centred: the target's centred (emotion-specific) vector (the ablation).
# platform: the target's centred comprehension vector at the block the paper's public platform
# steers from (harness.protocol.platform_block), read out on itself at that block;
# platform_opposite: the opposite emotion's platform vector (its wrong-emotion control).
Direction = Literal["emotion", "random", "opposite", "centred", "platform", "platform_opposite"]
Length = Literal["short", "long"]
# Vectors for steering come from comprehension extraction: it applies to base and instruct
# models alike, so every model is steered with the same kind of vector.
STEER_METHOD: Method = "comprehension"


@dataclass(frozen=True)
class Grid:
    """Which strengths each steering direction runs at on every scenario prompt, and how s_l is
    measured (harness.runtime.steering, Scale). ``emotion`` includes strength 0, the unsteered text."""

    name: str
    strengths: dict[Direction, tuple[float, ...]]
    scale: Scale

    def params(self) -> dict[str, Any]:
        return {"grid": self.name, "scale": self.scale, **{f"{d}_strengths": list(a) for d, a in self.strengths.items()}}


_RCS = th.READABLE_CONTROL_STRENGTHS
GRIDS: dict[str, Grid] = {
    # The grid the reference was measured on: every control at the judged strength (and above).
    "paper": Grid("paper", {"emotion": th.STRENGTHS, "random": th.RANDOM_STRENGTHS,
                            "opposite": th.CONTROL_STRENGTHS, "centred": th.CENTRED_STRENGTHS}, "prefill"),
    # Every control below collapse too, the platform's vectors beside, s_l as the paper's loop has it.
    "readable": Grid("readable", {"emotion": (0.0, *th.LOG_SWEEP), "random": (*_RCS, 0.05, 0.12),
                                  "opposite": _RCS, "centred": (*_RCS, 0.05), "platform": _RCS,
                                  "platform_opposite": _RCS}, "running"),
}


def grid_for(profile: Profile) -> Grid:
    try:
        return GRIDS[profile.steer_grid]
    except KeyError:
        raise HarnessError(f"profile '{profile.name}': unknown steering grid '{profile.steer_grid}'; "
                           f"use one of {', '.join(GRIDS)}") from None


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
    target: float  # primary classifier's score of the target emotion's labels (nan: text without words)
    scores: dict[str, Any]  # classifier name -> {label: score}
    stats: dict[str, Any]  # TextStats fields
    readout_centred: float = math.nan  # the same re-read on the target's centred (emotion-specific) v_hat
    readout_platform: float = math.nan  # the re-read at the platform block on the target's platform vector
    targets: dict[str, float] = field(default_factory=dict)  # classifier name -> target score
    rule: ScaleRule = "paper"  # which positions s_l averages (harness.runtime.steering)
    length: Length = "short"  # the scenario prompt, or its long version (long_prefix + prompt)
    tokens: list[int] = field(default_factory=list)  # the continuation's token ids


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
    classifiers: tuple[str, ...] = ()  # every classifier that scored the texts, primary first
    diagnostics: dict[str, Any] = field(default_factory=dict)  # residual norms and scales (see _diagnostics)
    rule: ScaleRule = "paper"  # the scale rule of the main grid (C13 runs both)
    grid: str = "paper"  # GRIDS key: which strengths each direction ran at
    vectors: dict[str, str] = field(default_factory=dict)  # direction -> its baseline and block, in words

    def strengths(self, direction: Direction = "emotion") -> list[float]:
        """The strengths ``direction`` ran at on every prompt of the main grid (short prompts, the
        main rule; C13's extra strengths on a few prompts are not the grid's)."""
        return list(self._strengths.get(direction, ()))

    @cached_property
    def _strengths(self) -> dict[str, tuple[float, ...]]:
        # Read once: every steering claim asks for it, several times per record.
        n = len(self.select("emotion", 0.0))
        count = Counter((r.direction, r.strength) for r in self.rows if r.rule == self.rule and r.length == "short")
        out: dict[str, list[float]] = {}
        for (d, a), k in count.items():
            if k == n:
                out.setdefault(d, []).append(a)
        return {d: tuple(sorted(v)) for d, v in out.items()}

    def select(self, direction: Direction = "emotion", strength: float | None = None,
               scenario: str | None = None, rule: ScaleRule | None = None, length: Length = "short"
               ) -> list[SteerRow]:
        """Rows of one direction (and strength, scenario); ``rule`` defaults to the main grid's."""
        rule = rule or self.rule
        return [r for r in self.rows if r.direction == direction and r.rule == rule and r.length == length
                and (strength is None or math.isclose(r.strength, strength))
                and (scenario is None or r.scenario == scenario)]

    @cached_property
    def _unsteered(self) -> dict[tuple[str, int, str], SteerRow]:
        return {(r.scenario, r.prompt_index, r.length): r for r in self.rows
                if r.direction == "emotion" and r.strength == 0}

    def baseline(self, row: SteerRow) -> SteerRow:
        """The unsteered (strength 0) continuation of the same prompt (looked up, not scanned:
        every claim asks for it once per row). Strength 0 is the same under both scale rules."""
        try:
            return self._unsteered[(row.scenario, row.prompt_index, row.length)]
        except KeyError:
            raise KeyError(f"no unsteered row for {row.scenario}[{row.prompt_index}] ({row.length})") from None

    def target_of(self, row: SteerRow, classifier: str | None = None) -> float:
        """A row's target score under one classifier (the primary one by default)."""
        if classifier is None or not self.classifiers or classifier == self.classifiers[0]:
            return row.target
        return row.targets.get(classifier, math.nan)


def prompt_text(forms: PromptForms, prompt: str, prompting: Prompting, length: Length = "short") -> str:
    text = forms.long(prompt) if length == "long" else prompt
    return forms.chat(text) if prompting == "chat" else text


def prompt_ids(handle: ModelHandle, text: str, prompting: Prompting) -> list[int]:
    return chat_ids(handle, text) if prompting == "chat" else plain_ids(handle, text)


def supports_prompting(handle: ModelHandle, prompting: Prompting) -> str | None:
    if prompting == "chat" and not handle.has_chat_template:
        return f"{handle.key} has no chat template: only raw-continuation prompts apply"
    return None


def steering_vectors(handle: ModelHandle, stimuli: Stimuli, profile: Profile,
                     method: Method = STEER_METHOD, baseline: Baseline = "neutral",
                     block: int | None = None) -> torch.Tensor:
    """Unit vectors at ``block`` (default: the middle block), ``[n_emotions, d]`` (float32);
    ``baseline`` "neutral" is the paper's recipe, "centred" the emotion-specific part (mean of
    all emotions removed). Centred comprehension vectors at :func:`harness.protocol.platform_block`
    are the vectors the paper's public platform steers with."""
    reason = supports(handle, method)
    if reason:
        raise HarnessError(reason)
    ex = extract(handle, method, stimuli, profile)
    at = handle.middle_layer if block is None else block
    if not 0 <= at < handle.n_layers:
        raise HarnessError(f"{handle.key}: block {at} out of range for a {handle.n_layers}-block model")
    return vectors_from_states(ex.data, stimuli.names, baseline)[at].float()


def vector_names(handle: ModelHandle, grid: Grid) -> dict[str, str]:
    """Each direction of the grid's vector, in words: its baseline and the block it comes from
    (every vector is added after every block)."""
    mid, plat = handle.middle_layer, platform_block(handle.n_layers)
    words = {"emotion": f"target's neutral-baseline comprehension vector, block {mid}",
             "random": f"random unit direction per prompt (seed {th.SEED})",
             "opposite": f"opposite emotion's neutral-baseline comprehension vector, block {mid}",
             "centred": f"target's centred comprehension vector, block {mid}",
             "platform": f"target's centred comprehension vector, block {plat} (the paper platform's)",
             "platform_opposite": f"opposite emotion's centred comprehension vector, block {plat}"}
    return {d: words[d] for d in grid.strengths}


def random_directions(n: int, d: int, seed: int = th.SEED) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.nn.functional.normalize(torch.randn(n, d, generator=g, dtype=torch.float64), dim=-1).float()


def opposite_emotion(stimuli: Stimuli, vectors: torch.Tensor, emotion: str) -> str:
    """The wrong-emotion control for a target: its opposite pair (emotions.yaml), else the
    emotion whose vector has the lowest cosine with the target's."""
    for a, b in stimuli.opposite_pairs:
        if emotion in (a, b):
            return b if emotion == a else a
    names = list(stimuli.names)
    cos = vectors @ vectors[names.index(emotion)]
    cos[names.index(emotion)] = math.inf
    return names[int(cos.argmin())]


@dataclass(frozen=True)
class Cell:
    k: int  # prompt number
    direction: Direction
    strength: float
    rule: ScaleRule = "paper"
    length: Length = "short"


def grid_cells(prompts: Sequence[tuple[Scenario, int, str]], prompting: Prompting,
               rule: ScaleRule = "paper", grid: Grid = GRIDS["paper"]) -> list[Cell]:
    """Every (prompt, direction, strength, scale rule, length) the run generates; the main grid
    uses ``rule``, C13's cells both rules."""
    n = len(prompts)
    cells = [Cell(k, d, a, rule) for d, strengths in grid.strengths.items() for k in range(n) for a in strengths]
    if prompting == "raw":  # C13: both scale rules on short and long prompts (a subset of prompts)
        have = {(c.k, c.strength) for c in cells if c.direction == "emotion"}
        for k in scale_prompts(prompts):
            cells.append(Cell(k, "emotion", 0.0, rule, "long"))
            for a in th.SCALE_STRENGTHS:
                for r in SCALE_RULES:
                    for length in ("short", "long"):
                        if not (r == rule and length == "short" and (k, a) in have):
                            cells.append(Cell(k, "emotion", a, r, length))  # type: ignore[arg-type]
    return cells


def scale_prompts(prompts: Sequence[tuple[Scenario, int, str]]) -> list[int]:
    """The prompts C13 runs on: the first SCALE_PROMPTS_PER_SCENARIO of each scenario."""
    return [k for k, (_, i, _) in enumerate(prompts) if i < th.SCALE_PROMPTS_PER_SCENARIO]


def run_steering(handle: ModelHandle, stimuli: Stimuli, scenarios: Sequence[Scenario], profile: Profile,
                 prompting: Prompting, classifier: Classifier | Sequence[Classifier], labels: LabelMap
                 | Sequence[LabelMap], scorer: ModelHandle | None = None, scale: Scale | None = None,
                 forms: PromptForms | None = None, rule: ScaleRule = "paper") -> SteeringRun:
    """The steering grid of one model and prompting mode (the profile's grid). ``classifier``/``labels``:
    one, or one per classifier (primary first); ``scorer``: the perplexity scorer (None: the model
    itself); ``scale``: the grid's own unless given."""
    grid = grid_for(profile)
    scale = scale or grid.scale
    reason = supports_prompting(handle, prompting)
    if reason:
        raise HarnessError(reason)
    scenarios = tuple(scenarios)
    forms = forms or load_prompt_forms()
    clfs = [classifier] if not isinstance(classifier, Sequence) else list(classifier)
    maps = [labels] if isinstance(labels, dict) else list(labels)
    if len(maps) != len(clfs):
        raise HarnessError(f"run_steering: {len(clfs)} classifiers but {len(maps)} label maps; give one map each")
    scorer = scorer or handle
    params = {**grid.params(), "scale_strengths": th.SCALE_STRENGTHS, "scale_prompts_per_scenario": th.SCALE_PROMPTS_PER_SCENARIO,
              "seed": th.SEED, "max_new_tokens": profile.steer_max_new_tokens, "scale": scale,
              "method": STEER_METHOD, "prompting": prompting, "forms": asdict(forms), "rule": rule}
    key = entry_key(kind="steering", model=handle.fingerprint, stimuli=stimuli.content_hash(),
                    scenarios=scenarios_hash(scenarios), params=params, protocol=PROTOCOL_VERSION,
                    dtype=str(handle.dtype), classifiers=[[c.name, c.version] for c in clfs],
                    labels=[{k: list(v) for k, v in sorted(m.items())} for m in maps],
                    # an external scorer's perplexities are cached apart (_scored): changing it regenerates nothing
                    scorer="self" if scorer is handle else "external")
    scorer_name = scorer.key if scorer is not handle else f"{handle.key} (self-scored)"
    meta = dict(model=handle.key, prompting=prompting, method=STEER_METHOD, scale=scale,
                classifier=f"{clfs[0].name} {clfs[0].version}", scorer=scorer_name,
                max_new_tokens=profile.steer_max_new_tokens, layer=handle.middle_layer, params=params,
                classifiers=tuple(c.name for c in clfs), rule=rule, grid=grid.name,
                vectors=vector_names(handle, grid))
    hit = load_entry("steering", key)
    if hit is not None:
        # Text statistics are a pure function of the text: recomputed, so changing them
        # never needs the generations again.
        rows = [SteerRow(**{**r, "stats": asdict(text_stats(r["text"], r["tokens"]))}) for r in hit[1]["rows"]]
        diagnostics = hit[1]["diagnostics"]
    else:
        # Generation and its re-read are most of a grid's cost: each finished batch is kept, so
        # a stopped run resumes.
        journals = (Journal("steering-parts", key, Generation), Journal("reread-parts", key, Reread))
        rows, diagnostics = _compute(handle, stimuli, scenarios, profile, prompting, clfs, maps, scorer, scale, forms,
                                     rule, grid, journals)
        save_entry("steering", key, {"strengths": torch.tensor([r.strength for r in rows])},
                   {"rows": [asdict(r) for r in rows], "diagnostics": diagnostics, **meta})
        for journal in journals:
            journal.clear()
    if scorer is not handle:  # scored apart (harness.experiments.scoring), cached by scorer and texts
        rows = _scored(handle, scorer, rows, scenarios, forms, prompting, profile)
    return SteeringRun(scenarios=scenarios, rows=tuple(rows), diagnostics=diagnostics, **meta)


def _scored(handle: ModelHandle, scorer: ModelHandle, rows: Sequence[SteerRow], scenarios: Sequence[Scenario],
            forms: PromptForms, prompting: Prompting, profile: Profile) -> list[SteerRow]:
    """The rows with the external scorer's perplexity of each continuation, read as a reader sees
    prompt and continuation (the scenario text it was asked to continue; harness.experiments.scoring)."""
    prompt = {(s.id, i): p for s in scenarios for i, p in enumerate(s.prompts)}
    pairs = []
    for r in rows:
        shown = prompt_text(forms, prompt[(r.scenario, r.prompt_index)], "raw", r.length)
        ids = prompt_ids(handle, prompt_text(forms, prompt[(r.scenario, r.prompt_index)], prompting, r.length),
                         prompting)
        pairs.append((shown, reader_continuation(handle, ids, r.tokens, r.text, prompting)))
    ppl = perplexities(scorer, pairs, prompting, profile.batch_size, handle.key)
    return [replace(r, perplexity=p) for r, p in zip(rows, ppl, strict=True)]


def _compute(handle: ModelHandle, stimuli: Stimuli, scenarios: tuple[Scenario, ...], profile: Profile,
             prompting: Prompting, classifiers: list[Classifier], maps: list[LabelMap], scorer: ModelHandle,
             scale: Scale, forms: PromptForms, rule: ScaleRule, grid: Grid,
             journals: tuple[Journal[Generation], Journal[Reread]] | None = None
             ) -> tuple[list[SteerRow], dict[str, Any]]:
    vectors = steering_vectors(handle, stimuli, profile)
    centred = steering_vectors(handle, stimuli, profile, baseline="centred")
    names = list(stimuli.names)
    prompts = [(s, i, p) for s in scenarios for i, p in enumerate(s.prompts)]
    rand = random_directions(len(prompts), handle.d_model)
    cells = grid_cells(prompts, prompting, rule, grid)
    texts = {(k, length): prompt_text(forms, p, prompting, length) for k, (_, _, p) in enumerate(prompts)
             for length in ("short", "long")}
    ids = {key: prompt_ids(handle, t, prompting) for key, t in texts.items()}
    target = torch.stack([vectors[names.index(s.target)] for s, _, _ in prompts])
    target_c = torch.stack([centred[names.index(s.target)] for s, _, _ in prompts])
    opposite = torch.stack([vectors[names.index(opposite_emotion(stimuli, vectors, s.target))] for s, _, _ in prompts])
    pick = {"emotion": target, "random": rand, "opposite": opposite, "centred": target_c}
    read_vectors, read_blocks = [target, target_c], [handle.middle_layer, handle.middle_layer]
    if any(d.startswith("platform") for d in grid.strengths):
        block = platform_block(handle.n_layers)
        plat = steering_vectors(handle, stimuli, profile, baseline="centred", block=block)
        pick["platform"] = torch.stack([plat[names.index(s.target)] for s, _, _ in prompts])
        pick["platform_opposite"] = torch.stack([plat[names.index(opposite_emotion(stimuli, plat, s.target))]
                                                 for s, _, _ in prompts])
        read_vectors.append(pick["platform"])
        read_blocks.append(block)
    cell_ids = [ids[(c.k, c.length)] for c in cells]
    cell_dirs = torch.stack([pick[c.direction][c.k] for c in cells])
    cell_alpha = [prompts[c.k][0].sign * c.strength for c in cells]
    cell_rule = [c.rule for c in cells]
    reads_on = torch.stack([torch.stack([v[c.k] for v in read_vectors]) for c in cells])  # [n, k, d]

    step = f"steering {prompting}:"
    with progress.phase(handle.key, f"{step} generate ({profile.steer_max_new_tokens} new tokens)"):
        gens = generate_steered(handle, cell_ids, cell_dirs, cell_alpha, profile.steer_max_new_tokens,
                                scale=scale, batch_size=profile.gen_batch_size, rule=cell_rule,
                                memo=journals[0] if journals else None)
    with progress.phase(handle.key, f"{step} re-read the readout"):
        # With an external scorer the steered model's own perplexity is never used: read the
        # middle block and stop.
        reads = reread(handle, cell_ids, [g.new_ids for g in gens], reads_on, read_blocks,
                       batch_size=profile.batch_size, score=scorer is handle, memo=journals[1] if journals else None)
    # An external scorer's perplexity is filled in by run_steering (_scored), cached apart.
    ppl = [r.perplexity for r in reads] if scorer is handle else [math.nan] * len(reads)
    with progress.phase(handle.key, f"{step} steered prompt states"):
        states = steered_last_states(handle, cell_ids, cell_dirs, cell_alpha, handle.middle_layer,
                                     batch_size=profile.batch_size, rule=cell_rule)
    activation = (states * target[[c.k for c in cells]]).sum(-1).tolist()
    stats = [text_stats(g.text, g.new_ids) for g in gens]
    # A classifier has nothing to read in a text without words: its target score is nan.
    scored = []
    for clf in classifiers:
        with progress.phase(handle.key, f"{step} classify with {clf.name}", len(gens), "texts"):
            scored.append(clf.scores([g.text for g in gens]))
            progress.advance(len(gens))
    rows = []
    for n, (c, g) in enumerate(zip(cells, gens, strict=True)):
        s, i, _ = prompts[c.k]
        targets = {clf.name: math.nan if stats[n].blank else target_score(scored[j][n], maps[j][s.target])
                   for j, clf in enumerate(classifiers)}
        rows.append(SteerRow(
            scenario=s.id, prompt_index=i, direction=c.direction, strength=c.strength, sign=s.sign, text=g.text,
            n_new=len(g.new_ids), stopped=g.stopped, readout=reads[n].projections[0], perplexity=ppl[n],
            activation=activation[n], target=targets[classifiers[0].name],
            scores={clf.name: scored[j][n] for j, clf in enumerate(classifiers)}, stats=asdict(stats[n]),
            readout_centred=reads[n].projections[1], targets=targets, rule=c.rule, length=c.length,
            readout_platform=reads[n].projections[2] if len(read_blocks) > 2 else math.nan,
            tokens=list(g.new_ids)))
    with progress.phase(handle.key, f"{step} scale diagnostics"):
        return rows, _diagnostics(handle, prompts, ids, profile)


def _diagnostics(handle: ModelHandle, prompts: Sequence[tuple[Scenario, int, str]],
                 ids: dict[tuple[int, str], list[int]], profile: Profile) -> dict[str, Any]:
    """What sets the scale: each block's first-position norm over the median norm of the other
    positions (median over the short prompts), and each prompt's s_l at the middle block under
    both rules, short and long (the C13 prompts)."""
    short = [ids[(k, "short")] for k in range(len(prompts))]
    norms = position_norms(handle, short, batch_size=profile.batch_size)
    ratio, first, median = [], [], []
    for layer in range(handle.n_layers):
        f = torch.tensor([float(n[layer, 0]) for n in norms])
        m = torch.tensor([float(n[layer, 1:].median()) if n.shape[1] > 1 else math.nan for n in norms])
        ratio.append(float((f / m).median()))
        first.append(float(f.median()))
        median.append(float(m.median()))
    sub = scale_prompts(prompts)
    scales = {rule: {length: prompt_scales(handle, [ids[(k, length)] for k in sub], rule,
                                           profile.batch_size)[:, handle.middle_layer].tolist()
                     for length in ("short", "long")} for rule in SCALE_RULES}
    return {"sink_ratio": ratio, "first_norm": first, "median_norm": median, "scale_prompts": sub,
            "middle_scales": scales,
            "prompt_tokens": {length: [len(ids[(k, length)]) for k in sub] for length in ("short", "long")}}


def excerpts(run: SteeringRun, scenarios: Sequence[Scenario], forms: PromptForms | None = None
             ) -> list[dict[str, Any]]:
    """Every continuation of a run as a flat record, so a reader can judge the texts behind C5-C13."""
    forms = forms or load_prompt_forms()
    prompt = {(s.id, i): p for s in scenarios for i, p in enumerate(s.prompts)}
    target = {s.id: s.target for s in scenarios}
    return [{"model": run.model, "prompting": run.prompting, "scenario": r.scenario,
             "target_emotion": target[r.scenario], "sign": r.sign, "prompt_index": r.prompt_index,
             "prompt": prompt_text(forms, prompt[(r.scenario, r.prompt_index)], run.prompting, r.length),
             "direction": r.direction, "strength": r.strength, "rule": r.rule, "length": r.length, "text": r.text,
             "target": r.target, "perplexity": r.perplexity, "loop_share": r.stats["loop_share"],
             "degenerate": degeneration(r.stats, r.perplexity)} for r in run.rows]
