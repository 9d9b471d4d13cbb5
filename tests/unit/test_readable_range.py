"""The readable range: contiguous from the smallest strength, READABLE_SHARE of the healthy-unsteered
prompts kept healthy, read off the steered texts."""

from __future__ import annotations

import math

import pytest

from harness import thresholds as th
from harness.claims.text_health import readable_range
from harness.report.readable import readable_rows, sweep_columns, sweep_counts


@pytest.mark.parametrize("shares, top", [
    ({0.001: 1.0, 0.002: 0.9, 0.005: th.READABLE_SHARE, 0.01: 0.5, 0.02: 0.9}, 0.005),  # 0.02 is not contiguous
    ({0.005: 0.7, 0.01: 1.0}, None),  # the smallest strength already breaks too many
    ({0.005: 1.0, 0.01: math.nan, 0.02: 1.0}, 0.005),  # no prompt to read ends the range
    ({0.01: 1.0, 0.005: 1.0}, 0.01),  # order of the mapping does not matter
    ({}, None),
])
def test_readable_range_is_contiguous_from_the_smallest_strength(shares, top):
    assert readable_range(shares) == top


def _excerpt(prompt: int, strength: float, degenerate: str | None, **kw) -> dict:
    return {"model": "m", "prompting": "raw", "direction": "emotion", "length": "short", "rule": "paper",
            "scenario": "s", "prompt_index": prompt, "strength": strength, "degenerate": degenerate} | kw


def test_readable_rows_count_only_prompts_healthy_unsteered_and_the_emotion_sweep():
    excerpts = [
        *(_excerpt(i, 0.0, None) for i in range(4)), _excerpt(4, 0.0, "loop"),  # prompt 4: unhealthy unsteered
        *(_excerpt(i, 0.005, None) for i in range(5)),
        *(_excerpt(i, 0.01, None if i < 3 else "blank") for i in range(5)),  # 3/4 < 0.8
        *(_excerpt(i, 0.02, None) for i in range(5)),
        _excerpt(0, 0.3, None),  # C13's strengths (a subset of the prompts) are not the sweep
        *(_excerpt(i, 0.01, "loop", direction="random") for i in range(4)),  # controls are not counted
        *(_excerpt(i, 0.01, "loop", rule="sink-robust") for i in range(4)),
    ]
    (row,) = readable_rows(excerpts)
    assert row[:4] == ["m", "raw", "neutral-baseline, middle block", 4]
    assert sweep_columns(sweep_counts(excerpts)) == [0.005, 0.01, 0.02]
    by_strength = dict(zip([0.005, 0.01, 0.02], row[4:-1], strict=True))
    assert by_strength[0.005] == "4/4" and by_strength[0.01] == "3/4" and by_strength[0.02] == "4/4"
    assert row[-1] == "up to 0.005"
    (broken,) = readable_rows([_excerpt(0, 0.0, None), _excerpt(0, 0.005, "loop")])
    assert broken[-1] == "below 0.005 (the smallest strength run)"


def test_the_platform_arm_gets_its_own_readable_row_over_the_same_unsteered_texts():
    excerpts = [
        *(_excerpt(i, 0.0, None) for i in range(5)),
        *(_excerpt(i, a, None) for i in range(5) for a in (0.001, 0.002, 0.005)),
        *(_excerpt(i, 0.001, None, direction="platform") for i in range(5)),
        *(_excerpt(i, 0.002, None if i < 3 else "loop", direction="platform") for i in range(5)),  # 3/5 < 0.8
        *(_excerpt(i, 0.005, None, direction="platform") for i in range(5)),
    ]
    emotion, platform = readable_rows(excerpts)
    assert emotion[2].startswith("neutral-baseline") and emotion[-1] == "up to 0.005"
    assert platform[2].startswith("platform") and platform[3] == 5
    assert platform[4:-1] == ["5/5", "3/5", "5/5"] and platform[-1] == "up to 0.001"
    assert sweep_counts(excerpts, "platform")[("m", "raw")][1][0.002] == [3, 5]
