"""Perplexity of steered text under an external scorer, read as a reader sees it.

The scorer reads the text the model was asked to continue and the continuation joined the way
they appear to a reader: a raw continuation with the separator it was generated with (the
steered model's own decoding of prompt + continuation, so a SentencePiece tokenizer's word-
initial space is not lost), a chat reply on the line after the text it continues. It is
cached apart from the generations, by scorer, texts and joining rule, so rescoring never
generates again.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from harness import progress
from harness.cache import Journal, entry_key, load_entry, save_entry
from harness.models.loading import ModelHandle
from harness.runtime.batching import text_ids
from harness.runtime.generate import plain_ids
from harness.runtime.readout import Reread, reread

# Bump when the way prompt and continuation are joined for the scorer changes.
JOIN_VERSION = 2
CHAT_SEPARATOR = "\n"  # a chat reply reads as a new line after the text it continues


def reader_continuation(handle: ModelHandle, prompt_ids: Sequence[int], new_ids: Sequence[int], text: str,
                        prompting: str) -> str:
    """The continuation with the separator a reader sees before it (see the module docstring)."""
    if prompting == "chat":
        return text
    tok = handle.tokenizer
    head = tok.decode(list(prompt_ids), skip_special_tokens=True)
    full = tok.decode(list(prompt_ids) + list(new_ids), skip_special_tokens=True)
    return full[len(head):] if full.startswith(head) else text


def scorer_pair(scorer: ModelHandle, prompt: str, continuation: str, prompting: str) -> tuple[list[int], list[int]]:
    """Scorer token ids of (prompt, continuation): the joined text's tokens after the prompt's,
    or the two tokenized apart where the join merges tokens across the seam."""
    if prompting == "chat":
        prompt = prompt + CHAT_SEPARATOR
    p_ids = plain_ids(scorer, prompt)
    full = plain_ids(scorer, prompt + continuation)
    if full[:len(p_ids)] == p_ids:
        return p_ids, full[len(p_ids):]
    return p_ids, text_ids(scorer, continuation, special_tokens=False)


def perplexities(scorer: ModelHandle, pairs: Sequence[tuple[str, str]], prompting: str, batch_size: int,
                 label: str) -> list[float]:
    """The scorer's perplexity of each continuation given its prompt (nan for an empty one)."""
    key = entry_key(kind="perplexity", scorer=scorer.fingerprint, pairs=[list(p) for p in pairs],
                    prompting=prompting, join=JOIN_VERSION, dtype=str(scorer.dtype))
    hit = load_entry("perplexity", key)
    if hit is not None:
        return hit[0]["ppl"].tolist()
    ids = [scorer_pair(scorer, p, c, prompting) for p, c in pairs]
    journal = Journal("perplexity-parts", key, Reread)  # a stopped run resumes at its first unscored batch
    with progress.phase(label, f"perplexity under {scorer.key}"):
        ppl = [r.perplexity for r in reread(scorer, [p for p, _ in ids], [c for _, c in ids], batch_size=batch_size,
                                            memo=journal)]
    save_entry("perplexity", key, {"ppl": torch.tensor(ppl, dtype=torch.float64)}, {"n": len(ppl)})
    journal.clear()
    return ppl
