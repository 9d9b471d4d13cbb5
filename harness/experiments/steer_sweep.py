"""One prompt steered by one emotion at a few strengths, read the way the steering grid reads
its cells: greedy continuations, the external scorer's perplexity of each, the classifier's
target-emotion score and the degeneration rule. Strength 0 is the unsteered continuation."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from harness import inputs
from harness.errors import HarnessError
from harness.experiments.extraction import Method
from harness.experiments.scoring import reader_continuation, scorer_pair
from harness.experiments.steering_grid import prompt_ids, prompt_text, steering_vectors
from harness.experiments.trace import check_emotion
from harness.metrics.classifier import Classifier, target_score
from harness.metrics.textstats import degeneration, text_stats
from harness.metrics.vectors import Baseline
from harness.models.loading import ModelHandle
from harness.protocol import Profile
from harness.runtime.readout import reread
from harness.runtime.steering import Scale, ScaleRule, generate_steered
from harness.stimuli.loading import Stimuli
from harness.stimuli.scenarios import LabelMap, PromptForms


@dataclass(frozen=True)
class SteeredText:
    strength: float
    text: str
    perplexity: float  # the scorer's, of the continuation given the prompt
    target: float  # the classifier's score for the steered emotion (nan: no words to read)
    degenerate: str | None  # why the text is degenerate (the evals' rule), None for readable text


def parse_strengths(spec: str) -> list[float]:
    """``"0,0.005,0.01"`` -> floats (the order given, repeats dropped)."""
    out: list[float] = []
    for part in spec.split(","):
        value = inputs.strength(part.strip(), "--sweep")
        if value not in out:
            out.append(value)
    return out


def steer_sweep(handle: ModelHandle, prompt: str, emotion: str, strengths: Sequence[float], stimuli: Stimuli,
                profile: Profile, forms: PromptForms, classifier: Classifier, labels: LabelMap,
                scorer: ModelHandle | None = None, method: Method = "comprehension", baseline: Baseline = "neutral",
                max_new_tokens: int = 50, chat: bool = False, scale: Scale = "prefill",
                rule: ScaleRule = "paper") -> list[SteeredText]:
    """``prompt`` continued at each strength along ``emotion``'s vector (the evals' steering
    vector: ``method`` extraction, ``baseline``, middle block); negative strengths steer away.
    ``scorer`` None scores perplexity with the model itself."""
    if not prompt or not prompt.strip():
        raise HarnessError("steer: the prompt is empty; give the text to continue as an argument")
    if not strengths:
        raise HarnessError("steer: no strengths given")
    strengths = [inputs.strength(a) for a in strengths]
    max_new_tokens = inputs.new_tokens(max_new_tokens)
    check_emotion(emotion, tuple(stimuli.names))
    prompting = "chat" if chat else "raw"
    vector = steering_vectors(handle, stimuli, profile, method=method, baseline=baseline)[
        list(stimuli.names).index(emotion)]
    ids = prompt_ids(handle, prompt_text(forms, prompt, prompting), prompting)
    gens = generate_steered(handle, [ids] * len(strengths), vector, list(strengths), max_new_tokens, scale=scale,
                            batch_size=profile.gen_batch_size, rule=rule)
    if scorer is None:
        ppl = [r.perplexity for r in reread(handle, [ids] * len(gens), [list(g.new_ids) for g in gens],
                                            batch_size=profile.batch_size)]
    else:  # as in the grid: the scorer reads the plain prompt and the continuation as a reader sees them
        pairs = [scorer_pair(scorer, prompt, reader_continuation(handle, ids, g.new_ids, g.text, prompting), prompting)
                 for g in gens]
        ppl = [r.perplexity for r in reread(scorer, [a for a, _ in pairs], [b for _, b in pairs],
                                            batch_size=profile.batch_size)]
    scores = classifier.scores([g.text for g in gens])
    out = []
    for strength, g, p, s in zip(strengths, gens, ppl, scores, strict=True):
        stats = text_stats(g.text, g.new_ids)
        out.append(SteeredText(strength=float(strength), text=g.text, perplexity=p,
                               target=math.nan if stats.blank else target_score(s, labels[emotion]),
                               degenerate=degeneration(stats, p)))
    return out
