"""Reproducibility end to end on a tiny model: two fresh runs (the 210 stories generated again,
nothing read back from the cache) give bitwise-identical states, vectors and metrics."""

from __future__ import annotations

import shutil

import torch

from harness import cache
from harness.experiments import extraction
from harness.experiments.geometry_run import analyse
from harness.protocol import Profile
from harness.stimuli.loading import load_stimuli
from harness.testing import GENERATION_INIT, tiny_handle

CHAT = "{% for m in messages %}{{ m['content'] }} {% endfor %}{% if add_generation_prompt %}the{% endif %}"
TINY = Profile("tiny", gen_max_new_tokens=12, n_permutations=40, n_bootstrap=20, batch_size=16, gen_batch_size=64,
               steer_max_new_tokens=4)


def fresh_cache() -> None:
    shutil.rmtree(cache.cache_root(), ignore_errors=True)


def test_two_runs_give_bitwise_identical_vectors_and_metrics():
    stimuli = load_stimuli()
    runs = []
    for _ in range(2):
        fresh_cache()  # recompute, do not read back
        h = tiny_handle("gemma2", init=GENERATION_INIT, chat_template=CHAT)
        gen = extraction.generation(h, stimuli, max_new_tokens=12)
        comp = extraction.comprehension(h, stimuli)
        g = analyse(comp, extraction.held_out(h, stimuli), extraction.neutral_sentence_states(h, stimuli),
                    stimuli, TINY)
        runs.append((gen, comp, g))
    (gen1, comp1, g1), (gen2, comp2, g2) = runs
    assert gen1.texts == gen2.texts and gen1.positions == gen2.positions
    assert torch.equal(gen1.data.states, gen2.data.states)
    assert torch.equal(comp1.data.states, comp2.data.states)
    for b in ("neutral", "centred"):
        assert torch.equal(g1.vectors[b], g2.vectors[b])
    assert g1.separation == g2.separation and g1.null_mean == g2.null_mean
    assert g1.best_depth_replicates == g2.best_depth_replicates and g1.blocks == g2.blocks
