"""Degeneration statistics on constructed texts, and the regime rule against Table 5."""

from __future__ import annotations

import pytest

from harness import thresholds as th
from harness.claims.c08_regime import classify_regime
from harness.metrics.textstats import (
    DEGENERATION_KINDS,
    cjk_share,
    degeneration,
    distinct2,
    emoji_count,
    is_refusal,
    longest_loop,
    script_counts,
    text_stats,
    words,
)
from harness.stimuli.loading import paper_values

FLUENT = ("She opened the window and let the cold morning air into the kitchen. The kettle began "
          "to whistle while the dog waited by the door for his walk.")


def test_fluent_text_is_not_degenerate():
    s = text_stats(FLUENT)
    assert s.distinct2 == 1.0 and s.loop_words == 0 and s.cjk_share == 0 and s.emoji == 0
    assert not (degeneration(s) is not None) and degeneration(s) is None and not s.blank


@pytest.mark.parametrize("text", [
    "contentment contentment contentment contentment contentment contentment",  # the paper's example
    "I am here. I am here. I am here. I am here. I am here.",
    "the sound of the sound of the sound of the sound of the sound of the sound of",
])
def test_repetition_loops_are_degenerate(text):
    s = text_stats(text)
    assert s.loop_share >= th.LOOP_SHARE_MAX
    assert (degeneration(s) is not None)


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
    output. With those rows' prompts turned degenerate, the rule reproduces all nine labels, and
    without it the paper's ratio alone would call the two Gemma-3 rows surgical."""
    rows = paper_values()["table5_regimes"]
    for model, row in rows.items():
        newly = 1.0 if row["regime"] == "repetitive" else 0.0
        assert classify_regime(row["ratio"], newly) == row["regime"], model
    gemma3 = [r for m, r in rows.items() if m.startswith("gemma-3")]
    assert {classify_regime(r["ratio"], 0.0) for r in gemma3} == {"surgical"}


def test_repetitive_needs_half_of_the_healthy_prompts_turned_degenerate():
    assert classify_regime(1.0, th.DEGENERATE_SHARE) == "repetitive"
    assert classify_regime(1.0, th.DEGENERATE_SHARE - 0.05) == "surgical"
    assert classify_regime(th.EXPLOSIVE_PPL_RATIO, 1.0) == "explosive"  # the ratio comes first
    assert classify_regime(float("nan"), float("nan")) == "surgical"


def test_explosive_cut_sits_between_surgical_and_explosive_ratios():
    rows = paper_values()["table5_regimes"].values()
    surgical = max(r["ratio"] for r in rows if r["regime"] == "surgical")
    explosive = min(r["ratio"] for r in rows if r["regime"] == "explosive")
    assert surgical < th.EXPLOSIVE_PPL_RATIO < explosive
    assert classify_regime(float("nan"), 0.0) == "surgical"


def test_loops_inside_one_word_are_caught_at_character_level():
    s = text_stats("……破破IRRIRRIRRIRRIRRIRRIRRIRRIRRIRRIRRIRRIRR")  # seen from a steered Qwen
    assert s.loop_share == 0 and s.char_loop_share > 0.9 and (degeneration(s) is not None)
    assert text_stats("The Mississippi is long; hahaha, said she.").char_loop_share < th.LOOP_SHARE_MAX


@pytest.mark.parametrize("text", ["\n\n\n", "   \t  \n ", "...!!! ---", "", "\n\u3002\n"])
def test_texts_without_a_word_are_blank_and_degenerate(text):
    s = text_stats(text)
    assert s.blank  # no word character (punctuation marks still count as "words" for the loop rules)
    assert degeneration(s) == "blank" and degeneration(s.__dict__) == "blank" and (degeneration(s) is not None)


def test_blank_is_the_first_degeneration_kind():
    assert DEGENERATION_KINDS[0] == "blank"
    assert not text_stats("A normal sentence about the weather, with some words in it.").blank
    assert not text_stats("42").blank and not text_stats("ok").blank


def test_a_token_loop_without_words_is_caught():
    s = text_stats("\n\n\n\n", [13] * 12)
    assert s.token_loop_share == 1.0 and (degeneration(s) is not None)
    # With a word in front, no word or character statistic sees the newline loop; the tokens do.
    s = text_stats("ok\n\n\n\n\n\n", [7, *[13] * 6])
    assert s.loop_share == 0 and s.char_loop_share == 0 and s.distinct2 == 1.0
    assert s.token_loop_share == pytest.approx(6 / 7) and degeneration(s) == "token loop"
    assert text_stats("ok fine", [7, 8]).token_loop_share == 0 and text_stats("ok").token_loop_share == 0


def test_cjk_characters_are_counted_per_script():
    text = "漢字 かなカナ 한글 and 。 text"
    assert script_counts(text) == {"han": 2, "kana": 4, "hangul": 2, "other": 0}
    # Other non-Latin letters (SmolLM2's Greek loops) are counted too; Latin accents are not.
    assert script_counts("ομαιομαι café")["other"] == 8
    s = text_stats(text)
    assert s.script_chars == {"han": 2, "kana": 4, "hangul": 2, "other": 0}
    assert s.n_chars == len(text.replace(" ", ""))
    assert s.cjk_share == pytest.approx(9 / s.n_chars)  # the ideographic full stop counts towards CJK only
    assert script_counts("plain ascii") == {"han": 0, "kana": 0, "hangul": 0, "other": 0}


def test_refusals_are_recognised_at_the_start_of_a_reply():
    assert is_refusal("I'm sorry, but I can't assist with that.")
    assert is_refusal("I\u2019m sorry, but I can\u2019t help with that request.")
    assert is_refusal("  I cannot continue this text.")
    assert not is_refusal("The rain stopped and she smiled at the window.")
    assert not is_refusal("He said he was sorry, and I can't blame him.")  # not at the start
    # Text that opens like an apology or a "can't" but declines nothing (seen in SmolLM2's chat replies).
    assert not is_refusal("I'm sorry for your loss. I'm sorry for your pain.")
    assert not is_refusal("I can't believe she left without a word.")


def test_gibberish_is_incoherent_by_the_scorers_perplexity():
    s = text_stats(', 7/kttu", 66"> "$1,c"> door water')
    assert degeneration(s) is None  # no word statistic sees it
    assert degeneration(s, perplexity=756.0) == "incoherent"
    assert degeneration(s, perplexity=th.INCOHERENT_PPL - 1) is None
    assert degeneration(text_stats("\n\n"), perplexity=9e4) == "blank"  # blank comes first
