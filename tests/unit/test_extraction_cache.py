"""Extraction on tiny models: positions, caching (content-addressed, verified), applicability."""

from __future__ import annotations

import pytest
import torch

from harness import cache
from harness.errors import HarnessError
from harness.experiments import extraction
from harness.runtime.capture import capture
from harness.runtime.generate import chat_ids, generate
from harness.stimuli.loading import load_stimuli
from harness.testing import GENERATION_INIT, tiny_handle

# Tiny tokenizer words only: every stimulus maps to <unk> except these, which is fine for plumbing.
CHAT = "{% for m in messages %}{{ m['content'] }} {% endfor %}{% if add_generation_prompt %}the{% endif %}"


@pytest.fixture(scope="module")
def stimuli():
    return load_stimuli()


def test_comprehension_reads_every_passage_at_its_last_token(stimuli):
    h = tiny_handle("qwen2")
    ex = extraction.comprehension(h, stimuli)
    assert ex.data.states.shape == (3, 63, 64)
    assert ex.data.labels.count("neutral") == 3 and ex.data.labels.count("happy") == 3
    ids = [h.tokenizer(t)["input_ids"] for t in ex.texts[:4]]
    torch.testing.assert_close(ex.data.states[:, :4], capture(h, ids).resid)


def test_second_extraction_is_a_cache_hit(stimuli, monkeypatch):
    h = tiny_handle("llama")
    first = extraction.comprehension(h, stimuli)
    monkeypatch.setattr(extraction, "capture", lambda *a, **k: pytest.fail("recomputed a cached entry"))
    again = extraction.comprehension(h, stimuli)
    assert torch.equal(first.data.states, again.data.states) and first.texts == again.texts


def test_corrupt_cache_entry_is_recomputed_not_trusted(stimuli, caplog):
    h = tiny_handle("gpt2")
    first = extraction.comprehension(h, stimuli)
    (entry,) = (cache.cache_root() / "activations").glob("*.safetensors")
    raw = bytearray(entry.read_bytes())
    raw[-5] ^= 0xFF  # flip a byte inside the tensor data
    entry.write_bytes(bytes(raw))
    again = extraction.comprehension(h, stimuli)
    assert "corrupt" in caplog.text
    assert torch.equal(first.data.states, again.data.states)


def test_generation_extraction_reads_the_story_midpoint(stimuli):
    h = tiny_handle("mistral", init=GENERATION_INIT, chat_template=CHAT)
    ex = extraction.generation(h, stimuli, max_new_tokens=16)
    assert ex.data.states.shape[1] == 210 and ex.data.labels.count("neutral") == 10
    prompt = chat_ids(h, stimuli.story_prompts("happy")[0])
    story = generate(h, [prompt], max_new_tokens=16)[0]
    n = len(story.new_ids)
    expected = len(prompt) + n // 2 if n > extraction.SHORT_GENERATION else len(prompt) - 1
    assert ex.positions[0] == expected
    direct = capture(h, [prompt + list(story.new_ids)], [expected]).resid[:, 0]
    torch.testing.assert_close(ex.data.states[:, 0], direct, rtol=1e-5, atol=1e-5)


def test_generation_on_a_base_model_is_not_applicable(stimuli):
    h = tiny_handle("gpt2")
    assert "base model without a chat template" in extraction.supports(h, "generation")
    assert extraction.supports(h, "comprehension") is None
    with pytest.raises(HarnessError, match="generation-based extraction needs an instruct model"):
        extraction.generation(h, stimuli, max_new_tokens=4)


def test_cache_key_changes_with_model_stimuli_and_protocol():
    base = dict(kind="comprehension", model="abc", stimuli="s1", params={}, protocol=1)
    k = cache.entry_key(**base)
    assert k == cache.entry_key(**dict(reversed(list(base.items()))))
    for change in ({"model": "abd"}, {"stimuli": "s2"}, {"protocol": 2}, {"params": {"max_new_tokens": 8}}):
        assert cache.entry_key(**{**base, **change}) != k


def test_stories_stopped_part_way_resume_at_the_first_unfinished_batch(stimuli, monkeypatch, tmp_path):
    h = tiny_handle("qwen2", init=GENERATION_INIT, chat_template=CHAT)
    monkeypatch.setenv("EMOTION_HARNESS_CACHE", str(tmp_path / "whole"))
    whole = extraction.generation(h, stimuli, max_new_tokens=6, batch_size=64)  # 210 stories: 4 batches

    monkeypatch.setenv("EMOTION_HARNESS_CACHE", str(tmp_path / "stopped"))
    real, calls = h.model.generate, []

    def stops_in_the_third_batch(*a, **k):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(h.model, "generate", stops_in_the_third_batch)
    with pytest.raises(KeyboardInterrupt):
        extraction.generation(h, stimuli, max_new_tokens=6, batch_size=64)
    parts = tmp_path / "stopped" / "story-parts"
    assert len(list(parts.glob("*.safetensors"))) == 2
    assert not list((tmp_path / "stopped").glob("activations/*.safetensors"))  # nothing half-written
    calls.clear()
    monkeypatch.setattr(h.model, "generate", lambda *a, **k: (calls.append(1), real(*a, **k))[1])
    resumed = extraction.generation(h, stimuli, max_new_tokens=6, batch_size=64)
    assert len(calls) == 2  # only the two unfinished batches
    assert resumed.texts == whole.texts and resumed.positions == whole.positions
    assert torch.equal(resumed.data.states, whole.data.states)
    assert not list(parts.glob("*.safetensors"))  # the whole is cached: its parts are gone
