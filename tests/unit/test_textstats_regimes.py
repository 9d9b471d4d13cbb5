"""Degeneration statistics on constructed texts, and the regime rule against Table 5."""

from __future__ import annotations

import pytest

from harness import thresholds as th
from harness.claims.steering import classify_regime, is_degenerate
from harness.metrics.textstats import (
    cjk_share,
    distinct2,
    emoji_count,
    longest_loop,
    text_stats,
    words,
)
from harness.stimuli.loading import paper_values

FLUENT = ("She opened the window and let the cold morning air into the kitchen. The kettle began "
          "to whistle while the dog waited by the door for his walk.")


def test_fluent_text_is_not_degenerate():
    s = text_stats(FLUENT)
    assert s.distinct2 == 1.0 and s.loop_words == 0 and s.cjk_share == 0 and s.emoji == 0
    assert not is_degenerate(s.__dict__)


@pytest.mark.parametrize("text", [
    "contentment contentment contentment contentment contentment contentment",  # the paper's example
    "I am here. I am here. I am here. I am here. I am here.",
    "the sound of the sound of the sound of the sound of the sound of the sound of",
])
def test_repetition_loops_are_degenerate(text):
    s = text_stats(text)
    assert s.loop_share >= th.LOOP_SHARE_MAX
    assert is_degenerate(s.__dict__)


def test_loop_lengths():
    assert longest_loop(words("a b a b a b c")) == 6
    assert longest_loop(words("no no")) == 0  # a 1-word unit needs 3 copies
    assert longest_loop(words("no no no")) == 3
    assert longest_loop(words("go to the shop and go to the shop")) == 0  # not back to back
    assert longest_loop(words("go to the shop go to the shop")) == 8
    assert longest_loop([]) == 0


def test_distinct2():
    assert distinct2(words("a b a b")) == pytest.approx(2 / 3)
    assert distinct2(["one"]) == 1.0


def test_cjk_and_emoji_counting():
    assert cjk_share("abc") == 0
    assert cjk_share("找了 ab") == pytest.approx(0.5)  # 2 Han of 4 non-space characters
    assert cjk_share("かな カナ 한글") == 1.0
    assert cjk_share("") == 0
    assert emoji_count("so happy 😀🎉 ☀") == 3
    assert emoji_count("plain, ascii; text: (1) * 2") == 0


def test_regime_rule_reproduces_every_table5_label():
    """Table 5 gives the ratio; its footnote says the repetitive rows are repetitive-token
    output. With that degeneration flag, the rule reproduces all nine labels, and without it
    the paper's ratio alone would call the two Gemma-3 rows surgical."""
    rows = paper_values()["table5_regimes"]
    for model, row in rows.items():
        degenerate = row["regime"] == "repetitive"
        assert classify_regime(row["ratio"], degenerate) == row["regime"], model
    gemma3 = [r for m, r in rows.items() if m.startswith("gemma-3")]
    assert {classify_regime(r["ratio"], False) for r in gemma3} == {"surgical"}


def test_explosive_cut_sits_between_surgical_and_explosive_ratios():
    rows = paper_values()["table5_regimes"].values()
    surgical = max(r["ratio"] for r in rows if r["regime"] == "surgical")
    explosive = min(r["ratio"] for r in rows if r["regime"] == "explosive")
    assert surgical < th.EXPLOSIVE_PPL_RATIO < explosive
    assert classify_regime(float("nan"), False) == "surgical"


def test_loops_inside_one_word_are_caught_at_character_level():
    s = text_stats("……破破IRRIRRIRRIRRIRRIRRIRRIRRIRRIRRIRRIRRIRR")  # seen from a steered Qwen
    assert s.loop_share == 0 and s.char_loop_share > 0.9 and is_degenerate(s.__dict__)
    assert text_stats("The Mississippi is long; hahaha, said she.").char_loop_share < th.LOOP_SHARE_MAX
