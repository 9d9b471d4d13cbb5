from __future__ import annotations

import math

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.metrics.geometry import depths, mean_pairwise_cosine


def test_orthonormal_vectors_have_zero_mean_cosine():
    assert float(mean_pairwise_cosine(torch.eye(5))) == 0.0


def test_identical_directions_have_mean_cosine_one():
    x = torch.tensor([[1.0, 2.0], [2.0, 4.0], [0.5, 1.0]])
    assert math.isclose(float(mean_pairwise_cosine(x)), 1.0, abs_tol=1e-6)


def test_known_pair_value_and_per_layer_shape():
    x = torch.tensor([[[1.0, 0.0], [1.0, 1.0]], [[1.0, 0.0], [-1.0, 0.0]]])
    out = mean_pairwise_cosine(x)
    assert out.shape == (2,)
    torch.testing.assert_close(out, torch.tensor([1 / math.sqrt(2), -1.0]))


@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 8), d=st.integers(2, 16), seed=st.integers(0, 10_000),
       scale=st.floats(0.01, 100.0))
def test_mean_cosine_is_invariant_to_order_and_scale(n, d, seed, scale):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=g, dtype=torch.float64)
    base = float(mean_pairwise_cosine(x))
    perm = torch.randperm(n, generator=g)
    scales = torch.rand(n, 1, generator=g, dtype=torch.float64) * scale + 1e-3
    assert math.isclose(float(mean_pairwise_cosine(x[perm] * scales)), base, abs_tol=1e-9)
    assert -1.0 - 1e-9 <= base <= 1.0 + 1e-9


def test_depth_of_block_l_is_l_plus_one_over_l():
    assert depths(4) == [0.25, 0.5, 0.75, 1.0]
