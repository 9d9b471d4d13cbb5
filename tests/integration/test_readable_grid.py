"""The readable grid on a tiny model: every control below collapse, the platform's vectors
steering from their own block and read out there, the running scale, and each row's vector named."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
import torch
from steering_support import TINY_PROFILE, LengthClassifier

from harness import thresholds as th
from harness.experiments.steering_grid import (
    GRIDS,
    prompt_ids,
    prompt_text,
    run_steering,
    steering_vectors,
)
from harness.protocol import platform_block
from harness.runtime.readout import reread
from harness.runtime.steering import generate_steered
from harness.stimuli.loading import load_stimuli
from harness.stimuli.scenarios import label_map, load_prompt_forms, load_scenarios
from harness.testing import GENERATION_INIT, TINY_CHAT, tiny_handle

READABLE_PROFILE = replace(TINY_PROFILE, name="tiny-readable", steer_grid="readable")


def test_the_readable_grid_steers_and_reads_the_platform_vectors_at_their_block():
    h = tiny_handle("llama", init=GENERATION_INIT, chat_template=TINY_CHAT)
    stimuli, scenarios = load_stimuli(), load_scenarios()[:2]
    labels = label_map("nade", stimuli)[1]
    run = run_steering(h, stimuli, scenarios, READABLE_PROFILE, "chat", LengthClassifier(), labels)
    n_prompts = sum(len(s.prompts) for s in scenarios)
    grid = GRIDS["readable"]
    assert run.grid == "readable" and run.scale == "running"
    assert len(run.rows) == n_prompts * sum(len(a) for a in grid.strengths.values())
    block = platform_block(h.n_layers)
    assert block != h.middle_layer
    assert f"block {block}" in run.vectors["platform"] and f"block {h.middle_layer}" in run.vectors["emotion"]
    for r in run.rows:
        if r.n_new:
            assert not math.isnan(r.readout_platform)

    plat = steering_vectors(h, stimuli, READABLE_PROFILE, baseline="centred", block=block)
    forms = load_prompt_forms()
    names = list(stimuli.names)
    target = {s.id: s.target for s in scenarios}
    prompt = {(s.id, i): p for s in scenarios for i, p in enumerate(s.prompts)}
    picked = [r for r in run.select("platform", 0.01)][:3]
    assert picked
    ids = [prompt_ids(h, prompt_text(forms, prompt[(r.scenario, r.prompt_index)], "chat"), "chat") for r in picked]
    v = torch.stack([plat[names.index(target[r.scenario])] for r in picked])
    again = generate_steered(h, ids, v, [r.sign * r.strength for r in picked], TINY_PROFILE.steer_max_new_tokens,
                             scale="running")
    assert [list(g.new_ids) for g in again] == [r.tokens for r in picked]  # steered with the platform vector
    reads = reread(h, ids, [r.tokens for r in picked], v, block, score=False)
    for r, got in zip(picked, reads, strict=True):
        assert r.readout_platform == pytest.approx(got.projection, rel=1e-4, abs=1e-5)
    assert {r.direction for r in run.rows} == set(grid.strengths)
    assert sorted({r.strength for r in run.select("random")}) == sorted({*th.READABLE_CONTROL_STRENGTHS, 0.05, 0.12})
