"""An emotion trace of one text: how far each token's residual state lies along each emotion
vector, at every block.

The projection of token t at block l on emotion e is ``(h_l[t] - r_l) . v_hat_{l,e}``, where
``r_l`` is the point the vectors were built against (the mean neutral state for the neutral
baseline, the mean of the emotion means for the centred one): ``v_e = mean_e - r``, so the
projection says how far along e the token sits from that reference, in residual units.
Without subtracting ``r`` every token would share the residual stream's common offset.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from harness import inputs
from harness import thresholds as th
from harness.errors import HarnessError
from harness.experiments.extraction import Method, extract
from harness.metrics.vectors import Baseline, baseline_mean, vectors_from_states
from harness.models.loading import ModelHandle
from harness.protocol import Profile
from harness.runtime.batching import text_ids
from harness.runtime.capture import capture_sequence
from harness.stimuli.loading import Stimuli


@dataclass(frozen=True)
class EmotionTrace:
    """Per-token projections of one text on the emotion vectors, at every block."""

    model: str
    text: str
    tokens: tuple[str, ...]  # each token decoded on its own (newlines shown as a visible mark)
    emotions: tuple[str, ...]
    method: str
    baseline: str
    layer: int  # the block the trace is shown at
    projections: torch.Tensor  # [n_layers, n_tokens, n_emotions], float32

    def at(self, layer: int | None = None) -> torch.Tensor:
        """``[n_tokens, n_emotions]`` at ``layer`` (default: the trace's block)."""
        return self.projections[self.layer if layer is None else layer]

    def emotion(self, name: str) -> torch.Tensor:
        """``[n_layers, n_tokens]``: one emotion's projection at every block."""
        return self.projections[:, :, self.emotions.index(check_emotion(name, self.emotions))]


def check_emotion(name: str, emotions: tuple[str, ...]) -> str:
    if name not in emotions:
        raise HarnessError(f"unknown emotion '{name}'; use one of {', '.join(emotions)}")
    return name


def check_layer(handle: ModelHandle, layer: int | None) -> int:
    if layer is None:
        return handle.middle_layer
    return int(inputs.number(layer, "layer", 0, handle.n_layers - 1, integer=True,
                             hint=f"{handle.key} has blocks 0..{handle.n_layers - 1}"))


def project(resid: torch.Tensor, vectors: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """``(resid - reference) . vectors``: resid ``[L, T, d]``, vectors ``[L, E, d]`` (unit),
    reference ``[L, d]`` -> ``[L, T, E]``."""
    centred = resid.double() - reference.double()[:, None, :]
    return torch.einsum("ltd,led->lte", centred, vectors.double()).float()


def token_labels(handle: ModelHandle, ids: list[int]) -> tuple[str, ...]:
    return tuple(handle.tokenizer.decode([i]).replace("\n", "⏎") or "∅" for i in ids)


@dataclass(frozen=True)
class TraceBasis:
    """What a trace projects on: unit vectors ``[L, E, d]`` and their reference point ``[L, d]``."""

    method: str
    baseline: str
    emotions: tuple[str, ...]
    vectors: torch.Tensor
    reference: torch.Tensor


def trace_basis(handle: ModelHandle, stimuli: Stimuli, profile: Profile, method: Method = "comprehension",
                baseline: Baseline = "neutral") -> TraceBasis:
    """The vectors the evals extract (the same cached extraction) and their reference point."""
    ex = extract(handle, method, stimuli, profile)
    return TraceBasis(method, baseline, tuple(stimuli.names), vectors_from_states(ex.data, stimuli.names, baseline),
                      baseline_mean(ex.data, stimuli.names, baseline))


def trace_text(handle: ModelHandle, text: str, basis: TraceBasis, layer: int | None = None) -> EmotionTrace:
    """The trace of ``text`` (plain, no chat template) on ``basis``."""
    if not text or not text.strip():
        raise HarnessError("trace: the text is empty; give the text to trace as an argument")
    block = check_layer(handle, layer)
    ids = text_ids(handle, text)
    resid = capture_sequence(handle, ids)
    return EmotionTrace(model=handle.key, text=text, tokens=token_labels(handle, ids), emotions=basis.emotions,
                        method=basis.method, baseline=basis.baseline, layer=block,
                        projections=project(resid, basis.vectors, basis.reference))


def emotion_trace(handle: ModelHandle, text: str, stimuli: Stimuli, profile: Profile,
                  method: Method = "comprehension", baseline: Baseline = "neutral",
                  layer: int | None = None) -> EmotionTrace:
    """The trace of ``text`` on the vectors the evals extract (the same cached extraction)."""
    if not text or not text.strip():  # before the extraction, which may take minutes cold
        raise HarnessError("trace: the text is empty; give the text to trace as an argument")
    check_layer(handle, layer)
    return trace_text(handle, text, trace_basis(handle, stimuli, profile, method, baseline), layer)


# Which steered continuations the report traces: each scenario's first prompt, unsteered and
# at the paper's scenario strength, along the emotion vector (short prompt, the paper's scale).
TRACED_STRENGTHS = (0.0, th.SCENARIO_STRENGTH)


def traced(item: dict[str, Any]) -> bool:
    return (item["direction"] == "emotion" and item["prompt_index"] == 0 and item["strength"] in TRACED_STRENGTHS
            and item.get("length", "short") == "short" and item.get("rule", "paper") == "paper")


def trace_excerpts(handle: ModelHandle, items: list[dict[str, Any]], stimuli: Stimuli, profile: Profile) -> None:
    """Attach to the selected steered continuations (``traced``) the emotion trace of prompt +
    continuation under the unsteered model: the projection of each token on the scenario's
    target emotion at the middle block (centred comprehension vectors, as ``harness trace``
    draws by default; the prompt is read as plain text)."""
    basis = trace_basis(handle, stimuli, profile, "comprehension", "centred")
    layer = handle.middle_layer
    for item in items:
        if not traced(item):
            continue
        tr = trace_text(handle, item["prompt"] + item["text"], basis, layer)
        values = tr.at()[:, basis.emotions.index(item["target_emotion"])]
        item["trace"] = {"emotion": item["target_emotion"], "layer": layer, "baseline": "centred",
                         "tokens": list(tr.tokens),
                         "prompt_tokens": len(text_ids(handle, item["prompt"])),
                         "target_projection": [round(v, 4) for v in values.tolist()]}
