"""Label permutations and bootstraps of emotion-vector geometry, computed from Gram matrices.

Every geometry statistic (the separation S, pair cosines, principal components of the
vectors) depends on the states only through inner products of class means. So one Gram
matrix per block serves the observed value, thousands of label permutations and bootstrap
resamples alike: each is a weight matrix, and ``D G D^T`` gives its vectors' inner
products. Vectorised over resamples; no model, no pytest.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from scipy import stats

from harness.metrics.paired import monte_carlo_below, proportion_interval
from harness.metrics.vectors import NEUTRAL, Baseline

# Resamples are processed in chunks of this many so memory stays small at any n.
CHUNK = 256


def gram(states: torch.Tensor) -> torch.Tensor:
    """``[L, n, n]`` inner products of the samples' states ``[L, n, d]`` (float64)."""
    x = states.double()
    return x @ x.transpose(-1, -2)


def class_codes(labels: Sequence[str], emotions: Sequence[str]) -> torch.Tensor:
    """Each sample's class index: emotions ``0..C-1``, neutral ``C``; ``[n]``."""
    index = {e: i for i, e in enumerate(emotions)}
    index[NEUTRAL] = len(emotions)
    try:
        return torch.tensor([index[lab] for lab in labels])
    except KeyError as e:
        raise ValueError(f"label {e.args[0]!r} is neither an emotion nor neutral") from None


def difference_weights(codes: torch.Tensor, n_classes: int, baseline: Baseline,
                       counts: torch.Tensor | None = None) -> torch.Tensor:
    """Weights ``[..., C, n]`` whose rows, applied to the states, give the unnormalised
    emotion vectors (class mean minus the baseline point) for labels ``codes`` ``[..., n]``.

    Codes include neutral (= ``n_classes``); a permutation is another ``codes`` array. A
    bootstrap resample is ``counts`` ``[B, n]``: how often each sample was drawn."""
    onehot = torch.nn.functional.one_hot(codes, n_classes + 1).double().transpose(-1, -2)  # [..., C+1, n]
    if counts is not None:
        onehot = onehot * counts.double()[..., None, :]
    size = onehot.sum(-1, keepdim=True)
    if (size == 0).any():
        raise ValueError("every class needs at least one sample")
    w = onehot / size
    if baseline == "neutral":
        return w[..., :n_classes, :] - w[..., n_classes:, :]
    if baseline == "centred":
        return w[..., :n_classes, :] - w[..., :n_classes, :].mean(-2, keepdim=True)
    raise ValueError(f"unknown baseline '{baseline}'; use neutral or centred")


def resample_counts(indices: torch.Tensor, n: int) -> torch.Tensor:
    """How often each of ``n`` samples appears in each resample ``[B, m]`` -> ``[B, n]``."""
    return torch.zeros((len(indices), n)).scatter_add_(1, indices, torch.ones(indices.shape))


def bootstrap_mean_pairwise(states: torch.Tensor, indices: torch.Tensor) -> torch.Tensor:
    """Mean pairwise cosine ``[B, L]`` of the rows of ``states`` ``[L, n, d]`` in each resample
    ``[B, n]``; pairs of a sample with its own copy are left out (their cosine is 1 by identity)."""
    unit = torch.nn.functional.normalize(states.double(), dim=-1)
    g = unit @ unit.transpose(-1, -2)  # [L, n, n]
    out = []
    for idx in indices:
        sub = g[:, idx][:, :, idx]
        distinct = torch.triu(idx[:, None] != idx[None, :], diagonal=1)
        out.append(sub[:, distinct].mean(-1))
    return torch.stack(out)


def vector_cosines(g: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Cosine matrices ``[P, L, C, C]`` of the vectors ``weights`` ``[P, C, n]`` picks out of
    the samples whose Gram is ``g`` ``[L, n, n]``."""
    out = []
    for chunk in weights.split(CHUNK):
        inner = torch.einsum("pcn,lnm,pdm->plcd", chunk, g, chunk)
        norm = inner.diagonal(dim1=-2, dim2=-1).clamp_min(1e-300).sqrt()
        out.append(inner / (norm[..., :, None] * norm[..., None, :]))
    return torch.cat(out)


def resample_cosines(g: torch.Tensor, codes: torch.Tensor, n_classes: int, baseline: Baseline = "neutral",
                     counts: torch.Tensor | None = None) -> torch.Tensor:
    """:func:`vector_cosines` of the vectors each resample's labels ``codes`` ``[P, n]`` (and
    bootstrap ``counts``) give, their weights built CHUNK resamples at a time: all at once, the
    160000 shuffles of an undecided permutation test took about 8 GB. Each resample's weights
    depend on its own row only, so the cosines equal the all-at-once ones bit for bit."""
    return torch.cat([
        vector_cosines(g, difference_weights(codes[i:i + CHUNK], n_classes, baseline,
                                             None if counts is None else counts[i:i + CHUNK]))
        for i in range(0, len(codes), CHUNK)])


def mean_offdiagonal(cos: torch.Tensor) -> torch.Tensor:
    """The separation S of cosine matrices ``[..., C, C]``: the mean over unordered pairs."""
    c = cos.shape[-1]
    iu = torch.triu_indices(c, c, offset=1)
    return cos[..., iu[0], iu[1]].mean(-1)


def stratified_permutations(codes: torch.Tensor, strata: torch.Tensor, n_classes: int, n: int,
                            generator: torch.Generator) -> torch.Tensor:
    """``n`` label shuffles ``[n, n_samples]``: emotion labels are permuted among the emotion
    samples of each stratum; neutral samples keep theirs.

    Generation stories come in strata (story k of every emotion shares topic k), so real
    class means are balanced over topics; shuffling within a stratum keeps every shuffled
    class balanced too, and the null differs from the real labels only in emotion."""
    out = codes.expand(n, -1).clone()
    for s in strata.unique().tolist():
        pos = torch.nonzero((strata == s) & (codes < n_classes)).flatten()
        if len(pos) < 2:
            continue
        order = torch.rand((n, len(pos)), generator=generator).argsort(-1)
        out[:, pos] = codes[pos][order]
    return out


def bootstrap_indices(codes: torch.Tensor, n: int, generator: torch.Generator) -> torch.Tensor:
    """``n`` bootstrap resamples ``[n, n_samples]`` of sample indices, drawn with replacement
    within each class (so every class keeps its size)."""
    out = torch.empty((n, len(codes)), dtype=torch.long)
    for c in codes.unique().tolist():
        pos = torch.nonzero(codes == c).flatten()
        out[:, pos] = pos[torch.randint(len(pos), (n, len(pos)), generator=generator)]
    return out


@dataclass(frozen=True)
class PermutationTest:
    """One-sided permutation test that an observed value is lower than its null.

    ``k`` null values fall at or below ``observed`` out of ``n``; ``p = (k + 1) / (n + 1)``.
    ``mc_low``/``mc_high`` is the 95% Clopper-Pearson interval of the p an infinite number
    of permutations would give (its Monte-Carlo uncertainty)."""

    observed: float
    k: int
    n: int
    null_mean: float
    null_sd: float
    null_p05: float

    @property
    def p(self) -> float:
        return (self.k + 1) / (self.n + 1)

    @property
    def at_floor(self) -> bool:
        """No shuffle reached the observed value: p is the smallest N shuffles can give."""
        return self.k == 0

    @property
    def mc_interval(self) -> tuple[float, float]:
        return proportion_interval(self.k, self.n)

    def below(self, alpha: float) -> bool | None:
        """True when p < alpha beyond Monte-Carlo doubt, False when p >= alpha beyond it,
        None when the Monte-Carlo interval contains alpha (more permutations would decide)."""
        return monte_carlo_below(self.k, self.n, alpha)


def permutation_test(observed: float, null: torch.Tensor) -> PermutationTest:
    """``observed`` against null values ``[n]`` (lower is more extreme)."""
    null = null.double()
    return PermutationTest(observed=float(observed), k=int((null <= observed).sum()), n=len(null),
                           null_mean=float(null.mean()), null_sd=float(null.std()),
                           null_p05=float(torch.quantile(null, 0.05)))


def percentile_interval(values: torch.Tensor, confidence: float = 0.95) -> tuple[float, float]:
    """The percentile bootstrap interval of replicate values ``[B]`` (NaNs dropped)."""
    v = values.double()
    v = v[~torch.isnan(v)]
    tail = (1 - confidence) / 2
    return float(torch.quantile(v, tail)), float(torch.quantile(v, 1 - tail))


def basic_interval(point: float, values: torch.Tensor, confidence: float = 0.95,
                   bounds: tuple[float, float] = (-math.inf, math.inf)) -> tuple[float, float]:
    """The basic (reverse-percentile) bootstrap interval ``2 * point - quantiles``, widened
    to include ``point`` and clipped to the statistic's ``bounds``.

    Separations of class means are biased by sampling noise (a noisy neutral mean adds a
    component shared by every vector), and a resample adds that noise once more; the
    basic interval reflects the bias the resamples show back onto the estimate, where a
    percentile interval would carry it over."""
    low, high = percentile_interval(values, confidence)
    lo, hi = bounds
    return max(lo, min(point, 2 * point - high)), min(hi, max(point, 2 * point - low))


def covering_interval(point: float, values: torch.Tensor, confidence: float = 0.95) -> tuple[float, float]:
    """The percentile interval widened to include ``point``: for statistics whose resamples
    can jump (the principal component a rank correlation is read from may swap with the
    next one between resamples), so the interval says the estimate is unstable instead of
    excluding it."""
    low, high = percentile_interval(values, confidence)
    return min(low, point), max(high, point)


def pc_scores_from_cosines(cos: torch.Tensor, component: int = 0) -> torch.Tensor:
    """Scores ``[..., C]`` of unit vectors on principal component ``component`` (0 = PC1), from
    their cosine matrices ``[..., C, C]`` (sign arbitrary): an eigenvector of the double-centred
    Gram, scaled by the square root of its eigenvalue."""
    c = cos.shape[-1]
    h = torch.eye(c, dtype=cos.dtype) - 1.0 / c
    vals, vecs = torch.linalg.eigh(h @ cos @ h)  # ascending
    k = c - 1 - component
    return vecs[..., k] * vals[..., k:k + 1].clamp_min(0).sqrt()


def abs_spearman(scores: torch.Tensor, coordinate: Sequence[float]) -> torch.Tensor:
    """|Spearman rho| of each row of ``scores`` ``[..., C]`` with ``coordinate`` ``[C]``."""
    def ranks(x: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(stats.rankdata(x.numpy(), axis=-1)).double()

    a = ranks(scores.double())
    b = ranks(torch.tensor(list(coordinate), dtype=torch.float64))
    a = a - a.mean(-1, keepdim=True)
    b = b - b.mean()
    rho = (a * b).sum(-1) / (a.norm(dim=-1) * b.norm()).clamp_min(1e-300)
    return rho.abs()
