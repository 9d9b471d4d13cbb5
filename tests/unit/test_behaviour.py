"""The steering experiment end to end on a tiny model, re-read perplexity, and the C5-C10
claim logic on constructed runs (signs, flips, regimes)."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
import torch

from harness import thresholds as th
from harness.claims.steering import (
    classifier_flips,
    cross_lingual,
    dose_response,
    flip_rate,
    regime,
    safe_strength,
    steering_moves,
)
from harness.experiments import steering_grid
from harness.experiments.steering_grid import SteeringRun, SteerRow, run_steering
from harness.metrics.textstats import text_stats
from harness.protocol import Profile
from harness.runtime.readout import reread
from harness.stimuli.loading import load_stimuli
from harness.stimuli.scenarios import Scenario, label_map, load_scenarios
from harness.testing import GENERATION_INIT, TINY_CHAT, random_prompts, tiny_handle

TINY_PROFILE = Profile("tiny", gen_max_new_tokens=4, n_permutations=50, n_bootstrap=20, batch_size=16, gen_batch_size=64,
                       steer_max_new_tokens=5)


class LengthClassifier:
    """A deterministic stand-in: 'joy' grows with text length, 'sadness' shrinks."""

    name, version, labels = "fake", "1", ("joy", "sadness", "fear", "anger", "trust", "disgust")

    def scores(self, texts):
        return [{"joy": len(t) / 100, "sadness": 1 - len(t) / 100, "fear": 0.1, "anger": 0.2, "trust": 0.3,
                 "disgust": 0.0} for t in texts]


@pytest.mark.parametrize("family", ["gpt2", "llama", "qwen2", "gemma2", "gemma3_text", "mistral"])
def test_reread_perplexity_and_projection_match_a_manual_forward(family):
    h = tiny_handle(family)
    prompts = random_prompts(3, seed=1)
    conts = random_prompts(3, seed=2)
    v = torch.nn.functional.normalize(torch.randn(h.d_model), dim=0)
    got = reread(h, prompts, conts, v, layer=1, batch_size=3)
    one = reread(h, prompts, conts, v, layer=1, batch_size=1)
    for p, c, g, o in zip(prompts, conts, got, one, strict=True):
        ids = torch.tensor([p + c])
        with torch.no_grad():
            out = h.model(input_ids=ids, output_hidden_states=True)
        logp = torch.log_softmax(out.logits[0], -1)
        nll = -sum(logp[len(p) - 1 + k, t].item() for k, t in enumerate(c))
        assert g.perplexity == pytest.approx(math.exp(nll / len(c)), rel=1e-4)
        proj = (out.hidden_states[2][0, len(p):] @ v).mean().item()
        assert g.projection == pytest.approx(proj, rel=1e-4, abs=1e-5)
        assert g.perplexity == pytest.approx(o.perplexity, rel=1e-5)
    assert math.isnan(reread(h, prompts[:1], [[]], v)[0].perplexity)


def test_run_steering_builds_the_whole_grid_and_is_cached(monkeypatch):
    h = tiny_handle("llama", init=GENERATION_INIT, chat_template=TINY_CHAT)
    stimuli, scenarios = load_stimuli(), load_scenarios()
    labels = label_map("nade", stimuli)[1]
    run = run_steering(h, stimuli, scenarios, TINY_PROFILE, "chat", LengthClassifier(), labels)
    n_prompts = sum(len(s.prompts) for s in scenarios)
    assert len(run.rows) == n_prompts * (len(th.STRENGTHS) + len(th.RANDOM_STRENGTHS))
    assert {r.direction for r in run.rows} == {"emotion", "random"}
    zero = run.select("emotion", 0.0)
    assert all(run.baseline(r) is r for r in zero)
    # The activation delta grows with strength: the injected vector is part of it.
    for r in run.select("emotion", 0.12):
        assert r.sign * (r.activation - run.baseline(r).activation) > 0

    monkeypatch.setattr(steering_grid, "generate_steered", lambda *a, **k: pytest.fail("cache missed"))
    again = run_steering(h, stimuli, scenarios, TINY_PROFILE, "chat", LengthClassifier(), labels)
    assert [(r.text, r.target) for r in again.rows] == [(r.text, r.target) for r in run.rows]


def test_chat_prompts_need_a_chat_template():
    h = tiny_handle("llama")
    with pytest.raises(Exception, match="no chat template"):
        run_steering(h, load_stimuli(), load_scenarios(), TINY_PROFILE, "chat", LengthClassifier(), {})


# ---- claim logic on constructed runs ----

SCEN = (Scenario("up", "Up", "happy", 1, ("a", "b")), Scenario("away", "Away", "calm", -1, ("c", "d")))


def row(scenario, i, strength, target, readout=0.0, text="some ordinary words here", direction="emotion",
        ppl=10.0, activation=0.0):
    sign = 1 if scenario == "up" else -1
    return SteerRow(scenario=scenario, prompt_index=i, direction=direction, strength=strength, sign=sign,
                    text=text, n_new=5, stopped=False, readout=readout, perplexity=ppl, activation=activation,
                    target=target, scores={}, stats=text_stats(text).__dict__)


def make_run(rows) -> SteeringRun:
    return SteeringRun(model="m", prompting="raw", method="comprehension", scale="prefill", classifier="fake",
                       scorer="m", max_new_tokens=5, layer=1, scenarios=SCEN, rows=tuple(rows))


def grid(target_fn, readout_fn=lambda s, a: 0.0, text_fn=lambda a: "plain words of a normal kind",
         ppl_fn=lambda a: 10.0):
    rows = []
    for s in SCEN:
        for i in range(2):
            for a in th.STRENGTHS:
                rows.append(row(s.id, i, a, target_fn(s.sign, a), readout_fn(s.sign, a), text_fn(a), ppl=ppl_fn(a)))
            for a in th.RANDOM_STRENGTHS:
                rows.append(row(s.id, i, a, 0.5, 0.0, "plain", direction="random"))
    return make_run(rows)


def test_flips_follow_the_scenario_sign():
    # Target score rises with strength towards +, falls for the "away" scenario: all flips.
    run = grid(lambda sign, a: 0.5 + sign * a)
    assert flip_rate(run, th.SCENARIO_STRENGTH) == (1.0, 4, 4)
    assert classifier_flips(run).holds
    assert dose_response(run).holds
    # The wrong way round: no flips, negative dose-response.
    wrong = grid(lambda sign, a: 0.5 - sign * a)
    assert flip_rate(wrong, th.SCENARIO_STRENGTH)[0] == 0.0
    assert not classifier_flips(wrong).holds and not dose_response(wrong).holds
    assert flip_rate(run, th.SCENARIO_STRENGTH, "random")[0] == 0.0  # random: unchanged scores


def test_readout_delta_needs_most_prompts():
    assert steering_moves(grid(lambda s, a: 0.5, lambda sign, a: sign * a)).holds
    assert not steering_moves(grid(lambda s, a: 0.5, lambda sign, a: -sign * a)).holds
    # Exactly half is not "most".
    half = grid(lambda s, a: 0.5, lambda sign, a: a)  # only the + scenario moves its way
    assert steering_moves(half).value == 0.5 and not steering_moves(half).holds


def test_regimes_from_perplexity_and_loops():
    loop = "calm calm calm calm calm calm calm calm"
    fluent = grid(lambda s, a: 0.5)
    assert regime(fluent, "surgical").value == "surgical"
    explosive = grid(lambda s, a: 0.5, ppl_fn=lambda a: 10.0 if a <= 0.005 else 500.0)
    assert regime(explosive, "explosive").holds
    repetitive = grid(lambda s, a: 0.5, text_fn=lambda a: loop if a >= 0.05 else "plain words of a normal kind",
                      ppl_fn=lambda a: 10.0 if a <= 0.005 else 3.0)
    check = regime(repetitive, "repetitive")
    assert check.holds and check.details.regime_by_ppl_only == "surgical"
    assert check.details.collapse_point == 0.05


def test_safe_strength_and_cross_lingual():
    assert safe_strength(grid(lambda s, a: 0.5)).holds
    assert not safe_strength(grid(lambda s, a: 0.5, ppl_fn=lambda a: 30.0 if a == th.SAFE_STRENGTH else 10.0)).holds
    leaky = grid(lambda s, a: 0.5, text_fn=lambda a: "我们找了 plain words" if a >= 0.05 else "plain words")
    assert cross_lingual(leaky, expects_leak=True).holds
    assert not cross_lingual(leaky, expects_leak=False).holds
    clean = grid(lambda s, a: 0.5)
    assert cross_lingual(clean, expects_leak=False).holds and not cross_lingual(clean, expects_leak=True).holds


def test_empty_continuations_count_as_not_moved():
    run = grid(lambda s, a: 0.5, lambda sign, a: sign * a)
    rows = [replace(r, readout=math.nan) if r.strength == th.SCENARIO_STRENGTH else r for r in run.rows]
    assert steering_moves(make_run(rows)).value == 0.0
