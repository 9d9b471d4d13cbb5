"""Degeneration of generated text: distinct-2, repetition loops, CJK share, emoji count.

Word-level (not model tokens), so numbers are comparable across tokenizers.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

_WORD = re.compile(r"\w+|[^\w\s]", re.UNICODE)
# Han (incl. extension A), kana, hangul, CJK punctuation and full-width forms.
_CJK = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x3040, 0x30FF), (0x3000, 0x303F),
        (0xAC00, 0xD7AF), (0xFF00, 0xFFEF))
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


def text_stats(text: str) -> TextStats:
    ws = words(text)
    loop = longest_loop(ws)
    return TextStats(len(ws), distinct2(ws), loop, loop / len(ws) if ws else 0.0, char_loop_share(text),
                     cjk_share(text), emoji_count(text))
