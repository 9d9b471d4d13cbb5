"""Batched greedy generation equals one-at-a-time and a pristine model's own ``generate``."""

from __future__ import annotations

import copy

import pytest
import torch

from harness.errors import HarnessError
from harness.runtime.generate import chat_ids, generate, stop_ids
from harness.testing import GENERATION_INIT, pristine_generate, random_prompts, tiny_handle

prompts = random_prompts


def test_batched_equals_single_equals_pristine(tiny_gen):
    pristine = copy.deepcopy(tiny_gen.model)  # never booted, never hooked
    ps = prompts()
    batched = generate(tiny_gen, ps, max_new_tokens=12, batch_size=6)
    single = generate(tiny_gen, ps, max_new_tokens=12, batch_size=1)
    stops = stop_ids(tiny_gen)
    for p, b, s in zip(ps, batched, single, strict=True):
        assert b.new_ids == s.new_ids
        assert list(b.new_ids) == pristine_generate(pristine, p, 12, stops)
        assert b.prompt_ids == tuple(p)


def test_generation_stays_correct_after_the_bridge_is_booted():
    """Booting TransformerLens must not touch the model that generates (docs/protocol.md)."""
    h = tiny_handle("llama", init=GENERATION_INIT)
    ps = prompts(3)
    before = generate(h, ps, max_new_tokens=10)
    assert h.bridge is not None
    after = generate(h, ps, max_new_tokens=10)
    assert [g.new_ids for g in before] == [g.new_ids for g in after]
    assert type(h.model.model.layers[0]).__name__ == "LlamaDecoderLayer"


def test_each_row_stops_at_its_own_stop_token():
    h = tiny_handle("qwen2", init=GENERATION_INIT)
    ps = prompts(6, seed=11)
    free = generate(h, ps, max_new_tokens=8)
    # Make the token each row writes third a stop token: rows stop at their own step.
    third = {g.new_ids[2] for g in free if len(g.new_ids) > 2}
    h.model.generation_config.eos_token_id = sorted(third)
    cut = generate(h, ps, max_new_tokens=8)
    for f, c in zip(free, cut, strict=True):
        k = next(i for i, t in enumerate(f.new_ids) if t in third)
        assert c.new_ids == f.new_ids[:k]
        assert c.stopped


def test_hooks_steer_generation_and_are_removed_afterwards():
    h = tiny_handle("mistral", init=GENERATION_INIT)
    ps = prompts(3)
    plain = generate(h, ps, max_new_tokens=8)
    push = torch.randn(h.d_model, generator=torch.Generator().manual_seed(0)) * 50
    steered = generate(h, ps, max_new_tokens=8, hooks={1: lambda x: x + push})
    assert [g.new_ids for g in steered] != [g.new_ids for g in plain]
    again = generate(h, ps, max_new_tokens=8)
    assert [g.new_ids for g in again] == [g.new_ids for g in plain]


def test_chat_ids_needs_a_chat_template():
    base = tiny_handle("gpt2")
    with pytest.raises(HarnessError, match="has no chat template"):
        chat_ids(base, "write a story")
    templ = "{% for m in messages %}{{ m['content'] }} {% endfor %}{% if add_generation_prompt %}the{% endif %}"
    chat = tiny_handle("gpt2", chat_template=templ)
    ids = chat_ids(chat, "a cat sat")
    assert chat.tokenizer.decode(ids) == "a cat sat the"


def test_generate_rejects_empty_prompts_and_zero_tokens():
    h = tiny_handle("gpt2")
    with pytest.raises(HarnessError, match="prompt is empty"):
        generate(h, [[]], max_new_tokens=4)
    with pytest.raises(HarnessError, match="max_new_tokens"):
        generate(h, [[5]], max_new_tokens=0)
