"""Degeneration of generated text: blank text, distinct-2, repetition loops (words, characters
and model tokens), CJK share by script, emoji count.

Word-level first (comparable across tokenizers); the token-level loop catches what words
miss (a loop of newline or punctuation tokens has no words).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from harness import thresholds as th

_WORD = re.compile(r"\w+|[^\w\s]", re.UNICODE)
# CJK by script: Han (unified, extension A, compatibility), kana (hiragana, katakana, phonetic
# extensions), Hangul (syllables, jamo, compatibility jamo); CJK punctuation and full-width
# forms count towards the total only (no script of their own).
SCRIPTS: dict[str, tuple[tuple[int, int], ...]] = {
    "han": ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF)),
    "kana": ((0x3040, 0x30FF), (0x31F0, 0x31FF)),
    "hangul": ((0xAC00, 0xD7AF), (0x1100, 0x11FF), (0x3130, 0x318F)),
}
_CJK_OTHER = ((0x3000, 0x303F), (0xFF00, 0xFFEF))
_CJK = (*itertools.chain.from_iterable(SCRIPTS.values()), *_CJK_OTHER)
_HAS_WORD = re.compile(r"\w", re.UNICODE)
_EMOJI = ((0x1F300, 0x1FAFF), (0x2600, 0x27BF), (0x1F000, 0x1F2FF))
MAX_LOOP_N = 10  # longest n-gram (words) a loop is searched for
MAX_CHAR_LOOP_N = 20  # longest character unit a loop is searched for ("IRRIRRIRR..." has no spaces)


@dataclass(frozen=True)
class TextStats:
    n_words: int
    distinct2: float  # unique word bigrams / bigrams (1.0 when there are fewer than 2 words)
    loop_words: int  # words covered by the longest back-to-back repeated n-gram run
    loop_share: float  # loop_words / n_words (0 for empty text)
    char_loop_share: float  # characters (spaces dropped) in the longest run of a repeated unit of <= 20
    cjk_share: float  # CJK characters / non-space characters
    emoji: int
    blank: bool = False  # no word character at all: empty, whitespace, newline or punctuation runs
    token_loop_share: float = 0.0  # model tokens in the longest token loop / tokens (0 without tokens)
    n_chars: int = 0  # non-space characters
    script_chars: dict[str, int] | None = None  # non-space characters per CJK script (SCRIPTS)


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def distinct2(ws: list[str]) -> float:
    bigrams = list(itertools.pairwise(ws))
    return len(set(bigrams)) / len(bigrams) if bigrams else 1.0


def longest_loop(ws: list[str] | str, max_n: int = MAX_LOOP_N, short: int = 3) -> int:
    """Items covered by the longest run of one n-gram repeated back to back.

    A run counts when a unit shorter than ``short`` items repeats at least 3 times ("no no
    no" is speech, "no no no no" is a loop only by degree), or a longer unit at least
    twice (a repeated 3+-word phrase is already a loop). Works on words or characters.
    """
    best = 0
    for n in range(1, max_n + 1):
        need = 3 if n < short else 2
        i = 0
        while i + n <= len(ws):
            k = 1
            while ws[i + k * n:i + (k + 1) * n] == ws[i:i + n]:
                k += 1
            if k >= need:
                best = max(best, k * n)
            i += max(1, (k - 1) * n) if k > 1 else 1
    return best


def _in(ch: str, ranges: tuple[tuple[int, int], ...]) -> bool:
    o = ord(ch)
    return any(lo <= o <= hi for lo, hi in ranges)


def cjk_share(text: str) -> float:
    chars = [c for c in text if not c.isspace()]
    return sum(_in(c, _CJK) for c in chars) / len(chars) if chars else 0.0


def emoji_count(text: str) -> int:
    return sum(_in(c, _EMOJI) for c in text)


def char_loop_share(text: str) -> float:
    """Share of the (space-free) characters in the longest back-to-back repeat of a unit of
    up to 20 characters, repeated at least 3 times; catches loops inside one "word"."""
    chars = "".join(text.split())
    return longest_loop(chars, MAX_CHAR_LOOP_N, short=MAX_CHAR_LOOP_N + 1) / len(chars) if chars else 0.0


def script_counts(text: str) -> dict[str, int]:
    """Characters per CJK script, and "other": letters of any other non-Latin script (Greek,
    Cyrillic, Sinhala, ...), which a leak into another language shows as well."""
    out = {name: sum(_in(c, ranges) for c in text) for name, ranges in SCRIPTS.items()}
    out["other"] = sum(1 for c in text if c.isalpha() and ord(c) > 0x24F and not _in(c, _CJK))
    return out


def token_loop_share(tokens: Sequence[int]) -> float:
    """Share of the tokens in the longest back-to-back token loop (same rule as for words)."""
    return longest_loop(list(tokens)) / len(tokens) if tokens else 0.0


def text_stats(text: str, tokens: Sequence[int] | None = None) -> TextStats:
    ws = words(text)
    loop = longest_loop(ws)
    return TextStats(len(ws), distinct2(ws), loop, loop / len(ws) if ws else 0.0, char_loop_share(text),
                     cjk_share(text), emoji_count(text), blank=not _HAS_WORD.search(text),
                     token_loop_share=token_loop_share(tokens or []),
                     n_chars=sum(not c.isspace() for c in text), script_chars=script_counts(text))


# Degeneration kinds, in the order they are tested: a text gets the first that applies.
DEGENERATION_KINDS = ("blank", "loop", "token loop", "low distinct-2", "incoherent")


def degeneration(stats: TextStats | dict, perplexity: float | None = None) -> str | None:
    """Why a text is degenerate (a DEGENERATION_KINDS entry), or None for text a reader would call
    text. Blank comes first: it has no words, so no word statistic can see it; incoherent (word
    salad, symbol strings) needs the scorer's perplexity of the text."""
    s = stats if isinstance(stats, dict) else stats.__dict__
    if s.get("blank"):
        return "blank"
    if s["loop_share"] >= th.LOOP_SHARE_MAX or s.get("char_loop_share", 0.0) >= th.LOOP_SHARE_MAX:
        return "loop"
    if s.get("token_loop_share", 0.0) >= th.LOOP_SHARE_MAX:
        return "token loop"
    if s["distinct2"] < th.DISTINCT2_MIN:
        return "low distinct-2"
    if perplexity is not None and perplexity >= th.INCOHERENT_PPL:
        return "incoherent"
    return None


# An instruct model declining the request rather than writing, at the start of its reply
# (where chat models put it): an apology followed by "can't / cannot / unable / won't" in the
# same sentence, or "I can't / cannot / am unable to" + a verb of helping. "I'm sorry for your
# loss" and "I can't believe it" are text, not refusals.
_DECLINE = r"(?:can'?t|cannot|can not|unable|not able|won'?t|will not)"
_HELP = r"(?:help|assist|provide|continue|write|do|comply|create|generate|complete|fulfil+|engage|support)"
_REFUSAL = re.compile(
    rf"^\W*(?:(?:i'?m|i am|sorry|i apologi[sz]e)\b[^.!?\n]{{0,40}}\b{_DECLINE}\b"
    rf"|i {_DECLINE}(?: be able to)? {_HELP}\b|as an ai\b)", re.IGNORECASE)


def is_refusal(text: str) -> bool:
    return bool(_REFUSAL.search(text.replace("\u2019", "'")))
