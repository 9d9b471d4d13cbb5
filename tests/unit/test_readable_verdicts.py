"""The readable grid and the verdicts read inside a model's readable range (C5-C7 at the readable
strength, against controls at the same strength; the platform's vectors beside)."""

from __future__ import annotations

import pytest
from steering_support import LOOP, PLAIN, At, grid, only, recognition, rising, towards

from harness import thresholds as th
from harness.claims.c05_steering_moves_target import moves_check
from harness.claims.c06_classifier_flips import classifier_flips
from harness.claims.c07_dose_response import readable_dose
from harness.claims.readable_strength import at_readable, has_readable_grid, readable_strength
from harness.experiments.steering_grid import GRIDS, grid_cells, grid_for
from harness.protocol import get_profile

READABLE = GRIDS["readable"]


def broken_from(a: float):
    """Every steered text from strength ``a`` up loops; below it every text is plain."""
    return lambda c: LOOP if c.a >= a - 1e-12 else PLAIN


def test_profiles_name_their_grid_and_the_full_grid_runs_every_control_below_collapse():
    assert grid_for(get_profile("paper")) is GRIDS["paper"] and GRIDS["paper"].scale == "prefill"
    assert grid_for(get_profile("full")) is READABLE and READABLE.scale == "running"
    prompts = [(None, 0, "p"), (None, 1, "q")]
    cells = grid_cells(prompts, "chat", grid=READABLE)
    have = {(c.direction, c.strength) for c in cells}
    for d in ("random", "opposite", "centred", "platform", "platform_opposite"):
        assert {a for dd, a in have if dd == d} >= set(th.READABLE_CONTROL_STRENGTHS), d
    assert {a for d, a in have if d == "emotion"} == {0.0, *th.LOG_SWEEP}
    # Every cell of the paper grid is a cell of the readable grid: the paper-strength rows read the same cells.
    paper = {(c.k, c.direction, c.strength) for c in grid_cells(prompts, "chat")}
    assert paper <= {(c.k, c.direction, c.strength) for c in cells}
    assert min(th.READABLE_CONTROL_STRENGTHS) == min(th.LOG_SWEEP) == 0.001


@pytest.mark.parametrize("breaks, top, judged", [(0.005, 0.003, 0.002), (0.02, 0.01, 0.01), (0.0075, 0.005, 0.005),
                                                 (0.001, None, None)])
def test_the_readable_strength_is_the_largest_control_strength_inside_the_range(breaks, top, judged):
    run = grid(text=lambda c: broken_from(breaks)(c) if c.a > 0 else PLAIN, n=3, steer_grid=READABLE)
    r = readable_strength(run, "emotion", ("random", "opposite"))
    assert (r.top, r.strength) == (top, judged)
    assert r.shares[0.001] == (0.0 if breaks == 0.001 else 1.0)


def test_the_paper_grid_has_no_readable_rows():
    assert not has_readable_grid(grid()) and has_readable_grid(grid(steer_grid=READABLE))


def test_c5_at_the_readable_strength_beats_controls_at_that_strength_and_can_fail_both_ways():
    text = broken_from(0.02)  # readable up to 0.01
    ok = grid(readout=only("emotion", towards), text=text, n=6, steer_grid=READABLE)
    check, ctx = at_readable(ok, "emotion", ("random", "opposite"), lambda a: moves_check(ok, a))
    assert check.verdict == "holds" and check.details.strength == 0.01 and ctx["readable_strength"] == 0.01
    assert [c["n"] for c in check.details.paired_controls] == [12, 12]
    assert "emotion vectors: readable range up to 0.01" in check.reason
    # Any direction moving the readout the same way there: the control passes the same test.
    same = grid(readout=towards, text=text, n=6, steer_grid=READABLE)
    check, _ = at_readable(same, "emotion", ("random", "opposite"), lambda a: moves_check(same, a))
    assert check.verdict == "uninformative"
    # Moving the other way: ruled out at the readable strength (the test reaches "does not hold").
    wrong = grid(readout=only("emotion", lambda c: -towards(c)), text=text, n=6, steer_grid=READABLE)
    check, _ = at_readable(wrong, "emotion", ("random", "opposite"), lambda a: moves_check(wrong, a))
    assert check.verdict == "does not hold"


def test_without_a_readable_strength_the_row_is_inconclusive_whatever_it_reads():
    run = grid(readout=only("emotion", towards), text=lambda c: LOOP if c.a > 0 else PLAIN, n=6,
               steer_grid=READABLE)
    check, ctx = at_readable(run, "emotion", ("random", "opposite"), lambda a: moves_check(run, a))
    assert check.verdict == "inconclusive" and ctx["readable_strength"] is None
    assert check.reason.startswith("emotion vectors: no readable strength")


def test_platform_rows_read_their_own_readout_and_their_own_opposite():
    moved = grid(readout_platform=only("platform", towards), n=6, steer_grid=READABLE)
    check = moves_check(moved, th.SCENARIO_STRENGTH, "platform")
    assert check.verdict == "holds"
    assert [c["name"] for c in check.details.paired_controls] == ["random direction", "opposite emotion"]
    # The middle-block readout moving says nothing about the platform row.
    middle = grid(readout=only("platform", towards), n=6, steer_grid=READABLE)
    assert moves_check(middle, th.SCENARIO_STRENGTH, "platform").verdict == "does not hold"
    # Its opposite-emotion control is the opposite emotion's platform vector.
    opposite = grid(readout_platform=only(("platform", "platform_opposite"), towards), n=6, steer_grid=READABLE)
    assert moves_check(opposite, th.SCENARIO_STRENGTH, "platform").verdict == "uninformative"


def test_c6_at_the_readable_strength_against_the_random_direction_there():
    recog = recognition(happy=True, calm=True)
    run = grid(target=only("emotion", rising, 0.5), text=broken_from(0.02), n=8, steer_grid=READABLE)
    check, _ = at_readable(run, "emotion", ("random",), lambda a: classifier_flips(run, recog, a))
    assert check.details.strength == 0.01 and (check.details.flips, check.details.n) == (16, 16)
    assert check.verdict == "holds"  # 16/16: interval 0.79-1, consistent with the paper's 92%
    same = grid(target=rising, text=broken_from(0.02), n=8, steer_grid=READABLE)
    check, _ = at_readable(same, "emotion", ("random",), lambda a: classifier_flips(same, recog, a))
    assert check.verdict == "uninformative" and check.details.random_flips == 16


def test_c6_pooled_at_each_models_readable_strength_leaves_out_models_with_nothing_readable(tmp_path):
    from dataclasses import replace

    from harness.claims.base import Finding, to_record
    from harness.claims.c06_classifier_flips import (
        C6,
        PLATFORM_METRIC_C6,
        flips_table,
        pooled_readable_records,
    )
    from harness.claims.readable_strength import LABEL
    from harness.report.merge import merge_runs
    from harness.report.results import write_results

    recog = recognition(happy=True, calm=True)
    metric = f"{C6.metric} {LABEL}"
    ctx = {"method": "chat", "profile": "full", "stimuli": "s" * 12, "scenarios": "x" * 12}

    def readable_record(model: str, breaks: float):
        run = replace(grid(target=only("emotion", rising, 0.5), text=broken_from(breaks), n=8, steer_grid=READABLE),
                      model=model)
        check, extra = at_readable(run, "emotion", ("random",), lambda a: classifier_flips(run, recog, a))
        return to_record("C6", model, Finding(metric, check, {**ctx, **extra}, None))

    a, b, none = readable_record("a", 0.02), readable_record("b", 0.0075), readable_record("c", 0.001)
    assert (a.details["readable_strength"], b.details["readable_strength"], none.details["readable_strength"]) == \
        (0.01, 0.005, None)
    (pooled,) = pooled_readable_records([a, b, none])
    assert pooled.model == "pooled(a,b)" and pooled.metric == metric
    assert pooled.details["strengths"] == {"a": 0.01, "b": 0.005} and pooled.value == 1.0
    assert (pooled.details["flips"], pooled.details["n"]) == (32, 32) and pooled.verdict == "holds"
    assert "each model's readable strength (a 0.01, b 0.005)" in pooled.details["reason"]
    assert pooled_readable_records([a, none]) == []  # one model with a readable strength: no pool
    assert "emotion @ each model's readable strength (a 0.01, b 0.005)" in flips_table([a, b, pooled], {})
    # The platform arm pools alike and its table row and reason name its vectors (a pooled record carries no
    # direction field of its own).
    pa, pb = (replace(r, metric=f"{PLATFORM_METRIC_C6} {LABEL}") for r in (a, b))
    (platform,) = [r for r in pooled_readable_records([a, b, pa, pb]) if r.metric.startswith(PLATFORM_METRIC_C6)]
    assert "the platform vectors at each model's readable strength" in platform.details["reason"]
    table = flips_table([a, b, pa, pb, pooled, platform], {})
    assert "platform @ each model's readable strength (a 0.01, b 0.005)" in table
    assert table.count("emotion @ each model's readable strength") == 1
    run = {"protocol_version": 1, "profile": "full"}
    for r in (a, b):
        write_results(tmp_path / r.model / "results.json", {**run, "models": {r.model: {}}}, [r])
    _, merged, _ = merge_runs([tmp_path / "a", tmp_path / "b"])
    assert [r.to_dict() for r in merged if r.model == "pooled(a,b)"] == [pooled.to_dict()]


def test_c7_inside_the_readable_range_needs_three_strengths():
    recog = recognition(happy=True, calm=True)

    def target(c: At) -> float:
        return rising(c) if c.direction == "emotion" else 0.5

    wide = grid(target=target, text=broken_from(0.02), n=6, steer_grid=READABLE)  # 0.001-0.01: six strengths
    check, ctx = readable_dose(wide, recog, "fake", "emotion")
    assert check.verdict == "holds" and check.details.judged == [0.001, 0.002, 0.003, 0.005, 0.0075, 0.01]
    assert check.details.control_strengths == [0.001, 0.002, 0.005, 0.01] and ctx["readable_range_top"] == 0.01
    narrow = grid(target=target, text=broken_from(0.003), n=6, steer_grid=READABLE)  # 0.001-0.002: two
    check, _ = readable_dose(narrow, recog, "fake", "emotion")
    assert check.verdict == "inconclusive" and "fewer than 3 strengths" in check.reason
    flat = grid(target=lambda c: 0.5 - c.sign * c.a if c.direction == "emotion" else 0.5, text=broken_from(0.02),
                n=6, steer_grid=READABLE)
    assert readable_dose(flat, recog, "fake", "emotion")[0].verdict == "does not hold"


def test_each_vector_is_judged_inside_its_own_readable_range():
    """The platform's vectors break text sooner here (from 0.005) than the neutral-baseline ones
    (from 0.02): each arm's row sits inside its own range."""
    def text(c: At) -> str:
        breaks = 0.005 if c.direction.startswith("platform") else 0.02
        return LOOP if c.a >= breaks else PLAIN

    run = grid(text=text, readout_platform=only("platform", towards), n=6, steer_grid=READABLE)
    assert readable_strength(run, "emotion", ("random", "opposite")).strength == 0.01
    r = readable_strength(run, "platform", ("random", "platform_opposite"))
    assert (r.top, r.strength) == (0.002, 0.002)
    check, _ = at_readable(run, "platform", ("random", "platform_opposite"),
                           lambda a: moves_check(run, a, "platform"))
    assert check.details.strength == 0.002 and check.verdict == "holds"


def test_the_grid_strengths_leave_out_c13s_extra_strengths():
    raw = grid(scale=True, n=3, steer_grid=READABLE)  # C13 adds 0.3 and 0.6 on two raw prompts of three
    assert raw.strengths("emotion") == [0.0, *th.LOG_SWEEP]
    assert 0.3 not in readable_strength(raw, "emotion", ("random",)).shares


def test_the_dose_plot_draws_healthy_texts_apart_from_collapsed_ones(tmp_path):
    import math

    from harness.claims.base import Finding, to_record
    from harness.claims.c07_dose_response import C7, dose_response, dose_response_plots

    run = grid(target=only("emotion", rising, 0.5), text=broken_from(0.02), n=4, steer_grid=READABLE)
    curves = dose_response(run).details.per_scenario["up"]
    sweep = run.strengths("emotion")
    broken = [a for a, c in zip(sweep, curves["newly_collapsed"], strict=True) if c == 1.0]
    assert broken == [a for a in sweep if a >= 0.02]
    assert all(math.isnan(v) for v, a in zip(curves["target_read"], sweep, strict=True) if a in broken)
    assert curves["target_read"][sweep.index(0.01)] == 0.51  # below collapse: the healthy texts' own mean
    assert curves["n_read"][sweep.index(0.01)] == curves["n_base"]
    rec = to_record("C7", "m", Finding(C7.metric, dose_response(run), {"method": "chat"}, None))
    (path,) = dose_response_plots([rec], tmp_path).values()
    assert (tmp_path / path).stat().st_size > 0


@pytest.mark.parametrize("k, n, verdict", [(0, 2, "inconclusive"), (4, 8, "inconclusive"), (0, 12, "inconclusive"),
                                           (0, 13, "does not hold"), (13, 13, "holds")])
def test_c6_never_rules_out_at_a_count_that_could_not_have_shown_the_paper_rate(k, n, verdict):
    from harness.claims.base import decide
    from harness.claims.c06_classifier_flips import flip_ruling

    _, passes, _, note = flip_ruling(k, n)
    assert decide(passes, []) == verdict
    assert bool(note) == (n < 13)  # 12/12 has an interval from 0.74, under FLIP_RATE_FLOOR 0.75


@pytest.mark.parametrize("k, n, collapsed, verdict", [
    (10, 21, 21, "does not hold"),  # SmolLM2 chat at 0.02: even all 21 collapsed as flips, 31/42 [0.58, 0.86]
    (10, 21, 60, "inconclusive"),   # 70/81 [0.76, 0.93] would reach the paper's rate: the survivors may mislead
    (30, 30, 0, "holds"),
    (30, 30, 10, "holds"),          # the survivors understate the rate: a pass over them stands
    (37, 40, 3, "holds"),           # the paper's own count with three collapsed texts
])
def test_c6_rules_out_only_whatever_the_collapsed_texts_would_have_read(k, n, collapsed, verdict):
    from harness.claims.base import decide
    from harness.claims.c06_classifier_flips import flip_ruling

    _, passes, _, note = flip_ruling(k, n, collapsed)
    assert decide(passes, []) == verdict
    assert ("the verdict turns on them" in note) == (verdict == "inconclusive")


def test_c5_rules_out_only_where_the_collapsed_texts_could_not_overturn_it():
    from harness.claims.c05_steering_moves_target import moves_check

    # 10 prompts per scenario, 20 healthy unsteered: at 0.02 prompts 0-6 collapse (14 texts) and
    # none of the other 6 moves the readout. 0/6 [0, 0.46] lies below one half, 14/20 does not.
    run = grid(readout=lambda c: 0.0, n=10,
               text=lambda c: LOOP if c.a == 0.02 and c.direction == "emotion" and c.i < 7 else PLAIN)
    check = moves_check(run)
    assert (check.details.moved, check.details.n, check.details.degenerate_steered) == (0, 6, 14)
    assert check.verdict == "inconclusive" and "read as moved, 14/20" in check.reason
    # Two collapse: 0/18 is ruled out and 2/20 [0.01, 0.32] still is.
    few = grid(readout=lambda c: 0.0, n=10,
               text=lambda c: LOOP if c.a == 0.02 and c.direction == "emotion" and c.i < 1 else PLAIN)
    assert moves_check(few).verdict == "does not hold"
    # A pass over the survivors stands: 6/6 moved with 14 collapsed.
    moved = grid(readout=only("emotion", lambda c: c.sign * c.a), n=10,
                 text=lambda c: LOOP if c.a == 0.02 and c.direction == "emotion" and c.i < 7 else PLAIN)
    assert moves_check(moved).details.moved == 6 and moves_check(moved).verdict == "holds"
