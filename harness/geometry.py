"""Geometry of sets of vectors: plain functions over tensors, no model, no pytest."""

from __future__ import annotations

import torch


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
    """Depth of block l is (l + 1) / L (DESIGN.md, Notation)."""
    return [(layer + 1) / n_layers for layer in range(n_layers)]
