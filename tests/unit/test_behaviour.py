"""The steering experiment end to end on a tiny model, re-read perplexity, and the C5-C10 and C13
claim logic on constructed runs (paired controls, flips, regimes, leaks, the scale rule)."""

from __future__ import annotations

import math
import statistics
from dataclasses import replace

import pytest
import torch
from scipy import stats as sps
from steering_support import (
    LOOP,
    PLAIN,
    TINY_PROFILE,
    At,
    Fn,
    LengthClassifier,
    expected_rows,
    grid,
    make_run,
    only,
    recognition,
    rising,
    towards,
)

from harness import thresholds as th
from harness.claims.c05_steering_moves_target import moves_check
from harness.claims.c06_classifier_flips import classifier_flips, flip_rate, pooled_flips
from harness.claims.c07_dose_response import dose_response, flip_points
from harness.claims.c08_regime import regime, regime_summary
from harness.claims.c09_safe_steering_strength import safe_strength
from harness.claims.c10_crosslingual import cross_lingual
from harness.claims.c13_scale_and_prompt_length import scale_and_length
from harness.claims.text_health import median_ppl, newly_degenerate
from harness.errors import HarnessError
from harness.experiments.script_control import ScriptControl
from harness.experiments.steering_grid import run_steering
from harness.runtime.readout import reread
from harness.stimuli.loading import load_stimuli
from harness.stimuli.scenarios import load_scenarios
from harness.testing import random_prompts, tiny_handle


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


def test_reread_with_several_directions_per_row_equals_one_call_per_direction():
    h = tiny_handle("qwen2")
    prompts, conts = random_prompts(4, seed=1), random_prompts(4, seed=2)
    g = torch.Generator().manual_seed(4)
    dirs = torch.nn.functional.normalize(torch.randn(4, 2, h.d_model, generator=g), dim=-1)
    both = reread(h, prompts, conts, dirs, layer=1, batch_size=4)
    each = [reread(h, prompts, conts, dirs[:, k], layer=1, batch_size=4) for k in range(2)]
    for i, b in enumerate(both):
        assert b.projections == pytest.approx((each[0][i].projection, each[1][i].projection), rel=1e-5, abs=1e-6)
        assert b.projection == pytest.approx(each[0][i].projection, rel=1e-5, abs=1e-6)
        assert b.nll == pytest.approx(each[0][i].nll, rel=1e-6)
    assert each[0][0].projection != pytest.approx(each[1][0].projection)  # two different read-outs
    (empty,) = reread(h, prompts[:1], [[]], dirs[:1])
    assert len(empty.projections) == 2 and all(math.isnan(p) for p in empty.projections)


@pytest.mark.parametrize("score", [True, False])
def test_reread_reads_each_direction_at_its_own_block(score):
    h = tiny_handle("qwen2")
    prompts, conts = random_prompts(4, seed=5), random_prompts(4, seed=6)
    dirs = torch.nn.functional.normalize(torch.randn(4, 3, h.d_model, generator=torch.Generator().manual_seed(2)),
                                         dim=-1)
    mixed = reread(h, prompts, conts, dirs, layer=[1, 1, 0], batch_size=4, score=score)
    at = {b: reread(h, prompts, conts, dirs, layer=b, batch_size=4, score=score) for b in (0, 1)}
    for i, m in enumerate(mixed):
        want = (at[1][i].projections[0], at[1][i].projections[1], at[0][i].projections[2])
        assert m.projections == pytest.approx(want, rel=1e-5, abs=1e-6)
    with pytest.raises(HarnessError, match="one per read-out direction"):
        reread(h, prompts, conts, dirs, layer=[1, 0])
    with pytest.raises(HarnessError, match="out of range"):
        reread(h, prompts, conts, dirs, layer=[1, 1, 9])


@pytest.mark.parametrize("family", ["llama", "gemma3_text"])
def test_reading_without_scoring_stops_at_the_block_and_gives_the_same_projections(family):
    h = tiny_handle(family)
    prompts, conts = random_prompts(5, seed=3), random_prompts(5, seed=4)
    dirs = torch.nn.functional.normalize(torch.randn(5, 2, h.d_model, generator=torch.Generator().manual_seed(1)),
                                         dim=-1)
    scored = reread(h, prompts, conts, dirs, layer=1, batch_size=3)
    read_only = reread(h, prompts, conts, dirs, layer=1, batch_size=3, score=False)
    assert [r.projections for r in read_only] == [r.projections for r in scored]  # bit for bit
    assert all(math.isnan(r.nll) and math.isnan(r.perplexity) for r in read_only)
    assert all(r.n_tokens == s.n_tokens for r, s in zip(read_only, scored, strict=True))
    with pytest.raises(HarnessError, match="score=False needs directions"):
        reread(h, prompts, conts, score=False)




def test_chat_prompts_need_a_chat_template():
    h = tiny_handle("llama")
    with pytest.raises(Exception, match="no chat template"):
        run_steering(h, load_stimuli(), load_scenarios(), TINY_PROFILE, "chat", LengthClassifier(), {})


# ---- claim logic on constructed runs ----

def test_the_constructed_grid_has_run_steerings_cells():
    assert len(grid().rows) == expected_rows([2, 2], "chat")
    run = grid(scale=True)
    assert len(run.rows) == expected_rows([2, 2], "raw")
    assert {r.direction for r in run.rows} == {"emotion", "random", "opposite", "centred"}
    assert {(r.rule, r.length) for r in run.rows} == {(rule, length) for rule in ("paper", "sink-robust")
                                                      for length in ("short", "long")}


# C5


def test_c5_holds_when_the_emotion_vector_beats_random_and_opposite():
    check = moves_check(grid(readout=only("emotion", towards), n=5))
    assert check.verdict == "holds" and check.value == 1.0
    d = check.details
    assert (d.moved, d.n) == (10, 10) and d.random_rate == 0.0
    assert [c["name"] for c in d.paired_controls] == ["random direction", "opposite emotion"]
    assert all(c["p_beaten"] < th.CONTROL_ALPHA for c in d.paired_controls)
    assert d.rate_by_strength[str(th.SCENARIO_STRENGTH)] == 1.0
    # The ablation: the centred vectors steering, against the random direction only.
    centred = moves_check(grid(readout=only("centred", towards), n=5), th.SCENARIO_STRENGTH, "centred")
    assert centred.verdict == "holds" and [c["name"] for c in centred.details.paired_controls] == ["random direction"]


def test_c5_is_uninformative_when_a_control_moves_the_readout_as_much():
    random_too = moves_check(grid(readout=towards, n=5))  # every direction: the same deltas
    assert random_too.holds and random_too.verdict == "uninformative"
    assert all(c["p_beaten"] == 1.0 for c in random_too.details.paired_controls)
    opposite_too = moves_check(grid(readout=only(("emotion", "opposite"), towards), n=5))
    assert opposite_too.verdict == "uninformative"
    ps = {c["name"]: c["p_beaten"] for c in opposite_too.details.paired_controls}
    assert ps["random direction"] < th.CONTROL_ALPHA and ps["opposite emotion"] == 1.0


def test_c5_does_not_hold_under_half_and_is_inconclusive_when_the_interval_straddles_half():
    few = moves_check(grid(readout=only("emotion", lambda c: towards(c) if c.i == 0 else 0.0), n=10))
    assert (few.details.moved, few.details.n) == (2, 20) and few.verdict == "does not hold"
    wrong = moves_check(grid(readout=only("emotion", lambda c: -towards(c)), n=5))
    assert wrong.value == 0.0 and wrong.verdict == "does not hold"
    half = moves_check(grid(readout=only("emotion", lambda c: c.a), n=5))  # only the + scenario's way
    assert half.value == 0.5 and half.interval[0] < th.MOST < half.interval[1] and half.verdict == "inconclusive"
    four = moves_check(grid(readout=only("emotion", towards), n=2))  # 4/4, but the interval reaches 0.40
    assert four.value == 1.0 and four.verdict == "inconclusive"


def test_empty_continuations_count_as_not_moved():
    run = grid(readout=only("emotion", towards), n=5)
    rows = [replace(r, readout=math.nan) if r.strength == th.SCENARIO_STRENGTH else r for r in run.rows]
    assert moves_check(make_run(rows, run.scenarios)).value == 0.0


def test_an_unchanged_text_is_not_moved_whatever_float_noise_its_reread_carries():
    # The random direction leaves every text token-identical; its re-read differs by float noise only.
    noise = only("random", lambda c: c.sign * 1e-7, 0.0)
    same = lambda c: (7, 8, 9)  # noqa: E731
    run = grid(readout=lambda c: towards(c) if c.direction == "emotion" else noise(c),
               tokens=lambda c: (7, 8, int(c.a * 1e4)) if c.direction == "emotion" and c.a > 0 else same(c), n=5)
    check = moves_check(run)
    rnd = {c["name"]: c for c in check.details.paired_controls}["random direction"]
    assert rnd["moved"] == 0 and check.verdict == "holds"
    # The same noise on a changed text is a reading like any other.
    changed = grid(readout=lambda c: towards(c) if c.direction == "emotion" else noise(c),
                   tokens=lambda c: (7, 8, int(c.a * 1e4)) if c.a > 0 else same(c), n=5)
    assert {c["name"]: c for c in moves_check(changed).details.paired_controls}["random direction"]["moved"] == 10
    # A classifier score of an unchanged text does not flip either.
    flat = grid(target=lambda c: 0.5 + c.sign * 1e-7 * (c.a > 0), tokens=same, n=24)
    assert flip_rate(flat, th.SCENARIO_STRENGTH)[0] == 0.0


# C6


def test_flips_follow_the_scenario_sign():
    # Target score rises with strength towards +, falls for the "away" scenario: every prompt flips.
    run = grid(target=only("emotion", rising, 0.5), n=24)
    assert flip_rate(run, th.SCENARIO_STRENGTH) == (1.0, 48, 48)
    assert classifier_flips(run).verdict == "holds"  # 48/48: the interval's low end 0.926 > 0.92
    assert dose_response(run).verdict == "holds"
    assert flip_rate(run, th.SCENARIO_STRENGTH, "random")[0] == 0.0  # random: unchanged scores
    # The wrong way round: no flips, negative dose-response.
    wrong = grid(target=only("emotion", lambda c: 0.5 - towards(c), 0.5), n=24)
    assert flip_rate(wrong, th.SCENARIO_STRENGTH)[0] == 0.0
    assert classifier_flips(wrong).verdict == "does not hold" and dose_response(wrong).verdict == "does not hold"
    # Every flip, but too few prompts to tell from 92%.
    assert classifier_flips(grid(target=only("emotion", rising, 0.5))).verdict == "inconclusive"


def test_c6_is_uninformative_when_the_random_direction_flips_as_often():
    check = classifier_flips(grid(target=rising, n=24))  # every direction flips every prompt
    assert check.holds and check.verdict == "uninformative"
    assert check.details.mcnemar == {"emotion_only": 0, "random_only": 0, "p": 1.0}
    assert check.details.random_flips == 48


def test_c6_and_c7_leave_out_scenarios_whose_target_is_not_recognised():
    run = grid(target=only("emotion", rising, 0.5), n=24)
    check = classifier_flips(run, recognition(happy=True, calm=False))
    d = check.details
    assert d.excluded == {"away": "target 'calm' not recognised (AUC 0.45 [0.30, 0.60], p 0.7)"}
    assert (d.flips, d.n) == (24, 24) and set(d.rate_by_scenario) == {"up"}
    assert "left out: away" in check.reason
    assert d.recognition["calm"]["recognised"] is False and d.recognition["happy"]["auc"] == 0.8
    dose = dose_response(run, recognition(happy=True, calm=False))
    assert dose.details.n_prompts == 24 and set(dose.details.flip_points) == {"up"}
    none = classifier_flips(run, recognition(happy=False, calm=False))
    assert none.holds is None and none.verdict == "not applicable"
    assert "no readable steered text to count" in none.reason and "'happy' not recognised" in none.reason
    assert dose_response(run, recognition(happy=False, calm=False)).verdict == "not applicable"


def test_c6_pools_the_prompts_of_several_models():
    runs = [replace(grid(target=only("emotion", rising, 0.5), n=12), model=m) for m in ("b", "a")]
    # Called as the verify_pooled fixture calls it: (runs, prompting, profile name, recognition).
    name, finding = pooled_flips(runs, "raw", "paper", None)
    assert name == "pooled(a,b)" and finding.check.verdict == "holds"  # 48/48 over two models
    d = finding.check.details
    assert (d.flips, d.n, d.random_flips, d.models) == (48, 48, 0, ["a", "b"])
    assert finding.context == {"method": "raw", "profile": "paper"}
    name, finding = pooled_flips(runs, "raw", "paper", recognition(happy=True, calm=False))
    assert finding.check.details.n == 24 and "left out: away" in finding.check.reason
    # 24/24: the interval [0.86, 1] reaches the paper's 92% and lies above the 75% floor.
    assert finding.check.verdict == "holds"


def test_a_blank_steered_text_is_its_own_outcome_and_a_blank_unsteered_text_is_not_counted():
    steered_blank = grid(target=only("emotion", rising, 0.5), n=3,
                         text=lambda c: "\n\n" if c.i == 0 and c.a == th.SCENARIO_STRENGTH else PLAIN)
    assert flip_rate(steered_blank, th.SCENARIO_STRENGTH) == (1.0, 4, 4)
    d = classifier_flips(steered_blank).details
    assert (d.collapsed, d.n_readable, d.flips, d.n) == (2, 6, 4, 4)
    unsteered_blank = grid(target=only("emotion", rising, 0.5), n=3,
                           text=lambda c: "...!!! ---" if c.i == 0 and c.a == 0 else PLAIN)
    assert flip_rate(unsteered_blank, th.SCENARIO_STRENGTH) == (1.0, 4, 4)


# C7


def test_c7_is_the_mean_per_prompt_spearman_of_paired_deltas():
    # Each prompt starts from its own unsteered score; prompt 0 rises with strength, prompt 1
    # zigzags, prompt 2 falls.
    bumpy = {0.0: 0.0, 0.005: 0.3, 0.01: 0.1, 0.02: -0.2, 0.03: 0.2, 0.05: 0.05}
    curves = (lambda a: a, lambda a: bumpy.get(a, 0.0), lambda a: -a)

    def target(c: At) -> float:
        base = 0.2 * c.i + (0.1 if c.sign > 0 else 0.0)
        g = curves[c.i]
        return base + (c.sign * (g(c.a) - g(0.0)) if c.direction == "emotion" else 0.0)

    check = dose_response(grid(target=target, n=3))
    sweep = list(th.PAPER_SWEEP)
    per_prompt = [sps.spearmanr(sweep, [g(a) - g(0.0) for a in sweep]).statistic for g in curves]
    assert check.details.n_prompts == 6
    assert check.value == pytest.approx(statistics.fmean(per_prompt * 2))
    assert check.details.random_rho == 0.0  # the random direction leaves every score as it was
    # The means the paired test compares, over the prompts it pairs, and "beaten" only when it is.
    assert check.details.n_pairs == 6 and "on the 6 prompts that keep three healthy texts under both" in check.reason
    assert ("not beaten" in check.reason) == (check.details.p_beats_random >= th.CONTROL_ALPHA)
    # The random direction collapses every text: nothing to compare, and the reason says so
    # instead of reading means "over 0 prompts".
    broken = dose_response(grid(target=target, n=3, text=only("random", lambda c: LOOP, PLAIN)))
    assert "no prompt keeps three healthy texts under both" in broken.reason and "not compared" in broken.reason
    assert broken.details.n_pairs == 0 and math.isnan(broken.details.random_rho)
    assert broken.verdict == "inconclusive"  # its pass could not be checked against the control
    # Pooled over every (strength, delta) point: on the paired deltas, a prompt's own starting
    # score drops out (on the raw scores, the offsets 0.2 apart would swamp deltas <= 0.05).
    rising_all = dose_response(grid(target=lambda c: 0.2 * c.i + (c.sign * c.a if c.direction == "emotion" else 0.0),
                                    n=3))
    assert rising_all.value == pytest.approx(1.0) and rising_all.details.pooled_rho > 0.95  # ties: float rounding
    raw = sps.spearmanr(sweep * 6, [0.2 * i + a for i in (0, 1, 2) for a in sweep] * 2).statistic
    assert raw < 0.5


def test_c7_plot_curves_read_as_the_tests_do_with_their_counts_and_the_readout_as_a_signed_delta():
    # Prompt 0 of each scenario loops unsteered: the tests do not read it, nor does the plot.
    run = grid(readout=lambda c: c.sign * (2.0 if c.a > 0 else 0.5) + 100.0, n=3,
               text=lambda c: "" if (c.direction, c.a) == ("emotion", 0.05) and c.i == 1
               else LOOP if c.i == 0 and c.direction == "emotion" else PLAIN)
    curves = dose_response(run).details.per_scenario
    grid_ = run.strengths("emotion")
    at = grid_.index(0.05)
    for c in curves.values():
        assert c["n_base"] == 2 and c["n_read"][0] == 2 and c["n_read"][at] == 1  # the blank text is not read
        assert c["newly_collapsed"][0] == 0.0 and c["newly_collapsed"][at] == 0.5
        # Signed paired delta: the offset of 100 drops out, +1.5 the scenario's way in both scenarios.
        assert c["readout_delta_read"][grid_.index(0.02)] == 1.5 and c["readout_delta_read"][0] == 0.0
        assert set(c["random_target_read"]) == {str(a) for a in run.strengths("random")}


def test_c7_flip_point_needs_the_flip_to_persist_at_the_next_strength():
    once = grid(target=only("emotion", lambda c: 0.5 + c.sign * (0.1 if c.a == 0.02 else 0.0), 0.5))
    assert flip_points(once) == {"up": None, "away": None}
    persists = grid(target=only("emotion", lambda c: 0.5 + c.sign * (0.1 if c.a >= 0.02 else 0.0), 0.5))
    assert flip_points(persists) == {"up": 0.02, "away": 0.02}
    d = dose_response(persists).details
    assert d.flip_points == {"up": 0.02, "away": 0.02} and d.random_flip_points == {"up": None, "away": None}
    # The top strength has no next one: a flip there alone is no flip point.
    last = grid(target=only("emotion", lambda c: 0.5 + c.sign * (0.1 if c.a == th.STRENGTHS[-1] else 0.0), 0.5))
    assert flip_points(last) == {"up": None, "away": None}


# C8


def test_regimes_from_perplexity_and_loops():
    fluent = grid()
    assert regime(fluent, "surgical").value == "surgical"
    # Only the emotion vector explodes the model: holds. A random direction of the same size
    # that explodes it too leaves the label saying nothing about emotion steering.
    explosive = grid(ppl=lambda c: 10.0 if c.a <= 0.005 or c.direction == "random" else 500.0)
    assert regime(explosive, "explosive").verdict == "holds"
    assert regime(grid(ppl=lambda c: 10.0 if c.a <= 0.005 else 500.0), "explosive").verdict == "uninformative"
    repetitive = grid(text=lambda c: LOOP if c.a >= 0.05 and c.direction == "emotion" else PLAIN,
                      ppl=lambda c: 10.0 if c.a <= 0.005 else 3.0, n=5)
    check = regime(repetitive, "repetitive")
    assert check.verdict == "holds" and check.details.regime_by_ppl_only == "surgical"
    assert check.details.collapse_point == 0.05 and check.details.kinds_high["loop"] == 10
    assert regime(repetitive, "explosive").verdict == "does not hold"
    # Four prompts: 4/4 newly degenerate has an interval reaching below one half.
    assert regime(grid(text=lambda c: LOOP if c.a >= 0.05 else PLAIN), "repetitive").verdict == "inconclusive"
    assert regime(fluent, None).verdict == "not applicable"


def test_c8_is_inconclusive_when_the_papers_label_is_possible_within_the_intervals():
    # 6 prompts explode (PPL x10), 4 turn to loops: ratio 10 [1, 10], newly degenerate 0.4
    # [0.12, 0.74]. A low ratio with a high share, inside both intervals, is "repetitive".
    run = grid(text=lambda c: LOOP if c.a >= 0.05 and c.i < 2 else PLAIN,
               ppl=lambda c: 100.0 if c.a >= 0.05 and c.i >= 2 else 10.0, n=5)
    check = regime(run, "repetitive")
    d = check.details
    assert d.ppl_ratio_interval[0] < th.EXPLOSIVE_PPL_RATIO < d.ppl_ratio_interval[1]
    assert d.newly_degenerate_interval[0] < th.DEGENERATE_SHARE < d.newly_degenerate_interval[1]
    assert check.verdict == "inconclusive"


def test_degeneration_counts_against_the_unsteered_text_of_the_same_prompt():
    # Prompts 0 loop unsteered already: at 0.05 every prompt loops, but only the others turned.
    run = grid(text=lambda c: LOOP if c.a >= 0.05 or c.i == 0 else PLAIN, n=4)
    assert newly_degenerate(run, "emotion", 0.05) == (6, 6)
    s = regime_summary(run)
    assert s.degenerate_unsteered == 0.25 and s.degenerate_share == 1.0 and s.newly_degenerate == 1.0


def test_newline_only_texts_are_newly_degenerate_and_get_no_perplexity():
    """The smollm2 chat case: 12 of 20 continuations at 0.05 are only newlines, which a scorer
    finds very likely (low perplexity). They are degenerate (blank), and the median perplexity
    is the non-blank texts'."""
    def blank(c: At) -> bool:
        return c.a == 0.05 and c.direction == "emotion" and c.i < 6

    run = grid(text=lambda c: "\n\n\n\n" if blank(c) else PLAIN, ppl=lambda c: 1.2 if blank(c) else 20.0, n=10)
    hi = run.select("emotion", 0.05)
    assert sum(r.stats["blank"] for r in hi) == 12
    assert newly_degenerate(run, "emotion", 0.05) == (12, 20)
    s = regime_summary(run)
    assert s.newly_degenerate == pytest.approx(0.6) and s.degenerate_share == pytest.approx(0.6)
    assert s.kinds_high["blank"] == 12 and s.blank_texts["0.05"] == 12 and s.blank_texts["0.02"] == 0
    assert median_ppl(hi) == 20.0 and s.ppl_high == 20.0  # not the median of 1.2s and 20s
    assert s.ppl_by_strength["0.05"] == 20.0


def test_c8_is_inconclusive_when_the_label_turns_on_scoring_the_blank_texts():
    """The SmolLM2 case: at 0.05 nearly every text is a newline run. Left out of the perplexity,
    the rest read as repetitive; scored, as the paper's procedure scores every text, the newline
    runs' perplexity makes the ratio explosive. Neither label is earned over the other."""
    def blank(c: At) -> bool:
        return c.a == 0.05 and c.direction == "emotion" and c.i < 9

    run = grid(text=lambda c: "\n\n\n\n" if blank(c) else PLAIN, ppl=lambda c: 5000.0 if blank(c) else 10.0, n=10)
    s = regime_summary(run)
    assert s.regime == "repetitive" and s.ppl_ratio == 1.0 and s.ppl_ratio_blank_scored == 500.0
    for paper in ("explosive", "repetitive"):
        check = regime(run, paper)
        assert check.verdict == "inconclusive", paper
        assert "with blank texts scored: explosive, repetitive" in check.reason
    assert regime(run, "surgical").verdict == "does not hold"  # reachable under neither reading
    # The random direction is read both ways too: in the paper's regime under either, the label
    # says nothing about emotion steering.
    def random_blank(c: At) -> bool:
        return c.a == 0.05 and c.direction == "random" and c.i < 9

    exploding = grid(text=lambda c: "\n\n\n\n" if random_blank(c) else PLAIN, n=10,
                     ppl=lambda c: 5000.0 if random_blank(c) else 500.0 if c.a >= 0.05 and c.direction == "emotion"
                     else 10.0)
    check = regime(exploding, "explosive")
    assert check.details.random_regime == "repetitive" and check.details.random_regime_blank_scored == "explosive"
    assert check.verdict == "uninformative" and "repetitive (explosive with blank texts scored)" in check.reason
    # Blank texts the scorer rates like the rest do not move the label: still decided.
    calm = grid(text=lambda c: "\n\n\n\n" if blank(c) else PLAIN, ppl=lambda c: 10.0, n=10)
    assert regime(calm, "explosive").verdict == "does not hold"


# C9


def test_c9_is_a_safety_statement_over_the_prompts_healthy_unsteered():
    # 20 prompts (the protocol's size): none breaks at 0.005 and the perplexity stays low, while
    # the same test fails at 0.05 where every text loops -> holds.
    def loops_high(c):
        return LOOP if c.a >= th.REGIME_HIGH else PLAIN

    near = safe_strength(grid(text=loops_high, ppl=lambda c: 10.5 if c.a == th.SAFE_STRENGTH else 10.0, n=10))
    assert near.verdict == "holds" and near.value == 0.0 and near.details.n_readable == 20
    assert [c.passes for c in near.controls] == [None, False]
    # Nothing breaks even at 0.05: the test cannot tell steering from none -> uninformative.
    blind = safe_strength(grid(ppl=lambda c: 10.5 if c.a == th.SAFE_STRENGTH else 10.0, n=10))
    assert blind.verdict == "uninformative" and blind.controls[1].passes is True
    assert near.details.ppl_safe == 10.5 and near.details.broken_interval[1] < th.SAFE_MAX_BROKEN
    # Perplexity beyond the cap (Table 5's worst at 0.005), every interval: ruled out.
    far = safe_strength(grid(ppl=lambda c: 100.0 if c.a == th.SAFE_STRENGTH else 10.0, n=10))
    assert far.verdict == "does not hold" and far.ruled_out.name.startswith("median perplexity")
    # Every prompt breaks: ruled out by the broken share's interval.
    loops = safe_strength(grid(text=lambda c: LOOP if c.a == th.SAFE_STRENGTH else PLAIN, n=10))
    assert loops.details.broken == 20 and loops.verdict == "does not hold"
    # Three of twenty break: the interval [0.03, 0.38] straddles the cut.
    some = safe_strength(grid(text=lambda c: LOOP if (c.a == th.SAFE_STRENGTH and c.i < 2 and c.sign > 0)
                              or (c.a == th.SAFE_STRENGTH and c.i == 0 and c.sign < 0) else PLAIN, n=10))
    assert some.details.broken == 3 and some.verdict == "inconclusive"
    # Prompts that loop unsteered and heal are shown, never netted against those that break.
    healing = safe_strength(grid(text=lambda c: LOOP if (c.a == 0 and c.i < 5) or (c.a == th.SAFE_STRENGTH and c.i >= 5)
                                 else PLAIN, n=10))
    assert healing.details.healed == 10 and healing.details.broken == 10 and healing.details.n_readable == 10
    assert healing.verdict == "does not hold"


# C10

HAN = "我们找了很多朋友"  # 8 Han characters
SEES = ScriptControl(("p",), ("他们说了很多很多话，我们都听见了，大家都很高兴",), (22,))  # the count sees Han
BLIND = ScriptControl(("p",), ("plain words only",), (0,))  # the model writes no Han at all


def strong(c: At) -> bool:
    """A strength the random direction also runs at: C10 reads every one of them."""
    return c.a in th.RANDOM_STRENGTHS


def test_c10_a_leak_beyond_its_controls_holds_for_qwen_only():
    leaky = grid(text=lambda c: f"{HAN} plain words {c.scenario} {c.i}" if c.direction == "emotion" and strong(c)
                 else PLAIN, n=3)
    check = cross_lingual(leaky, True, SEES)
    assert check.verdict == "holds" and check.controls[0].passes is False  # beats the random direction
    d = check.details
    assert d.strengths == list(th.RANDOM_STRENGTHS)
    assert d.scripts["emotion"]["han"] == 8 * 6 * len(d.strengths) and d.scripts["random"]["han"] == 0
    assert all(v["leaks"] for v in d.by_strength.values())
    refuted = cross_lingual(leaky, False, SEES)
    assert refuted.verdict == "does not hold" and refuted.ruled_out.interval[0] > 0
    assert "Holm" in refuted.ruled_out.how


def test_c10_an_absence_needs_the_positive_control():
    clean = grid(n=10)  # the protocol's 20 prompts, no Han anywhere
    holds = cross_lingual(clean, False, SEES)
    assert holds.verdict == "holds" and any(c.passes is False for c in holds.controls)
    ruled = cross_lingual(clean, True, SEES)  # Qwen writes no Han: 0/20 prompts, interval [0, 0.17]
    assert ruled.verdict == "does not hold" and ruled.ruled_out.interval[1] < th.CJK_MIN_PROMPTS / 20
    for expects in (True, False):  # a model that writes no Han even continuing Chinese prose
        blind = cross_lingual(clean, expects, BLIND)
        assert blind.verdict == "not applicable" and "never saw Han" in blind.reason


def test_c10_prompts_with_the_same_looped_text_count_once():
    """A vector that collapses every prompt onto one looped Han token is one observation: the
    prompts' texts are word for word the same, so they are not five independent leaks."""
    looped = grid(text=lambda c: "掩" * 50 if c.direction == "emotion" and strong(c) else PLAIN, n=3)
    d = cross_lingual(looped, True, SEES)
    assert d.details.scripts["emotion"]["han"] >= th.CJK_MIN_CHARS
    assert d.details.prompts_with["emotion"]["han"] == 1 and d.details.evidence == "unclear"
    assert d.verdict == "inconclusive"


def test_c10_is_uninformative_when_the_random_direction_leaks_as_much():
    both = grid(text=lambda c: f"{HAN} plain words {c.scenario} {c.i}" if strong(c) else PLAIN,
                n=3)  # emotion and random
    d = cross_lingual(both, True, SEES)
    assert d.details.scripts["emotion"]["han"] >= th.CJK_MIN_CHARS
    assert d.details.prompts_with["emotion"]["han"] >= th.CJK_MIN_PROMPTS
    assert d.holds and d.verdict == "uninformative"
    assert all(v["p_beats_random"] == 1.0 for v in d.details.by_strength.values())


def test_c10_a_leak_needs_enough_characters_in_enough_texts():
    one = grid(text=lambda c: "plain words 我们找了很好" if (c.direction, c.scenario, c.i, c.a) ==
               ("emotion", "up", 0, 0.05) else PLAIN, n=10)
    check = cross_lingual(one, False, SEES)
    assert check.details.scripts["emotion"]["han"] == 6 and check.details.prompts_with["emotion"]["han"] == 1
    assert check.verdict == "holds"
    assert cross_lingual(one, True, SEES).verdict == "does not hold"  # 1/20 prompts: [0.001, 0.25)
    # Plenty of characters, but from too few prompts: evidence short of the rule, either way.
    two = grid(text=lambda c: HAN * 2 + c.scenario if (c.direction, c.i, c.a) == ("emotion", 0, 0.05) else PLAIN,
               n=10)
    d = cross_lingual(two, True, SEES).details
    assert d.scripts["emotion"]["han"] == 32 and d.prompts_with["emotion"]["han"] == 2 < th.CJK_MIN_PROMPTS
    assert d.evidence == "unclear"
    assert cross_lingual(two, False, SEES).verdict == "inconclusive"
    assert cross_lingual(two, True, SEES).verdict == "inconclusive"
    # One prompt leaking at several strengths is several texts but still one prompt.
    twice = grid(text=lambda c: HAN * 2 if c.direction == "emotion" and c.i == 0 and c.scenario == "up"
                 and strong(c) else PLAIN, n=3)
    assert cross_lingual(twice, False, SEES).details.prompts_with["emotion"]["han"] == 1


def test_c10_reads_every_strength_with_the_holm_correction():
    # Han only at 0.02 (below the strong strengths the old rule read), from every prompt.
    low = grid(text=lambda c: f"{HAN} words {c.scenario} {c.i}" if c.direction == "emotion" and c.a == 0.02
               else PLAIN, n=10)
    d = cross_lingual(low, True, SEES).details
    assert d.by_strength["0.02"]["leaks"] and not d.by_strength["0.05"]["leaks"]
    # The strength read first in Holm's order is read at alpha / m, the next at alpha / (m - 1).
    levels = sorted(v["level"] for v in d.by_strength.values())
    assert levels[-1] == pytest.approx(1 - th.CONTROL_ALPHA / len(th.RANDOM_STRENGTHS))


def test_c10_hangul_is_counted_but_is_not_a_han_leak():
    korean = grid(text=lambda c: f"한국어 텍스트 plain words {c.scenario} {c.i}" if c.direction == "emotion" and strong(c)
                  else PLAIN, n=3)
    check = cross_lingual(korean, False, SEES)
    assert check.verdict == "holds"
    d = check.details
    n_texts = 6 * len(d.strengths)
    assert d.scripts["emotion"] == {"han": 0, "kana": 0, "hangul": 6 * n_texts, "other": 0}
    assert d.prompts_with["emotion"]["hangul"] == 6 and f"hangul {6 * n_texts} chars from 6 prompts" in check.reason
    assert d.examples and "한국어" in d.examples[0]


# C13


def collapsing(points: dict[tuple[str, str, int], float]) -> Fn:
    """Texts that turn blank from each (rule, length, prompt index)'s collapse point on."""
    def text(c: At) -> str:
        start = points.get((c.rule, c.length, c.i))
        return "\n\n\n" if c.direction == "emotion" and start is not None and c.a >= start else PLAIN
    return text


def test_c13_holds_when_only_the_papers_scale_moves_the_collapse_point_with_prompt_length(monkeypatch):
    # Paper's scale: long prompts collapse at a strength 6x (prompts 0, 2) or 5x (prompt 1)
    # higher; sink-robust scale: at the same strength short and long. Three prompts per
    # scenario (six in all), since C13 needs at least th.SCALE_MIN_PROMPTS.
    monkeypatch.setattr(th, "SCALE_PROMPTS_PER_SCENARIO", 3)
    points = {("paper", "short", 0): 0.05, ("paper", "long", 0): 0.3, ("paper", "short", 1): 0.12,
              ("paper", "long", 1): 0.6, ("paper", "short", 2): 0.05, ("paper", "long", 2): 0.3,
              ("sink-robust", "short", 0): 0.12, ("sink-robust", "long", 0): 0.12,
              ("sink-robust", "short", 1): 0.3, ("sink-robust", "long", 1): 0.3,
              ("sink-robust", "short", 2): 0.12, ("sink-robust", "long", 2): 0.12}
    run = grid(scale=True, n=3, text=collapsing(points))
    check = scale_and_length(run)
    assert check.verdict == "holds"
    d = check.details
    assert d.n_prompts == 6 and d.censored == {"paper": 0, "sink-robust": 0}
    assert d.collapse["paper"] == {"short": 0.05, "long": 0.3}
    assert d.collapse["sink-robust"] == {"short": 0.12, "long": 0.12}
    assert d.shift["sink-robust"][0] == 0.0
    assert check.value == pytest.approx((2 * math.log2(6) + math.log2(5)) / 3)
    # The no-collapse range reads every strength run on those short prompts under the rule (the
    # paper's rule: the main grid's finer sweep too).
    paper_swept = sorted(a for a in {*th.STRENGTHS, *th.SCALE_STRENGTHS} if 0 < a < 0.05)
    robust_swept = [a for a in th.SCALE_STRENGTHS if a < 0.12]
    assert d.safe_range == {"paper": [paper_swept[0], paper_swept[-1]],
                            "sink-robust": [robust_swept[0], robust_swept[-1]]}
    # The same pattern on four prompts is too few texts to decide.
    monkeypatch.setattr(th, "SCALE_PROMPTS_PER_SCENARIO", 2)
    assert scale_and_length(grid(scale=True, text=collapsing(points))).verdict == "inconclusive"


def test_c13_does_not_hold_when_both_scales_shift_alike(monkeypatch):
    monkeypatch.setattr(th, "SCALE_PROMPTS_PER_SCENARIO", 3)
    same = {(rule, length, i): a for rule in ("paper", "sink-robust") for i in (0, 1, 2)
            for length, a in (("short", 0.05), ("long", 0.3))}
    check = scale_and_length(grid(scale=True, n=3, text=collapsing(same)))
    assert check.value == 0.0 and check.verdict == "does not hold"


def test_c13_collapse_must_persist_and_prompts_degenerate_unsteered_are_left_out():
    # Prompt 1's long text is blank unsteered: not a healthy prompt. The paper's short texts are
    # blank only at 0.05 (no collapse: they recover), censored at twice the top strength.
    def text(c: At) -> str:
        if c.direction != "emotion":
            return PLAIN
        if c.length == "long" and c.i == 1 and c.a == 0:
            return "\n"
        return "\n\n" if c.rule == "paper" and c.length == "short" and c.a == 0.05 else PLAIN

    check = scale_and_length(grid(scale=True, text=text))
    d = check.details
    assert d.n_prompts == 2 and d.censored == {"paper": 2, "sink-robust": 2}
    assert d.collapse["paper"]["short"] == 0.05  # the set-level point reads one strength only
    assert check.value == 0.0


def test_a_degenerate_steered_text_neither_moves_the_readout_nor_flips():
    # Every emotion-steered text at the judged strength is a loop: its readout and target move
    # the scenario's way, but a collapsed text carries no emotion a reader could see.
    looped = grid(readout=only("emotion", towards), target=only("emotion", rising, 0.5), n=5,
                  text=lambda c: LOOP if c.direction == "emotion" and c.a == th.SCENARIO_STRENGTH else PLAIN)
    c5 = moves_check(looped)
    assert c5.details.n == 0 and c5.verdict == "inconclusive"  # nothing readable: not "not moved"
    assert c5.details.moved_any_text == 10 and c5.details.degenerate_steered == 10 == c5.details.n_readable
    c6 = classifier_flips(looped)
    assert c6.verdict == "inconclusive" and c6.details.collapsed == 10 and c6.details.flips_any_text == 10


def test_two_runs_merged_pool_c6_as_one_run_over_both_models(tmp_path):
    """A merge rebuilds the pooled record from the per-model records and gets what a run over
    both models records (through results.json, as the CLI reads it)."""
    from harness.claims.base import Finding, to_record
    from harness.claims.c06_classifier_flips import C6
    from harness.report.merge import merge_runs
    from harness.report.results import read_results, write_results

    def b_target(c: At) -> float:  # random flips on even prompts, the emotion vector on prompts 0-3
        moves = (c.direction == "random" and c.i % 2 == 0) or (c.direction == "emotion" and c.i < 4)
        return 0.5 + c.sign * c.a if moves else 0.5

    runs = [replace(grid(target=only("emotion", rising, 0.5), n=6), model="a"),
            replace(grid(target=b_target, n=6), model="b")]
    ctx = {"method": "chat", "profile": "paper", "stimuli": "s" * 12, "scenarios": "x" * 12}
    per_model = {r.model: to_record("C6", r.model, Finding(C6.metric, classifier_flips(r), ctx, None)) for r in runs}
    name, pooled = pooled_flips(runs, "chat", "paper", None)
    assert pooled.check.details.mcnemar["random_only"] > 0 and pooled.check.details.flips > 0
    run = {"protocol_version": 1, "profile": "paper", "models": {"a": {}, "b": {}}}
    write_results(tmp_path / "ab" / "results.json", run, [*per_model.values(), to_record("C6", name, pooled)])
    for m, rec in per_model.items():
        write_results(tmp_path / m / "results.json", {**run, "models": {m: {}}}, [rec])
    merged_run, merged, excerpts = merge_runs([tmp_path / "a", tmp_path / "b"])
    write_results(tmp_path / "merged" / "results.json", merged_run, merged, excerpts)

    def read(d: str) -> list[dict]:
        return sorted((r.to_dict() for r in read_results(tmp_path / d / "results.json")[1]),
                      key=lambda r: (r["model"], r["metric"]))

    assert read("merged") == read("ab")
    assert [r.model for r in merged] == ["a", "b", "pooled(a,b)"]


def test_a_batch_past_the_logits_budget_is_scored_in_parts_with_the_same_results(monkeypatch):
    from harness.runtime import readout

    h = tiny_handle("gemma3_text")
    prompts, conts = random_prompts(5, seed=5), random_prompts(5, seed=6)
    dirs = torch.nn.functional.normalize(torch.randn(5, h.d_model, generator=torch.Generator().manual_seed(2)),
                                         dim=-1)
    whole = reread(h, prompts, conts, dirs, layer=1, batch_size=5)
    vocab = h.model.config.get_text_config().vocab_size
    monkeypatch.setattr(readout, "LOGITS_BUDGET_BYTES", 2 * 12 * vocab * 4)  # two rows of <= 12 positions
    splits = []
    split = readout.Batch.split
    monkeypatch.setattr(readout.Batch, "split", lambda self, n: splits.append(n) or split(self, n))
    parts = reread(h, prompts, conts, dirs, layer=1, batch_size=5)
    assert splits and max(splits) <= 2
    for w, p in zip(whole, parts, strict=True):
        assert p.nll == pytest.approx(w.nll, rel=1e-5) and p.projection == pytest.approx(w.projection, rel=1e-5)
        assert p.n_tokens == w.n_tokens
