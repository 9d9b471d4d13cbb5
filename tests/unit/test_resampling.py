"""Permutation nulls, bootstraps and jackknife on constructed data with known answers."""

from __future__ import annotations

import pytest
import torch
from scipy import stats

from harness.metrics.geometry import mean_pairwise_cosine, pc_scores
from harness.metrics.resampling import (
    abs_spearman,
    basic_interval,
    bootstrap_indices,
    class_codes,
    covering_interval,
    difference_weights,
    gram,
    mean_offdiagonal,
    pc_scores_from_cosines,
    permutation_test,
    resample_cosines,
    resample_counts,
    stratified_permutations,
    vector_cosines,
)
from harness.metrics.vectors import LabelledStates, vectors_from_states

EMOTIONS = [f"e{i}" for i in range(6)]


def labelled(per: int = 5, d: int = 24, layers: int = 2, signal: float = 1.0, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    labels = tuple(e for e in EMOTIONS for _ in range(per)) + ("neutral",) * per
    means = {e: torch.randn(layers, d, generator=g) * signal for e in EMOTIONS} | {"neutral": torch.zeros(layers, d)}
    x = torch.stack([means[lab] for lab in labels], 1) + torch.randn(layers, len(labels), d, generator=g)
    return LabelledStates(x, labels), means


def test_permutation_p_is_k_plus_one_over_n_plus_one_with_its_monte_carlo_interval():
    null = torch.arange(1, 1001, dtype=torch.float64) / 1000  # 0.001 .. 1.0
    t = permutation_test(0.0, null)
    assert (t.k, t.n, t.p) == (0, 1000, pytest.approx(1 / 1001))
    assert t.mc_interval[0] == 0 and 0.003 < t.mc_interval[1] < 0.004 and t.below(0.05) is True
    t = permutation_test(0.05, null)  # 50 of 1000 at or below: p = 51/1001, right at the cut
    assert t.k == 50 and t.p == pytest.approx(51 / 1001) and t.below(0.05) is None
    assert permutation_test(0.5, null).below(0.05) is False


def test_gram_route_equals_explicit_vectors_for_real_shuffled_and_resampled_labels():
    data, _ = labelled()
    codes = class_codes(data.labels, EMOTIONS)
    g = gram(data.states)
    for baseline in ("neutral", "centred"):
        direct = mean_pairwise_cosine(vectors_from_states(data, EMOTIONS, baseline))
        via = mean_offdiagonal(vector_cosines(g, difference_weights(codes[None], len(EMOTIONS), baseline)))[0]
        torch.testing.assert_close(via, direct)
    perm = stratified_permutations(codes, torch.zeros_like(codes), len(EMOTIONS), 1, torch.Generator())[0]
    shuffled = LabelledStates(data.states, tuple([*EMOTIONS, "neutral"][c] for c in perm.tolist()))
    torch.testing.assert_close(
        mean_offdiagonal(vector_cosines(g, difference_weights(perm[None], len(EMOTIONS), "neutral")))[0],
        mean_pairwise_cosine(vectors_from_states(shuffled, EMOTIONS, "neutral")))
    idx = bootstrap_indices(codes, 3, torch.Generator().manual_seed(1))
    counts = resample_counts(idx, len(codes))
    boot = mean_offdiagonal(vector_cosines(g, difference_weights(codes.expand(3, -1), len(EMOTIONS), "neutral",
                                                                  counts)))
    for b in range(3):
        explicit = data.select(idx[b].tolist())
        torch.testing.assert_close(boot[b], mean_pairwise_cosine(vectors_from_states(explicit, EMOTIONS,
                                                                                     "neutral")))


def test_stratified_null_keeps_every_shuffled_class_balanced_over_strata():
    per = 10
    labels = [e for e in EMOTIONS for _ in range(per)] + ["neutral"] * per
    strata = torch.tensor([i % per for i in range(len(labels))])  # story k of every emotion: topic k
    codes = class_codes(labels, EMOTIONS)
    perms = stratified_permutations(codes, strata, len(EMOTIONS), 200, torch.Generator().manual_seed(0))
    assert not (perms == codes).all(-1).any()  # they do shuffle
    for p in perms:
        for c in range(len(EMOTIONS)):
            assert sorted(strata[p == c].tolist()) == list(range(per))  # one story per topic, as the real class
        assert (p[codes == len(EMOTIONS)] == len(EMOTIONS)).all()  # neutral samples keep their label
    free = stratified_permutations(codes, torch.zeros_like(codes), len(EMOTIONS), 200, torch.Generator())
    unbalanced = sum(sorted(strata[p == 0].tolist()) != list(range(per)) for p in free)
    assert unbalanced > 150  # an unstratified shuffle almost never keeps the balance


def test_bootstrap_basic_interval_covers_the_population_separation():
    # 40 independent samples from one population: the basic 95% interval of S must cover the
    # separation of the population's own class means in most of them.
    _, means = labelled(signal=1.0, layers=1, d=24)
    pop = torch.stack([means[e][0] - means["neutral"][0] for e in EMOTIONS])
    true_s = float(mean_pairwise_cosine(pop))
    covered = 0
    for seed in range(40):
        g = torch.Generator().manual_seed(100 + seed)
        labels = tuple(e for e in EMOTIONS for _ in range(20)) + ("neutral",) * 20
        x = torch.stack([means[lab] for lab in labels], 1) + 0.5 * torch.randn(1, len(labels), 24, generator=g)
        codes = class_codes(labels, EMOTIONS)
        s = float(mean_offdiagonal(vector_cosines(gram(x), difference_weights(codes[None], len(EMOTIONS),
                                                                               "neutral")))[0, 0])
        counts = resample_counts(bootstrap_indices(codes, 300, g), len(codes))
        reps = mean_offdiagonal(vector_cosines(gram(x), difference_weights(codes.expand(300, -1), len(EMOTIONS),
                                                                            "neutral", counts)))[:, 0]
        low, high = basic_interval(s, reps)
        covered += low <= true_s <= high
    assert covered >= 34  # nominal 95%: 38 of 40; allow sampling slack


def test_intervals_always_contain_their_estimate():
    reps = torch.tensor([0.1, 0.2, 0.3, 0.4])
    assert basic_interval(0.9, reps, bounds=(-1.0, 1.0))[1] >= 0.9
    low, high = covering_interval(0.9, reps)
    assert low <= 0.9 <= high


def test_pc1_from_cosines_matches_pca_of_the_unit_vectors_and_spearman_matches_scipy():
    v = torch.randn(20, 16, generator=torch.Generator().manual_seed(2))
    unit = torch.nn.functional.normalize(v.double(), dim=-1)
    got = pc_scores_from_cosines(unit @ unit.T)
    want = pc_scores(unit, 2)
    assert torch.allclose(got.abs(), want[:, 0].abs(), atol=1e-8)
    assert torch.allclose(pc_scores_from_cosines(unit @ unit.T, 1).abs(), want[:, 1].abs(), atol=1e-8)
    coord = torch.linspace(-1, 1, 20).tolist()
    assert float(abs_spearman(got, coord)) == pytest.approx(abs(stats.spearmanr(got.numpy(), coord).statistic))


@pytest.mark.parametrize("baseline", ["neutral", "centred"])
def test_resample_cosines_built_in_chunks_equal_the_all_at_once_ones_bit_for_bit(baseline):
    from harness.metrics import resampling

    data, _ = labelled(layers=3)
    codes = class_codes(data.labels, EMOTIONS)
    gen = torch.Generator().manual_seed(3)
    n = 2 * resampling.CHUNK + 37  # two whole chunks and a part
    perms = stratified_permutations(codes, torch.zeros(len(codes), dtype=torch.long), len(EMOTIONS), n, gen)
    counts = resample_counts(bootstrap_indices(codes, n, gen), len(codes))
    g = gram(data.states)
    for labels, c in ((perms, None), (codes.expand(n, -1), counts)):
        whole = vector_cosines(g, difference_weights(labels, len(EMOTIONS), baseline, c))
        assert torch.equal(resample_cosines(g, labels, len(EMOTIONS), baseline, c), whole)
