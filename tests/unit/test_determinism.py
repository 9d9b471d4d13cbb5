"""Reproducibility: recomputation is bitwise identical; batch size changes nothing that matters."""

from __future__ import annotations

import shutil

import torch

from harness import cache
from harness.experiments import extraction
from harness.metrics.vectors import vectors_from_states
from harness.protocol import Profile
from harness.runtime.capture import capture
from harness.runtime.generate import generate
from harness.testing import GENERATION_INIT, max_relative_error, tiny_handle

CHAT = "{% for m in messages %}{{ m['content'] }} {% endfor %}{% if add_generation_prompt %}the{% endif %}"


def fresh_cache() -> None:
    shutil.rmtree(cache.cache_root(), ignore_errors=True)


TINY = Profile("tiny", gen_max_new_tokens=12, n_permutations=40, n_bootstrap=20, batch_size=16, gen_batch_size=64,
               steer_max_new_tokens=4)


def test_batch_sizes_1_8_32_give_equal_vectors_and_identical_tokens():
    h = tiny_handle("qwen2", init=GENERATION_INIT)
    g = torch.Generator().manual_seed(3)
    ids = [torch.randint(4, 256, (int(k),), generator=g).tolist() for k in torch.randint(3, 25, (32,), generator=g)]
    labels = tuple(["a", "b", "c", "neutral"] * 8)
    states = {bs: capture(h, ids, batch_size=bs).resid for bs in (1, 8, 32)}
    vecs = {bs: vectors_from_states(extraction.LabelledStates(s, labels), ["a", "b", "c"], "neutral")
            for bs, s in states.items()}
    assert max_relative_error(vecs[8], vecs[1]) < 1e-5 and max_relative_error(vecs[32], vecs[1]) < 1e-5
    tokens = {bs: [x.new_ids for x in generate(h, ids, max_new_tokens=8, batch_size=bs)] for bs in (1, 8, 32)}
    assert tokens[1] == tokens[8] == tokens[32]
