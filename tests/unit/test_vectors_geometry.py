"""Emotion vectors, separation, nulls, held-out accuracy and PC organisation on synthetic data."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.metrics.geometry import (
    block_at_depth,
    cross_validated_accuracy,
    mean_pairwise_cosine,
    nearest_vector_accuracy,
)
from harness.metrics.resampling import (
    class_codes,
    difference_weights,
    gram,
    mean_offdiagonal,
    stratified_permutations,
    vector_cosines,
)
from harness.metrics.vectors import LabelledStates, baseline_mean, vectors_from_states

EMOS = ("a", "b", "c", "d")


def clusters(n_per: int = 5, d: int = 16, spread: float = 0.05, layers: int = 2, seed: int = 0,
             offset: float = 10.0) -> LabelledStates:
    """Orthogonal emotion clusters around a shared offset, plus a neutral cluster at the offset."""
    g = torch.Generator().manual_seed(seed)
    base = torch.zeros(d)
    base[-1] = offset  # anisotropy: every state shares this direction
    rows, labels = [], []
    for k, e in enumerate((*EMOS, "neutral")):
        centre = base.clone()
        if e != "neutral":
            centre[k] += 1.0
        for _ in range(n_per):
            rows.append(centre + spread * torch.randn(d, generator=g))
            labels.append(e)
    states = torch.stack(rows)[None].repeat(layers, 1, 1)
    return LabelledStates(states, tuple(labels))


def test_neutral_baseline_recovers_orthogonal_directions():
    data = clusters(spread=0.0)
    v = vectors_from_states(data, EMOS, "neutral")
    assert v.shape == (2, 4, 16)
    torch.testing.assert_close(v[0, :, :4], torch.eye(4, dtype=torch.float64))
    assert float(mean_pairwise_cosine(v[0])) == pytest.approx(0.0, abs=1e-12)


def test_centred_baseline_forces_mean_cosine_to_minus_one_over_n_minus_one():
    v = vectors_from_states(clusters(spread=0.0), EMOS, "centred")
    assert float(mean_pairwise_cosine(v[0])) == pytest.approx(-1 / 3, abs=1e-9)


def test_raw_states_are_anisotropic_but_vectors_are_not():
    data = clusters()
    assert float(mean_pairwise_cosine(data.states[0])) > 0.9
    assert float(mean_pairwise_cosine(vectors_from_states(data, EMOS, "neutral")[0])) < 0.05


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 1000), scale=st.floats(0.1, 50))
def test_separation_invariant_to_emotion_order_and_state_scale(seed, scale):
    data = clusters(spread=0.3, seed=seed)
    s = float(mean_pairwise_cosine(vectors_from_states(data, EMOS, "neutral")[0]))
    scaled = LabelledStates(data.states * scale, data.labels)
    assert float(mean_pairwise_cosine(vectors_from_states(scaled, EMOS[::-1], "neutral")[0])) == pytest.approx(s, abs=1e-6)


def test_shuffled_null_of_separated_clusters_sits_above_observed_and_is_seeded():
    data = clusters(spread=0.05)
    observed = float(mean_pairwise_cosine(vectors_from_states(data, EMOS, "neutral"))[0])
    codes = class_codes(data.labels, EMOS)

    def null(seed: int) -> torch.Tensor:
        perms = stratified_permutations(codes, torch.zeros_like(codes), len(EMOS), 50,
                                        torch.Generator().manual_seed(seed))
        return mean_offdiagonal(vector_cosines(gram(data.states), difference_weights(perms, len(EMOS), "neutral")))

    assert null(1).shape == (50, 2)
    assert float(null(1)[:, 0].quantile(0.05)) > observed
    torch.testing.assert_close(null(1), null(1))


def test_nearest_vector_accuracy_is_perfect_on_clean_clusters_and_chance_on_noise():
    train = clusters(spread=0.05, seed=0)
    held = clusters(spread=0.05, seed=9).select(range(20))  # only emotion samples
    v = vectors_from_states(train, EMOS, "neutral")
    ref = baseline_mean(train, EMOS, "neutral")
    assert nearest_vector_accuracy(v, ref, held, EMOS, k=1).tolist() == [1.0, 1.0]
    noise = LabelledStates(torch.randn(2, 400, 16, generator=torch.Generator().manual_seed(2)),
                           tuple(EMOS[i % 4] for i in range(400)))
    acc = float(nearest_vector_accuracy(v, ref, noise, EMOS, k=1)[0])
    assert 0.15 < acc < 0.35  # 4-way chance 0.25
    assert nearest_vector_accuracy(v, ref, noise, EMOS, k=4).tolist() == [1.0, 1.0]


def test_leave_one_stratum_out_is_perfect_on_clean_clusters_and_holds_each_stratum_out():
    data = clusters(n_per=5, spread=0.05)
    strata = [i % 5 for i in range(len(data.labels))]
    acc, n = cross_validated_accuracy(data, strata, EMOS)
    assert n == 20 and acc.tolist() == [1.0, 1.0]
    noise = LabelledStates(torch.randn(2, 200, 16, generator=torch.Generator().manual_seed(4)),
                           tuple((*EMOS, "neutral")[i % 5] for i in range(200)))
    acc, n = cross_validated_accuracy(noise, [i // 5 % 8 for i in range(200)], EMOS)
    assert n == 160 and float(acc[0]) < 0.45  # 4-way chance 0.25


@pytest.mark.parametrize(("n", "depth", "block"), [(24, 0.5, 11), (24, 0.25, 5), (24, 1.0, 23), (30, 0.25, 7),
                                                   (18, 0.25, 4), (4, 0.01, 0)])
def test_block_at_depth(n, depth, block):
    assert block_at_depth(n, depth) == block
    assert math.isclose((block + 1) / n, depth, abs_tol=0.5 / n + 1e-9) or depth < 1 / n


def test_agreement_is_the_cosine_with_the_same_emotion_and_its_nearest_reference():
    from harness.metrics.vectors import agreement

    g = torch.Generator().manual_seed(0)
    ref = torch.randn(2, 4, 8, generator=g)
    cos, nearest = agreement(3.0 * ref, ref)  # length does not matter
    assert torch.allclose(cos, torch.ones(2, 4, dtype=torch.float64)) and bool(nearest.all())
    swapped = ref[:, [1, 0, 2, 3]]
    cos, nearest = agreement(swapped, ref)
    by_hand = torch.nn.functional.cosine_similarity(ref[0, 1].double(), ref[0, 0].double(), dim=0)
    assert torch.isclose(cos[0, 0], by_hand)
    assert nearest[:, 2:].all() and not nearest[:, :2].any()
