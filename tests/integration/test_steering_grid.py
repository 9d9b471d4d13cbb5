"""The whole steering grid on a tiny model: every cell of the protocol, each classifier's scores,
the C13 sweep, and a second run read from the cache."""

from __future__ import annotations

import math

import pytest
from steering_support import TINY_PROFILE, LengthClassifier, WordClassifier, expected_rows, seen

from harness import thresholds as th
from harness.experiments import steering_grid
from harness.experiments.steering_grid import run_steering
from harness.stimuli.loading import load_stimuli
from harness.stimuli.scenarios import label_map, load_scenarios
from harness.testing import GENERATION_INIT, TINY_CHAT, tiny_handle


def test_run_steering_builds_the_whole_grid_and_is_cached(monkeypatch):
    h = tiny_handle("llama", init=GENERATION_INIT, chat_template=TINY_CHAT)
    stimuli, scenarios = load_stimuli(), load_scenarios()
    labels = label_map("nade", stimuli)[1]
    words = {e: ("up",) for e in stimuli.names}
    counts = [len(s.prompts) for s in scenarios]
    n_prompts = sum(counts)
    chat = run_steering(h, stimuli, scenarios, TINY_PROFILE, "chat", [LengthClassifier(), WordClassifier()],
                        [labels, words])
    assert len(chat.rows) == expected_rows(counts, "chat") == 280
    assert chat.classifiers == ("fake", "words") and chat.classifier == "fake 1"
    assert {r.direction for r in chat.rows} == {"emotion", "random", "opposite", "centred"}
    assert {(r.rule, r.length) for r in chat.rows} == {("paper", "short")}
    for direction, strengths in (("emotion", th.STRENGTHS), ("random", th.RANDOM_STRENGTHS),
                                 ("opposite", th.CONTROL_STRENGTHS), ("centred", th.CENTRED_STRENGTHS)):
        assert sorted({r.strength for r in chat.select(direction)}) == sorted(strengths)
        assert len(chat.select(direction)) == n_prompts * len(strengths)
    zero = chat.select("emotion", 0.0)
    assert all(chat.baseline(r) is r for r in zero)
    for r in chat.rows:
        assert set(r.targets) == {"fake", "words"} and set(r.scores) == {"fake", "words"}
        assert len(r.tokens) == r.n_new
        assert math.isnan(r.target) == bool(r.stats["blank"])  # a text without words has no score
        if not r.stats["blank"]:
            assert r.target == r.targets["fake"] and chat.target_of(r, "words") == r.targets["words"]
        if r.n_new:
            assert not math.isnan(r.readout) and not math.isnan(r.readout_centred)
    # The activation delta grows with strength: the injected vector is part of it.
    for r in chat.select("emotion", 0.12):
        assert r.sign * (r.activation - chat.baseline(r).activation) > 0

    raw = run_steering(h, stimuli, scenarios, TINY_PROFILE, "raw", LengthClassifier(), labels)
    assert len(raw.rows) == expected_rows(counts, "raw") == 490
    assert raw.classifiers == ("fake",)
    long = [r for r in raw.rows if r.length == "long"]
    assert {r.prompt_index for r in long} == set(range(th.SCALE_PROMPTS_PER_SCENARIO))
    for rule in ("paper", "sink-robust"):
        for length in ("short", "long"):
            for a in th.SCALE_STRENGTHS:  # every C13 cell once per C13 prompt (or main-grid prompt)
                main = (rule, length) == ("paper", "short") and a in th.STRENGTHS
                assert len(raw.select("emotion", a, rule=rule, length=length)) == \
                    (n_prompts if main else len(scenarios) * th.SCALE_PROMPTS_PER_SCENARIO)
    assert len(raw.select("emotion", 0.0, length="long")) == len(scenarios) * th.SCALE_PROMPTS_PER_SCENARIO
    assert all(raw.baseline(r).length == "long" for r in long)
    d = raw.diagnostics
    assert len(d["sink_ratio"]) == h.n_layers and set(d["middle_scales"]) == {"paper", "sink-robust"}
    assert all(s < lg for s, lg in zip(d["prompt_tokens"]["short"], d["prompt_tokens"]["long"], strict=True))

    monkeypatch.setattr(steering_grid, "generate_steered", lambda *a, **k: pytest.fail("cache missed"))
    again = run_steering(h, stimuli, scenarios, TINY_PROFILE, "chat", [LengthClassifier(), WordClassifier()],
                         [labels, words])
    assert [seen(r) for r in again.rows] == [seen(r) for r in chat.rows]


def test_another_external_scorer_rescores_without_generating_again(monkeypatch):
    h = tiny_handle("llama", init=GENERATION_INIT, chat_template=TINY_CHAT)
    stimuli, scenarios = load_stimuli(), load_scenarios()
    labels = label_map("nade", stimuli)[1]
    first = run_steering(h, stimuli, scenarios, TINY_PROFILE, "chat", LengthClassifier(), labels,
                         scorer=tiny_handle("gemma2"))
    monkeypatch.setattr(steering_grid, "generate_steered", lambda *a, **k: pytest.fail("generated again"))
    second = run_steering(h, stimuli, scenarios, TINY_PROFILE, "chat", LengthClassifier(), labels,
                          scorer=tiny_handle("qwen2"))
    assert [r.text for r in second.rows] == [r.text for r in first.rows]
    assert second.scorer == "tiny-qwen2" and first.scorer == "tiny-gemma2"
    assert [r.perplexity for r in second.rows] != [r.perplexity for r in first.rows]


def test_a_run_stopped_part_way_resumes_at_its_first_unfinished_batch(monkeypatch, tmp_path):
    h = tiny_handle("llama", init=GENERATION_INIT, chat_template=TINY_CHAT)
    stimuli, scenarios = load_stimuli(), load_scenarios()
    labels = label_map("nade", stimuli)[1]

    def steer():
        return run_steering(h, stimuli, scenarios, TINY_PROFILE, "chat", LengthClassifier(), labels,
                            scorer=tiny_handle("gemma2"))

    monkeypatch.setenv("EMOTION_HARNESS_CACHE", str(tmp_path / "whole"))
    whole = steer()
    n_batches = math.ceil(len(whole.rows) / TINY_PROFILE.gen_batch_size)
    assert n_batches >= 3

    monkeypatch.setenv("EMOTION_HARNESS_CACHE", str(tmp_path / "stopped"))
    real, calls = h.model.generate, []

    def stops_at_the_third_batch(*a, **k):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt  # the job is killed inside its third batch
        return real(*a, **k)

    monkeypatch.setattr(h.model, "generate", stops_at_the_third_batch)
    with pytest.raises(KeyboardInterrupt):
        steer()
    parts = tmp_path / "stopped" / "steering-parts"
    assert len(list(parts.glob("*.safetensors"))) == 2
    calls.clear()
    monkeypatch.setattr(h.model, "generate", lambda *a, **k: (calls.append(1), real(*a, **k))[1])
    resumed = steer()
    assert len(calls) == n_batches - 2  # the two finished batches were not generated again
    assert [seen(r) for r in resumed.rows] == [seen(r) for r in whole.rows]
    assert [r.tokens for r in resumed.rows] == [r.tokens for r in whole.rows]
    assert [r.perplexity for r in resumed.rows] == [r.perplexity for r in whole.rows]
    assert not list(parts.glob("*.safetensors"))  # the whole is cached: its parts are gone


def test_a_run_stopped_in_its_re_read_resumes_there_without_generating_again(monkeypatch, tmp_path):
    h = tiny_handle("llama", init=GENERATION_INIT, chat_template=TINY_CHAT)
    stimuli, scenarios = load_stimuli(), load_scenarios()
    labels = label_map("nade", stimuli)[1]

    def steer():
        return run_steering(h, stimuli, scenarios, TINY_PROFILE, "chat", LengthClassifier(), labels)

    monkeypatch.setenv("EMOTION_HARNESS_CACHE", str(tmp_path / "whole"))
    whole = steer()
    n_batches = math.ceil(len(whole.rows) / TINY_PROFILE.batch_size)

    monkeypatch.setenv("EMOTION_HARNESS_CACHE", str(tmp_path / "stopped"))
    real_reread, real_forward, forwards = steering_grid.reread, h.model.forward, []

    def counted(stop_at):
        def forward(*a, **k):
            forwards.append(1)
            if len(forwards) == stop_at:
                raise KeyboardInterrupt  # the job is killed inside the re-read's third batch
            return real_forward(*a, **k)
        return forward

    def reread_counting(stop_at):
        def run(*a, **k):
            monkeypatch.setattr(h.model, "forward", counted(stop_at))
            try:
                return real_reread(*a, **k)
            finally:
                monkeypatch.setattr(h.model, "forward", real_forward)
        return run

    monkeypatch.setattr(steering_grid, "reread", reread_counting(3))
    with pytest.raises(KeyboardInterrupt):
        steer()
    parts = tmp_path / "stopped" / "reread-parts"
    assert len(list(parts.glob("*.safetensors"))) == 2
    forwards.clear()
    monkeypatch.setattr(steering_grid, "reread", reread_counting(0))
    monkeypatch.setattr(h.model, "generate", lambda *a, **k: pytest.fail("generated again"))  # all journaled
    resumed = steer()
    assert len(forwards) == n_batches - 2  # the two finished re-read batches were not read again
    assert [seen(r) for r in resumed.rows] == [seen(r) for r in whole.rows]
    assert [(r.readout, r.readout_centred, r.perplexity) for r in resumed.rows] == \
        [(r.readout, r.readout_centred, r.perplexity) for r in whole.rows]
    assert not list(parts.glob("*.safetensors")) and not list((tmp_path / "stopped" / "steering-parts").iterdir())
