"""Everything the geometry claims need for one model and one extraction method.

Plain data in, plain data out: extraction results go in, per-layer metrics come out as
a :class:`Geometry`, which the claim checks (harness.claims) read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from harness import thresholds as th
from harness.experiments.extraction import Extraction
from harness.metrics.geometry import (
    mean_pairwise_cosine,
    nearest_vector_accuracy,
    pair_cosines,
    pc_organisation,
    shuffled_null,
)
from harness.metrics.stats import loo_separation
from harness.metrics.vectors import BASELINES, LabelledStates, baseline_mean, vectors_from_states
from harness.protocol import middle_block
from harness.stimuli.loading import Stimuli

FIVE_WAY = ("happy", "sad", "angry", "afraid", "calm")


@dataclass(frozen=True)
class Geometry:
    method: str
    n_layers: int
    middle: int
    separation: dict[str, list[float]]  # baseline -> S per block
    separation_post_norm: dict[str, float]  # baseline -> S of the post-final-norm states
    opposite: dict[str, dict[str, float]]  # baseline -> "happy-sad" -> cosine, middle block
    valence: dict[str, float]  # baseline -> |Spearman(PC1, valence)|, middle block
    arousal: dict[str, float]  # baseline -> |Spearman(PC2, arousal)|, middle block
    null_mean: list[float]  # neutral baseline, label-shuffled S per block
    null_p05: list[float]
    null_fraction_at_or_below: list[float]  # share of shuffles with S <= observed, per block
    heldout_top1: list[float]  # 20-way, neutral baseline, per block
    heldout_top3: list[float]
    heldout5_top1: list[float]  # 5-way on FIVE_WAY
    n_heldout: int
    loo_middle: list[float]  # neutral-baseline S at the middle block, one per dropped sample
    anisotropy: list[float]  # B per block (raw last-token states of neutral sentences)
    anisotropy_post_norm: float
    vectors: dict[str, torch.Tensor] = field(repr=False, default_factory=dict)  # baseline -> [L, 20, d]


def analyse(ex: Extraction, held: Extraction, neutral: Extraction, stimuli: Stimuli,
            n_permutations: int, seed: int = th.SEED) -> Geometry:
    names = list(stimuli.names)
    n_layers = ex.data.states.shape[0]
    middle = middle_block(n_layers)
    post = LabelledStates(ex.post_norm[None], ex.data.labels)
    vectors = {b: vectors_from_states(ex.data, names, b) for b in BASELINES}
    separation = {b: mean_pairwise_cosine(v).tolist() for b, v in vectors.items()}
    sep_post = {b: float(mean_pairwise_cosine(vectors_from_states(post, names, b))[0]) for b in BASELINES}
    pairs = list(stimuli.opposite_pairs)
    opposite = {b: dict(zip([f"{a}-{c}" for a, c in pairs],
                            pair_cosines(v[middle], names, pairs).tolist(), strict=True))
                for b, v in vectors.items()}
    valence = [e.valence for e in stimuli.emotions]
    arousal = [e.arousal for e in stimuli.emotions]
    null = shuffled_null(ex.data, names, "neutral", n_permutations, seed)
    observed = torch.tensor(separation["neutral"], dtype=torch.float64)
    top1, top3, five = _heldout(vectors["neutral"], baseline_mean(ex.data, names, "neutral"), held.data, names)
    b = mean_pairwise_cosine(neutral.data.states)
    return Geometry(
        method=ex.method, n_layers=n_layers, middle=middle, separation=separation,
        separation_post_norm=sep_post, opposite=opposite,
        valence={k: pc_organisation(v[middle], valence, 0) for k, v in vectors.items()},
        arousal={k: pc_organisation(v[middle], arousal, 1) for k, v in vectors.items()},
        null_mean=null.mean(0).tolist(),
        null_p05=torch.quantile(null, th.NULL_PERCENTILE / 100, dim=0).tolist(),
        null_fraction_at_or_below=(null <= observed[None]).double().mean(0).tolist(),
        heldout_top1=top1, heldout_top3=top3, heldout5_top1=five, n_heldout=len(held.data.labels),
        loo_middle=loo_separation(ex.data, names, "neutral", middle),
        anisotropy=b.tolist(), anisotropy_post_norm=float(mean_pairwise_cosine(neutral.post_norm)),
        vectors=vectors,
    )


def _heldout(vecs: torch.Tensor, ref: torch.Tensor, held: LabelledStates, names: list[str]
             ) -> tuple[list[float], list[float], list[float]]:
    top1 = nearest_vector_accuracy(vecs, ref, held, names, k=1).tolist()
    top3 = nearest_vector_accuracy(vecs, ref, held, names, k=3).tolist()
    five_idx = [names.index(e) for e in FIVE_WAY]
    held5 = held.select([i for i, lab in enumerate(held.labels) if lab in FIVE_WAY])
    five = nearest_vector_accuracy(vecs[:, five_idx], ref, held5, list(FIVE_WAY), k=1).tolist()
    return top1, top3, five
