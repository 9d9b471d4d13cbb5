"""Emotion vectors from labelled residual states: mean difference, two baselines.

``neutral`` (the paper's): v_e = mean_e - mean_neutral. ``centred``: v_e = mean_e - the
mean of the emotion means; its mean pairwise cosine is forced towards -1/(n-1), so
numbers are never compared across baselines. Vectors are unit-normalised per layer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import torch

Baseline = Literal["neutral", "centred"]
BASELINES: tuple[Baseline, ...] = ("neutral", "centred")
NEUTRAL = "neutral"


@dataclass(frozen=True)
class LabelledStates:
    """Residual states of labelled samples: ``states[l, i]`` belongs to ``labels[i]``."""

    states: torch.Tensor  # [n_layers, n, d_model]
    labels: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.states.shape[1] != len(self.labels):
            raise ValueError(f"{self.states.shape[1]} states but {len(self.labels)} labels")

    def select(self, keep: Sequence[int]) -> LabelledStates:
        idx = torch.as_tensor(list(keep), dtype=torch.long)
        return LabelledStates(self.states[:, idx], tuple(self.labels[i] for i in keep))


def class_means(data: LabelledStates, classes: Sequence[str]) -> torch.Tensor:
    """Mean state per class, ``[n_layers, n_classes, d_model]`` (float64)."""
    out = []
    for c in classes:
        idx = [i for i, lab in enumerate(data.labels) if lab == c]
        if not idx:
            raise ValueError(f"no samples labelled '{c}'")
        out.append(data.states[:, idx].double().mean(dim=1))
    return torch.stack(out, dim=1)


def baseline_mean(data: LabelledStates, emotions: Sequence[str], baseline: Baseline) -> torch.Tensor:
    """The point each baseline subtracts, ``[n_layers, d_model]``."""
    if baseline == "neutral":
        return class_means(data, [NEUTRAL])[:, 0]
    if baseline == "centred":
        return class_means(data, emotions).mean(dim=1)
    raise ValueError(f"unknown baseline '{baseline}'; use neutral or centred")


def vectors_from_states(data: LabelledStates, emotions: Sequence[str], baseline: Baseline) -> torch.Tensor:
    """Unit emotion vectors ``[n_layers, n_emotions, d_model]`` (float64)."""
    diff = class_means(data, emotions) - baseline_mean(data, emotions, baseline)[:, None, :]
    return torch.nn.functional.normalize(diff, dim=-1)


def agreement(vectors: torch.Tensor, reference: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per block and emotion: the cosine of each vector with its reference vector, and whether
    the reference nearest to it is its own emotion's. Both ``[n_layers, n_emotions]``."""
    v = torch.nn.functional.normalize(vectors.double(), dim=-1)
    r = torch.nn.functional.normalize(reference.double(), dim=-1)
    cos = v @ r.transpose(1, 2)  # [L, own, reference]
    own = torch.arange(cos.shape[1])
    return cos[:, own, own], cos.argmax(dim=-1) == own
