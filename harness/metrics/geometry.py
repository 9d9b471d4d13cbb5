"""Geometry of sets of vectors and held-out labelling: plain functions over tensors, no model, no pytest."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from harness.metrics.vectors import LabelledStates, baseline_mean, vectors_from_states


def mean_pairwise_cosine(x: torch.Tensor) -> torch.Tensor:
    """Mean cosine over all unordered pairs of rows.

    ``x`` is ``[..., n, d]``; the result is ``[...]`` (one value per leading index, e.g.
    per layer). Used for the separation S (emotion vectors) and the anisotropy
    baseline B (raw states of neutral sentences).
    """
    n = x.shape[-2]
    if n < 2:
        raise ValueError("mean_pairwise_cosine needs at least two vectors")
    unit = torch.nn.functional.normalize(x.double(), dim=-1)
    gram = unit @ unit.transpose(-1, -2)
    iu = torch.triu_indices(n, n, offset=1)
    return gram[..., iu[0], iu[1]].mean(-1).to(x.dtype)


def depths(n_layers: int) -> list[float]:
    """Depth of block l is (l + 1) / L (docs/protocol.md, Notation)."""
    return [(layer + 1) / n_layers for layer in range(n_layers)]


def block_at_depth(n_layers: int, depth: float) -> int:
    """The block whose depth (l + 1) / L is nearest ``depth`` (ties go deeper)."""
    return max(0, min(n_layers - 1, math.floor(depth * n_layers + 0.5) - 1))


def nearest_vector_hits(vectors: torch.Tensor, ref: torch.Tensor, held_out: LabelledStates,
                        emotions: Sequence[str], k: int = 1) -> torch.Tensor:
    """Per layer and held-out state: is its emotion among the ``k`` nearest vectors? ``[n_layers, n]``.

    Each state is first moved by the same reference point the vectors were built from,
    then compared with every emotion vector by cosine.
    """
    x = torch.nn.functional.normalize(held_out.states.double() - ref[:, None, :], dim=-1)
    scores = x @ torch.nn.functional.normalize(vectors.double(), dim=-1).transpose(-1, -2)
    top = scores.topk(k, dim=-1).indices  # [L, n, k]
    truth = torch.tensor([list(emotions).index(lab) for lab in held_out.labels])
    return (top == truth[None, :, None]).any(-1)


def nearest_vector_accuracy(vectors: torch.Tensor, ref: torch.Tensor, held_out: LabelledStates,
                            emotions: Sequence[str], k: int = 1) -> torch.Tensor:
    """Top-k accuracy per layer of labelling each held-out state by its nearest vector ``[n_layers]``."""
    return nearest_vector_hits(vectors, ref, held_out, emotions, k).double().mean(-1)


def cosine_matrix(vectors: torch.Tensor) -> torch.Tensor:
    """All pairwise cosines of ``vectors`` ``[n, d]``: ``[n, n]`` (float64)."""
    unit = torch.nn.functional.normalize(vectors.double(), dim=-1)
    return unit @ unit.T


def pc_scores(vectors: torch.Tensor, k: int = 2) -> torch.Tensor:
    """Coordinates of ``vectors`` ``[n, d]`` on their first ``k`` principal components ``[n, k]``.

    SVD signs are arbitrary; each component is oriented so its largest-magnitude score is
    positive, which makes plots reproducible."""
    x = vectors.double() - vectors.double().mean(0, keepdim=True)
    _, _, vh = torch.linalg.svd(x, full_matrices=False)
    scores = x @ vh[:k].T
    flip = torch.sign(scores.gather(0, scores.abs().argmax(0, keepdim=True)))
    return scores * flip


def cross_validated_hits(data: LabelledStates, strata: Sequence[int], emotions: Sequence[str],
                         k: int = 1) -> torch.Tensor:
    """Leave-one-stratum-out: per layer and emotion sample (in stratum order, then sample
    order), is it labelled right? ``[n_layers, n]``.

    For each stratum (a generation story index: one topic), vectors (neutral baseline) are
    built from the other strata and label that stratum's emotion samples by nearest vector."""
    hits = []
    for s in sorted(set(strata)):
        train = data.select([i for i, t in enumerate(strata) if t != s])
        test = data.select([i for i, t in enumerate(strata) if t == s and data.labels[i] in set(emotions)])
        if not test.labels:
            continue
        vecs = vectors_from_states(train, emotions, "neutral")
        ref = baseline_mean(train, emotions, "neutral")
        hits.append(nearest_vector_hits(vecs, ref, test, emotions, k))
    if not hits:
        raise ValueError("cross-validation found no emotion sample to test")
    return torch.cat(hits, dim=1)


def cross_validated_accuracy(data: LabelledStates, strata: Sequence[int], emotions: Sequence[str],
                             k: int = 1) -> tuple[torch.Tensor, int]:
    """Leave-one-stratum-out top-k accuracy per layer ``[n_layers]`` and the number of items."""
    hits = cross_validated_hits(data, strata, emotions, k)
    return hits.double().mean(-1), hits.shape[1]
