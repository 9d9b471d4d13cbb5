"""Everything the geometry claims need for one model, extraction method and stimulus set.

Plain data in, plain data out: extraction results go in, a :class:`Geometry` comes out:
per-block curves, and at the middle block and its two neighbours a :class:`BlockReading`
with every claim's value, its control (the label-shuffled null) and a bootstrap interval.
Bootstraps resample samples within each class (the emotion-specific separation, whose null
sits inside the statistic, uses a delete-one jackknife instead); the null permutes emotion
labels within strata (generation: the story index, i.e. the topic). The claim checks (harness.claims)
read this and decide.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from scipy import stats

from harness import thresholds as th
from harness.experiments.extraction import Extraction
from harness.metrics.geometry import (
    cosine_matrix,
    cross_validated_accuracy,
    cross_validated_hits,
    mean_pairwise_cosine,
    nearest_vector_accuracy,
    nearest_vector_hits,
)
from harness.metrics.resampling import (
    PermutationTest,
    abs_spearman,
    basic_interval,
    bootstrap_indices,
    bootstrap_mean_pairwise,
    class_codes,
    covering_interval,
    gram,
    mean_offdiagonal,
    pc_scores_from_cosines,
    permutation_test,
    resample_cosines,
    resample_counts,
    stratified_permutations,
)
from harness.metrics.vectors import BASELINES, LabelledStates, baseline_mean, vectors_from_states
from harness.protocol import Profile, middle_block
from harness.stimuli.loading import Stimuli

FIVE_WAY = ("happy", "sad", "angry", "afraid", "calm")
COSINE = (-1.0, 1.0)
Interval = tuple[float, float]


@dataclass(frozen=True)
class BlockReading:
    """The geometry claims' values at one block, each beside its control and interval."""

    block: int
    separation: float  # S, neutral baseline
    separation_ci: Interval
    separation_replicates: tuple[float, ...] = field(repr=False)
    null: PermutationTest  # S against the label-shuffled null (lower = more separated)
    specific: float  # null mean - S: the part of the separation that emotion labels explain
    specific_se: float  # delete-one jackknife standard error
    specific_ci: Interval  # specific +- z * se
    opposite: dict[str, float]  # opposite-pair cosines, neutral baseline
    opposite_centred: dict[str, float]
    opposite_minus_s: dict[str, float]  # each pair's cosine minus S (< 0: opposites less alike than a pair)
    opposite_minus_s_ci: dict[str, Interval]
    min_opposite_ci: Interval
    null_all_opposite_positive: float  # share of label shuffles in which every opposite pair is > 0
    null_min_opposite: float  # median over shuffles of the lowest opposite-pair cosine
    valence: float  # |Spearman(PC1, valence)|, neutral baseline
    valence_ci: Interval
    valence_centred: float
    arousal: float  # |Spearman(PC2, arousal)|, neutral baseline
    anisotropy: float  # B: mean pairwise cosine of the neutral sentences' raw states
    gap: float  # B - S
    gap_ci: Interval
    null_gap: float  # B - null mean S: the same test on label-shuffled vectors
    heldout_top1: float
    n_heldout: int
    transfer_top1: float | None  # generation vectors labelling held-out passages (None: comprehension)
    # Each held-out item labelled right (top-1), in a fixed item order: the random-weight copy
    # reads the same items in the same order, so the two can be compared pair by pair.
    heldout_hits: tuple[bool, ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class Geometry:
    method: str
    stimulus_set: str
    n_layers: int
    middle: int
    separation: dict[str, list[float]]  # baseline -> S per block
    separation_ci: list[Interval]  # neutral S per block, bootstrap
    separation_post_norm: dict[str, float]  # baseline -> S of the post-final-norm states
    null_mean: list[float]  # label-shuffled S per block
    null_p05: list[float]
    best_depth_replicates: list[float] = field(repr=False)  # argmin depth of each bootstrap S curve
    # Per block: S there minus S at the best (lowest) block, with its bootstrap interval (the
    # best block held at the observed one), so C1's arms are judged on intervals.
    gap_to_best_ci: list[Interval] = field(default_factory=list)
    heldout_kind: str = ""  # "held-out passages" or "leave-one-story-out"
    heldout_top1: list[float] = field(default_factory=list)  # per block
    heldout_top3: list[float] = field(default_factory=list)
    heldout5_top1: list[float] = field(default_factory=list)
    n_heldout: int = 0
    transfer_top1: list[float] | None = None  # generation -> held-out passages, per block
    anisotropy: list[float] = field(default_factory=list)  # B per block
    anisotropy_post_norm: float = float("nan")
    blocks: dict[int, BlockReading] = field(default_factory=dict)
    n_permutations: int = 0
    n_curve_permutations: int = 0
    n_bootstrap: int = 0
    strata: str = ""
    valences: list[float] = field(default_factory=list)  # circumplex coordinates of the emotions, in order
    arousals: list[float] = field(default_factory=list)
    vectors: dict[str, torch.Tensor] = field(repr=False, default_factory=dict)  # baseline -> [L, 20, d]
    neutral_mean: torch.Tensor | None = field(repr=False, default=None)  # [L, d]: the neutral baseline point

    def transfer_to(self, held: LabelledStates, names: list[str]) -> list[float]:
        """Top-1 accuracy per block of these (neutral-baseline) vectors labelling ``held``."""
        assert self.neutral_mean is not None
        return nearest_vector_accuracy(self.vectors["neutral"], self.neutral_mean, held, names, k=1).tolist()

    @property
    def best_depth_ci(self) -> Interval:
        point = (min(range(self.n_layers), key=self.separation["neutral"].__getitem__) + 1) / self.n_layers
        return covering_interval(point, torch.tensor(self.best_depth_replicates), th.BOOTSTRAP_CONFIDENCE)

    def at(self, block: int | None = None) -> BlockReading:
        return self.blocks[self.middle if block is None else block]

    @property
    def adjacent(self) -> list[int]:
        return sorted(self.blocks)


def strata_of(ex: Extraction) -> list[int]:
    """Generation: story k of every emotion uses topic k, so the stratum is the index within
    the label. Passages have no shared structure: one stratum."""
    if ex.method != "generation":
        return [0] * len(ex.data.labels)
    seen: dict[str, int] = {}
    out = []
    for lab in ex.data.labels:
        out.append(seen.get(lab, 0))
        seen[lab] = out[-1] + 1
    return out


def analyse(ex: Extraction, held: Extraction, neutral: Extraction, stimuli: Stimuli, profile: Profile,
            stimulus_set: str = "default", seed: int = th.SEED) -> Geometry:
    names = list(stimuli.names)
    n_layers = ex.data.states.shape[0]
    middle = middle_block(n_layers)
    blocks = sorted({max(0, middle - 1), middle, min(n_layers - 1, middle + 1)})
    gen = torch.Generator().manual_seed(seed)
    c = len(names)
    codes = class_codes(ex.data.labels, names)
    strata = strata_of(ex)
    s_codes = torch.tensor(strata)
    g = gram(ex.data.states)

    vectors = {b: vectors_from_states(ex.data, names, b) for b in BASELINES}
    separation = {b: mean_pairwise_cosine(v).tolist() for b, v in vectors.items()}
    post = LabelledStates(ex.post_norm[None], ex.data.labels)
    sep_post = {b: float(mean_pairwise_cosine(vectors_from_states(post, names, b))[0]) for b in BASELINES}

    # Label-shuffled null: every permutation at the readout blocks, the first few at every block (curve).
    perms = stratified_permutations(codes, s_codes, c, profile.n_permutations, gen)
    n_curve = min(profile.n_permutations, th.CURVE_PERMUTATIONS)
    null_curve = mean_offdiagonal(resample_cosines(g, perms[:n_curve], c))
    null_cos = resample_cosines(g[blocks], perms, c)  # [P, 3, C, C]
    null_blocks = mean_offdiagonal(null_cos)

    # Bootstrap over samples within each class.
    boot = bootstrap_indices(codes, profile.n_bootstrap, gen)
    counts = resample_counts(boot, len(codes))
    boot_cos = resample_cosines(g, codes.expand(len(boot), -1), c, "neutral", counts)
    boot_s = mean_offdiagonal(boot_cos)  # [B, L]
    best_depths = ((boot_s.argmin(-1) + 1) / n_layers).tolist()
    boot_centred = resample_cosines(g[blocks], codes.expand(len(boot), -1), c, "centred", counts)

    top1, top3, five, n_held, kind, transfer, hits = _heldout(ex, held, vectors["neutral"], names, strata)
    b_curve = mean_pairwise_cosine(neutral.data.states)
    b_boot = bootstrap_mean_pairwise(neutral.data.states[blocks],
                                     torch.randint(len(neutral.data.labels), (profile.n_bootstrap,
                                                   len(neutral.data.labels)), generator=gen))
    readings = {}
    for j, blk in enumerate(blocks):
        readings[blk] = _reading(
            blk, j, separation, vectors, null_blocks[:, j], null_cos[:, j], boot_s[:, blk], boot_cos[:, blk],
            boot_centred[:, j], b_curve[blk], b_boot[:, j], stimuli, g[blk], codes, s_codes, gen,
            top1[blk], n_held, transfer[blk] if transfer is not None else None, tuple(hits[blk].tolist()))
    return Geometry(
        method=ex.method, stimulus_set=stimulus_set, n_layers=n_layers, middle=middle, separation=separation,
        separation_ci=[basic_interval(separation["neutral"][layer], boot_s[:, layer], th.BOOTSTRAP_CONFIDENCE, COSINE)
                       for layer in range(n_layers)],
        separation_post_norm=sep_post, null_mean=null_curve.mean(0).tolist(),
        null_p05=torch.quantile(null_curve, th.NULL_PERCENTILE / 100, dim=0).tolist(),
        best_depth_replicates=best_depths, gap_to_best_ci=_gaps_to_best(separation["neutral"], boot_s),
        heldout_kind=kind, heldout_top1=top1, heldout_top3=top3,
        heldout5_top1=five, n_heldout=n_held, transfer_top1=transfer, anisotropy=b_curve.tolist(),
        anisotropy_post_norm=float(mean_pairwise_cosine(neutral.post_norm)), blocks=readings,
        n_permutations=profile.n_permutations, n_curve_permutations=n_curve, n_bootstrap=profile.n_bootstrap,
        strata="story index (topic)" if ex.method == "generation" else "none (passages are independent)",
        valences=[e.valence for e in stimuli.emotions], arousals=[e.arousal for e in stimuli.emotions],
        vectors=vectors, neutral_mean=baseline_mean(ex.data, names, "neutral"))


def _gaps_to_best(curve: list[float], boot_s: torch.Tensor) -> list[Interval]:
    best = min(range(len(curve)), key=curve.__getitem__)
    return [basic_interval(curve[b] - curve[best], boot_s[:, b] - boot_s[:, best], th.BOOTSTRAP_CONFIDENCE)
            for b in range(len(curve))]


def _reading(blk: int, j: int, separation: dict[str, list[float]], vectors: dict[str, torch.Tensor],
             null_s: torch.Tensor, null_cos: torch.Tensor, boot_s: torch.Tensor, boot_cos: torch.Tensor,
             boot_centred: torch.Tensor, b: torch.Tensor, b_boot: torch.Tensor, stimuli: Stimuli,
             g_block: torch.Tensor, codes: torch.Tensor, strata: torch.Tensor, gen: torch.Generator, heldout: float,
             n_held: int, transfer: float | None, hits: tuple[bool, ...]) -> BlockReading:
    conf = th.BOOTSTRAP_CONFIDENCE
    names = list(stimuli.names)
    idx = {n: i for i, n in enumerate(names)}
    pairs = [(f"{a}-{bb}", idx[a], idx[bb]) for a, bb in stimuli.opposite_pairs]
    s = separation["neutral"][blk]
    cos = cosine_matrix(vectors["neutral"][blk])
    cos_c = cosine_matrix(vectors["centred"][blk])
    test = _decided_test(s, null_s, g_block, codes, strata, len(names), gen)
    spec_se = _specific_jackknife_se(g_block, codes, strata, len(names), gen)
    z = float(stats.norm.ppf(0.5 + conf / 2))
    opposite = {k: float(cos[a, bb]) for k, a, bb in pairs}
    pair_boot = {k: boot_cos[:, a, bb] - boot_s for k, a, bb in pairs}
    min_boot = torch.stack([boot_cos[:, a, bb] for _, a, bb in pairs]).min(0).values
    null_pairs = torch.stack([null_cos[:, a, bb] for _, a, bb in pairs])  # [pairs, P]
    valences = [e.valence for e in stimuli.emotions]
    arousals = [e.arousal for e in stimuli.emotions]
    boot_valence = abs_spearman(pc_scores_from_cosines(boot_cos), valences)
    valence = float(abs_spearman(pc_scores_from_cosines(cos), valences))
    return BlockReading(
        block=blk, separation=s, separation_ci=basic_interval(s, boot_s, conf, COSINE),
        separation_replicates=tuple(boot_s.tolist()), null=test,
        specific=test.null_mean - s, specific_se=spec_se,
        specific_ci=(test.null_mean - s - z * spec_se, test.null_mean - s + z * spec_se), opposite=opposite,
        opposite_centred={k: float(cos_c[a, bb]) for k, a, bb in pairs},
        opposite_minus_s={k: v - s for k, v in opposite.items()},
        opposite_minus_s_ci={k: basic_interval(opposite[k] - s, v, conf) for k, v in pair_boot.items()},
        min_opposite_ci=basic_interval(min(opposite.values()), min_boot, conf, COSINE),
        null_all_opposite_positive=float((null_pairs > th.OPPOSITE_MIN_COSINE).all(0).double().mean()),
        null_min_opposite=float(null_pairs.min(0).values.median()),
        valence=valence, valence_ci=covering_interval(valence, boot_valence, conf),
        valence_centred=float(abs_spearman(pc_scores_from_cosines(cos_c), valences)),
        arousal=float(abs_spearman(pc_scores_from_cosines(cos, 1), arousals)),
        anisotropy=float(b), gap=float(b) - s, gap_ci=basic_interval(float(b) - s, b_boot - boot_s, conf),
        null_gap=float(b) - test.null_mean, heldout_top1=heldout, n_heldout=n_held, transfer_top1=transfer,
        heldout_hits=hits)


def _decided_test(s: float, null_s: torch.Tensor, g: torch.Tensor, codes: torch.Tensor, strata: torch.Tensor,
                  c: int, gen: torch.Generator) -> PermutationTest:
    """The permutation test of S, with more shuffles (up to th.MAX_PERMUTATIONS) while its
    Monte-Carlo interval still contains the cut, so a verdict does not hinge on that noise."""
    test = permutation_test(s, null_s)
    while test.below(th.SPECIFICITY_ALPHA) is None and len(null_s) < th.MAX_PERMUTATIONS:
        more = stratified_permutations(codes, strata, c, len(null_s), gen)  # double the null
        extra = mean_offdiagonal(resample_cosines(g[None], more, c))[:, 0]
        null_s = torch.cat([null_s, extra])
        test = permutation_test(s, null_s)
    return test


def _specific_jackknife_se(g: torch.Tensor, codes: torch.Tensor, strata: torch.Tensor, c: int,
                           gen: torch.Generator) -> float:
    """Jackknife standard error of null mean - S at one block, deleting one stratum at a time
    (generation: one topic, i.e. story k of every emotion, since stories of a topic are alike),
    or one sample at a time when there are no strata (passages).

    A bootstrap does not fit here: a resample's duplicates share a class under the real
    labels but are split by its shuffles, which inflates the statistic. Every jackknife
    replicate reuses the same shuffles (restricted to the samples it keeps), so the
    null's Monte-Carlo noise cancels between replicates instead of adding to the spread."""
    n = len(codes)
    groups = strata if len(strata.unique()) > 1 else torch.arange(n)
    perms = stratified_permutations(codes, strata, c, th.NULL_PER_REPLICATE, gen)
    values = []
    for grp in groups.unique().tolist():
        keep = torch.nonzero(groups != grp).flatten()
        sub = g[keep][:, keep][None]
        both = torch.cat([codes[keep][None], perms[:, keep]])
        sep = mean_offdiagonal(resample_cosines(sub, both, c))[:, 0]
        values.append(sep[1:].mean() - sep[0])
    v = torch.stack(values)
    m = len(v)
    return float(((m - 1) / m * ((v - v.mean()) ** 2).sum()).sqrt())


def _heldout(ex: Extraction, held: Extraction, vecs: torch.Tensor, names: list[str], strata: list[int]
             ) -> tuple[list[float], list[float], list[float], int, str, list[float] | None, torch.Tensor]:
    """Own held-out accuracy per block (top-1, top-3, 5-way), its size and kind, transfer, and
    the top-1 hit of every item per block ``[L, n]``.

    Comprehension: the held-out passages. Generation: leave-one-story-out cross-validation
    within the stories; labelling the held-out passages is transfer, recorded apart."""
    ref = baseline_mean(ex.data, names, "neutral")
    five_idx = [names.index(e) for e in FIVE_WAY]
    if ex.method == "generation":
        hits = cross_validated_hits(ex.data, strata, names, 1)
        top1, n = hits.double().mean(-1), hits.shape[1]
        top3, _ = cross_validated_accuracy(ex.data, strata, names, 3)
        five_data = ex.data.select([i for i, lab in enumerate(ex.data.labels) if lab in (*FIVE_WAY, "neutral")])
        five, _ = cross_validated_accuracy(five_data, [strata[i] for i, lab in enumerate(ex.data.labels)
                                                       if lab in (*FIVE_WAY, "neutral")], list(FIVE_WAY), 1)
        transfer = nearest_vector_accuracy(vecs, ref, held.data, names, k=1).tolist()
        return top1.tolist(), top3.tolist(), five.tolist(), n, "leave-one-story-out", transfer, hits
    hits = nearest_vector_hits(vecs, ref, held.data, names, k=1)
    top1 = hits.double().mean(-1).tolist()
    top3 = nearest_vector_accuracy(vecs, ref, held.data, names, k=3).tolist()
    held5 = held.data.select([i for i, lab in enumerate(held.data.labels) if lab in FIVE_WAY])
    five = nearest_vector_accuracy(vecs[:, five_idx], ref, held5, list(FIVE_WAY), k=1).tolist()
    return top1, top3, five, len(held.data.labels), "held-out passages", None, hits
