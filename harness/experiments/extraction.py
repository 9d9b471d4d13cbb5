"""Labelled residual states for emotion vectors: comprehension- and generation-based.

Both read every layer in one forward pass, so the layer sweep is free. Results are cached
content-addressed (model fingerprint, stimuli hash, protocol parameters, protocol
version): a warm rerun generates and forwards nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any, Literal

import torch

from harness import progress
from harness.cache import Journal, entry_key, load_entry, save_entry
from harness.errors import HarnessError
from harness.metrics.vectors import NEUTRAL, LabelledStates
from harness.models.loading import ModelHandle
from harness.protocol import PROTOCOL_VERSION, Profile
from harness.runtime.batching import text_ids
from harness.runtime.capture import capture
from harness.runtime.generate import Generation, chat_ids, generate
from harness.stimuli.loading import Stimuli

Method = Literal["comprehension", "generation"]
METHODS: tuple[Method, ...] = ("comprehension", "generation")
# Stories shorter than this are read at the prompt's last token (the paper's rule).
SHORT_GENERATION = 10


@dataclass(frozen=True)
class Extraction:
    method: Method
    data: LabelledStates  # emotion and neutral samples, every block
    post_norm: torch.Tensor  # [n, d_model]: final-norm state of the last block (labelled extra)
    texts: tuple[str, ...]  # passage or generated story of each sample
    positions: tuple[int, ...]  # token index read in each sample's sequence


def read_position(prompt_len: int, story_len: int) -> int:
    """Where a story is read: its midpoint, or the last prompt token for a short story."""
    return prompt_len + story_len // 2 if story_len > SHORT_GENERATION else prompt_len - 1


def supports(handle: ModelHandle, method: Method) -> str | None:
    """None if ``handle`` supports ``method``, else the reason it does not apply."""
    if method == "generation" and not (handle.is_instruct and handle.has_chat_template):
        return (f"{handle.key} is a {handle.spec.kind} model without a chat template: generation-based "
                "extraction needs an instruct model that can be asked for a story")
    return None


def comprehension(handle: ModelHandle, stimuli: Stimuli, batch_size: int = 16) -> Extraction:
    """Last-token states of the extraction passages (3 per emotion + 3 neutral)."""
    labels, texts = _flatten({**{e: stimuli.passages[e] for e in stimuli.names},
                              NEUTRAL: stimuli.passages[NEUTRAL]})
    return _cached(handle, "comprehension", stimuli, {},
                   lambda: _read_passages(handle, "comprehension", labels, texts, batch_size))


def held_out(handle: ModelHandle, stimuli: Stimuli, batch_size: int = 16) -> Extraction:
    """Last-token states of the held-out passages (never used to build vectors)."""
    labels, texts = _flatten({e: stimuli.held_out[e] for e in stimuli.names})
    return _cached(handle, "held_out", stimuli, {},
                   lambda: _read_passages(handle, "comprehension", labels, texts, batch_size))


def neutral_sentence_states(handle: ModelHandle, stimuli: Stimuli, batch_size: int = 16) -> Extraction:
    """Last-token states of the 20 neutral factual sentences (anisotropy baseline)."""
    texts = tuple(stimuli.neutral_sentences)
    return _cached(handle, "neutral_sentences", stimuli, {},
                   lambda: _read_passages(handle, "comprehension", (NEUTRAL,) * len(texts), texts,
                                          batch_size))


def generation(handle: ModelHandle, stimuli: Stimuli, max_new_tokens: int,
               batch_size: int = 64) -> Extraction:
    """The model's own stories: 10 per emotion + 10 neutral, read at their midpoint.

    Chat-templated prompt, greedy decoding, then one teacher-forced re-read of prompt +
    story; the state is taken at ``prompt_len + gen_len // 2`` (``prompt_len - 1`` when
    the story has at most 10 tokens).
    """
    reason = supports(handle, "generation")
    if reason:
        raise HarnessError(reason)
    prompts = {e: stimuli.story_prompts(e) for e in stimuli.names}
    prompts[NEUTRAL] = list(stimuli.neutral_prompts)
    labels, requests = _flatten(prompts)
    params = {"max_new_tokens": max_new_tokens, "decoding": "greedy", "template": "chat",
              "short": SHORT_GENERATION}
    # The stories are most of the cost on a CPU (hours for a 1.5B model): each finished batch
    # is kept, so a stopped run resumes at its first unfinished one.
    journal = Journal("story-parts", _key(handle, "generation", stimuli, params), Generation)

    def compute() -> Extraction:
        ids = [chat_ids(handle, r) for r in requests]
        with progress.phase(handle.key, f"generate stories ({stimuli.name}, up to {max_new_tokens} tokens)",
                            unit="stories"):
            stories = generate(handle, ids, max_new_tokens=max_new_tokens, batch_size=batch_size, memo=journal)
        seqs, positions = [], []
        for p, g in zip(ids, stories, strict=True):
            n = len(g.new_ids)
            seqs.append(list(p) + list(g.new_ids))
            positions.append(read_position(len(p), n))
        with progress.phase(handle.key, f"read stories ({stimuli.name})"):
            res = capture(handle, seqs, positions, batch_size=max(1, batch_size // 4))
        return Extraction("generation", LabelledStates(res.resid, labels), res.post_norm,
                          tuple(g.text for g in stories), tuple(positions))

    ex = _cached(handle, "generation", stimuli, params, compute)
    journal.clear()  # the whole is cached (a no-op on a cache hit)
    return ex


def reread_stories(handle: ModelHandle, stories: Extraction, author: ModelHandle, stimuli: Stimuli,
                   with_prompt: bool, batch_size: int = 16) -> Extraction:
    """``handle`` re-reads the stories ``author`` generated, at the same rule's position.

    ``with_prompt``: prompt + story as in :func:`generation` (the control model reads the
    real model's stories this way). Without it, the story alone (its tokenizer's own
    special tokens, no chat template), read at its midpoint: the prompt names the emotion,
    and a state read with it in context can carry the word rather than the story. Story
    tokens are re-tokenized from the text."""
    requests = [r for e in stimuli.names for r in stimuli.story_prompts(e)] + list(stimuli.neutral_prompts)
    if len(requests) != len(stories.texts):
        raise HarnessError(f"{handle.key}: {len(stories.texts)} stories for {len(requests)} story prompts")

    def compute() -> Extraction:
        seqs, positions = [], []
        for request, story in zip(requests, stories.texts, strict=True):
            if with_prompt:
                p = chat_ids(handle, request)
                g = text_ids(handle, story, special_tokens=False) if story else []
                seqs.append(p + g)
                positions.append(read_position(len(p), len(g)))
            else:
                g = text_ids(handle, story or ".")
                seqs.append(g)
                positions.append(len(g) // 2)
        res = capture(handle, seqs, positions, batch_size=batch_size)
        return Extraction("generation", LabelledStates(res.resid, stories.data.labels), res.post_norm,
                          stories.texts, tuple(positions))

    kind = "generation_reread" if with_prompt else "generation_story_only"
    return _cached(handle, kind, stimuli, {"stories_of": author.fingerprint, "short": SHORT_GENERATION}, compute)


def extract(handle: ModelHandle, method: Method, stimuli: Stimuli, profile: Profile) -> Extraction:
    if method == "comprehension":
        return comprehension(handle, stimuli, profile.batch_size)
    return generation(handle, stimuli, profile.gen_max_new_tokens, batch_size=profile.gen_batch_size)


def _flatten(groups: dict[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    labels, texts = [], []
    for label, items in groups.items():
        for t in items:
            labels.append(label)
            texts.append(t)
    return tuple(labels), tuple(texts)


def _read_passages(handle: ModelHandle, method: Method, labels: tuple[str, ...],
                   texts: tuple[str, ...], batch_size: int) -> Extraction:
    ids = [text_ids(handle, t) for t in texts]
    res = capture(handle, ids, batch_size=batch_size)
    return Extraction(method, LabelledStates(res.resid, labels), res.post_norm, texts,
                      tuple(len(x) - 1 for x in ids))


# What each cached kind's computation is called while it runs.
_PHASES = {"comprehension": "read extraction passages", "held_out": "read held-out passages",
           "neutral_sentences": "read neutral sentences", "generation_reread": "re-read stories with prompt",
           "generation_story_only": "re-read stories alone"}


def _key(handle: ModelHandle, kind: str, stimuli: Stimuli, params: dict[str, Any]) -> str:
    return entry_key(kind=kind, model=handle.fingerprint, stimuli=stimuli.content_hash(),
                     params=params, protocol=PROTOCOL_VERSION, dtype=str(handle.dtype))


def _cached(handle: ModelHandle, kind: str, stimuli: Stimuli, params: dict[str, Any],
            compute: Callable[[], Extraction]) -> Extraction:
    key = _key(handle, kind, stimuli, params)
    hit = load_entry("activations", key)
    if hit is not None:
        tensors, meta = hit
        return Extraction(meta["method"], LabelledStates(tensors["states"], tuple(meta["labels"])),
                          tensors["post_norm"], tuple(meta["texts"]), tuple(meta["positions"]))
    # Generation names its own phases.
    with progress.phase(handle.key, f"{_PHASES[kind]} ({stimuli.name})") if kind in _PHASES else nullcontext():
        ex = compute()
    save_entry("activations", key, {"states": ex.data.states, "post_norm": ex.post_norm},
               {"method": ex.method, "labels": list(ex.data.labels), "texts": list(ex.texts),
                "positions": list(ex.positions), "model": handle.key, "kind": kind})
    return ex
