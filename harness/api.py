"""The small public API: load a model, read its residual stream, build emotion vectors, steer,
run one claim, and trace a text on the emotion vectors, without pytest. Everything here is
re-exported by ``harness``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from harness import inputs
from harness.claims import get_claim
from harness.claims.base import Evidence, evaluate
from harness.claims.record import ClaimRecord
from harness.errors import HarnessError
from harness.experiments.extraction import Method, extract
from harness.experiments.trace import EmotionTrace, emotion_trace
from harness.experiments.workbench import Workbench, scorer_for
from harness.metrics.vectors import Baseline, vectors_from_states
from harness.models.loading import ModelHandle, load
from harness.models.options import LoadOptions
from harness.protocol import get_profile
from harness.runtime.batching import text_ids
from harness.runtime.capture import Residuals, capture_texts
from harness.runtime.generate import chat_ids
from harness.runtime.steering import Scale, generate_steered
from harness.stimuli.loading import load_replication, load_stimuli
from harness.stimuli.scenarios import load_scenarios


def load_model(key: str, device: str = "cpu", dtype: str = "float32", offline: bool = False,
               allow_download: bool = False, trust_remote_code: bool = False) -> ModelHandle:
    """Load a model by registry key (``python -m harness models``) or local folder.

    Args:
        key: registry key such as ``"smollm2-135m-instruct"``, or a folder with a HF model.
        device: ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"auto"``.
        dtype: ``"float32"``, ``"bfloat16"`` or ``"float16"``.
        offline: never download; use only what is cached.
        allow_download: let hub models download into the HF cache.
        trust_remote_code: allow models that ship their own Python code.

    Returns:
        A :class:`~harness.models.loading.ModelHandle` (model, tokenizer, facts, fingerprint).
    """
    return load(key, LoadOptions(device=device, dtype=dtype, offline=offline, allow_download=allow_download,
                                 trust_remote_code=trust_remote_code))


def read_residuals(handle: ModelHandle, texts: Sequence[str], batch_size: int = 8) -> Residuals:
    """The residual stream after every block at each text's last token, in one pass per batch.

    Args:
        handle: a loaded model.
        texts: plain texts (no chat template).
        batch_size: texts per forward pass (results do not depend on it).

    Returns:
        :class:`~harness.runtime.capture.Residuals`: ``resid`` ``[n_layers, n_texts, d_model]`` and the
        final-norm state of the last block, ``post_norm`` ``[n_texts, d_model]``.
    """
    return capture_texts(handle, texts, batch_size=batch_size)


def emotion_vectors(handle: ModelHandle, method: Method = "comprehension", baseline: Baseline = "neutral",
                    profile: str = "paper") -> dict[str, torch.Tensor]:
    """Unit emotion vectors at every block, from the harness's stimuli (cached like the evals').

    Args:
        handle: a loaded model.
        method: ``"comprehension"`` (passages, any model) or ``"generation"`` (the model's own
            stories; instruct models only).
        baseline: ``"neutral"`` (mean_e - mean_neutral, the paper's) or ``"centred"``.
        profile: ``"paper"`` or ``"quick"`` (sizes of the generation run).

    Returns:
        ``{emotion: tensor [n_layers, d_model]}`` of unit vectors (float32), for the 20 emotions.
    """
    stimuli = load_stimuli()
    ex = extract(handle, method, stimuli, get_profile(profile))
    vecs = vectors_from_states(ex.data, stimuli.names, baseline).float()
    return {name: vecs[:, i] for i, name in enumerate(stimuli.names)}


def steer(handle: ModelHandle, prompt: str, direction: torch.Tensor, strength: float, max_new_tokens: int = 50,
          chat: bool = False, scale: Scale = "prefill") -> str:
    """Greedy continuation of ``prompt`` with ``strength * s_l * direction`` added after every block.

    Args:
        handle: a loaded model.
        prompt: the text to continue (``chat=True`` wraps it as one user turn of the chat template).
        direction: a unit vector ``[d_model]``, e.g. ``emotion_vectors(m)["calm"][m.middle_layer]``.
        strength: alpha; negative steers away. 0 gives the unsteered continuation.
        max_new_tokens: length of the continuation.
        chat: use the model's chat template.
        scale: ``"prefill"`` (s_l measured on the prompt, KV cache), ``"running"`` (the mean norm over
            every position so far, KV cache) or ``"per_step"`` (the paper's loop, no cache).

    Returns:
        The continuation's text (special tokens skipped).
    """
    strength, max_new_tokens = inputs.strength(strength), inputs.new_tokens(max_new_tokens)
    ids = chat_ids(handle, prompt) if chat else text_ids(handle, prompt)
    gen = generate_steered(handle, [ids], direction.reshape(-1), [strength], max_new_tokens, scale=scale)
    return gen[0].text


def run_claim(claim_id: str, handle: ModelHandle, axis_value: str, profile: str = "paper",
              classifier: str = "auto", stimuli: Path | None = None,
              replicate_with: Path | bool | None = True, ppl_scorer: str = "external") -> list[ClaimRecord]:
    """Check one claim on one model, as its eval does, without pytest.

    Args:
        claim_id: ``"C1"`` .. ``"C12"``.
        handle: a loaded model.
        axis_value: the extraction method (``"comprehension"``, ``"generation"``) for geometry
            claims, the prompting mode (``"raw"``, ``"chat"``) for steering claims.
        profile: ``"paper"``, ``"full"`` (84 prompts over the readable grid) or ``"quick"``.
        classifier: emotion classifier backend for C6/C7 (``"auto"``, ``"nade"``, ``"j-hartmann"``).
        stimuli: a stimulus set folder (default: the packaged set).
        replicate_with: a second stimulus set folder the geometry verdicts are replicated on
            (True, the default: the packaged second set; False or None: no replication).
        ppl_scorer: who scores perplexity of steered text: ``"external"`` (the first of
            ``thresholds.PPL_SCORERS`` that is not the model), ``"self"``, or a registry key.

    Returns:
        The claim's records; the first carries the verdict (``holds``, ``does not hold``,
        ``inconclusive``, ``uninformative`` or ``not applicable``), its value, interval, controls,
        the paper's value and the details behind it; the others are readings beside it (the
        random-weight copy's, the second stimulus set's).
    """
    claim = get_claim(claim_id)
    if axis_value not in claim.axis_values:
        raise HarnessError(f"{claim_id} runs over {claim.axis} {', '.join(claim.axis_values)}, not '{axis_value}'")
    prof = get_profile(profile)

    def evidence() -> Evidence:
        replication = None
        if replicate_with not in (None, False):
            replication = load_replication(None if replicate_with is True else replicate_with, stimuli)
        bench = Workbench(stimuli=load_stimuli(stimuli), scenarios=load_scenarios(profile=prof.name), profile=prof,
                          classifier_name=classifier, replication=replication,
                          scorer=lambda h: scorer_for(ppl_scorer, h, load))
        return bench.evidence(handle)

    return evaluate(claim, evidence, handle, axis_value, prof.name).records

def trace(handle: ModelHandle, text: str, method: Method = "comprehension", baseline: Baseline = "neutral",
          layer: int | None = None, profile: str = "paper") -> EmotionTrace:
    """How far each token of ``text`` lies along each emotion vector, at every block.

    Args:
        handle: a loaded model.
        text: a plain text (no chat template).
        method: which extraction's vectors (``"comprehension"`` or ``"generation"``; cached like the evals').
        baseline: ``"neutral"`` or ``"centred"``; the projection subtracts the same reference point
            the vectors were built against.
        layer: the block the trace is shown at (default: the middle block).
        profile: ``"paper"`` or ``"quick"`` (sizes of the generation run).

    Returns:
        An :class:`~harness.experiments.trace.EmotionTrace`: ``tokens``, ``emotions`` and
        ``projections`` ``[n_layers, n_tokens, n_emotions]`` = ``(h_l[t] - r_l) . v_hat_{l,e}``;
        ``trace.at()`` is ``[n_tokens, n_emotions]`` at the chosen block.
    """
    return emotion_trace(handle, text, load_stimuli(), get_profile(profile), method=method, baseline=baseline,
                         layer=layer)


__all__: list[Any] = ["emotion_vectors", "load_model", "read_residuals", "run_claim", "steer", "trace"]
