"""Batched greedy generation with KV cache and left padding, optionally under layer hooks."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import torch

from harness.errors import HarnessError
from harness.models.loading import ModelHandle
from harness.runtime.capture import left_pad
from harness.runtime.hooks import LayerHook, attach


@dataclass(frozen=True)
class Generation:
    prompt_ids: tuple[int, ...]
    new_ids: tuple[int, ...]  # generated tokens, cut before the first stop token
    text: str  # decoded new_ids, special tokens skipped
    stopped: bool  # True when a stop token ended it before max_new_tokens


def chat_ids(handle: ModelHandle, user_text: str) -> list[int]:
    """Token ids of ``user_text`` as one user turn of the model's chat template."""
    if not handle.has_chat_template:
        raise HarnessError(
            f"{handle.key} has no chat template; generation-based extraction and chat prompts "
            "need an instruct model (use comprehension-based extraction for base models)"
        )
    text = handle.tokenizer.apply_chat_template(
        [{"role": "user", "content": user_text}], tokenize=False, add_generation_prompt=True
    )
    return handle.tokenizer(text, add_special_tokens=False)["input_ids"]


def plain_ids(handle: ModelHandle, text: str) -> list[int]:
    return handle.tokenizer(text)["input_ids"]


def stop_ids(handle: ModelHandle) -> set[int]:
    ids: set[int] = set()
    for src in (handle.model.generation_config.eos_token_id, handle.tokenizer.eos_token_id):
        if isinstance(src, int):
            ids.add(src)
        elif src:
            ids.update(int(x) for x in src)
    return ids


# Hooks that depend on the batch: called with the batch's row indices (into the prompts)
# and its left-padded attention mask [batch, prompt width]; returns block -> hook.
BatchHooks = Callable[[list[int], torch.Tensor], Mapping[int, LayerHook]]


@torch.no_grad()
def generate(handle: ModelHandle, prompts: Sequence[Sequence[int]], max_new_tokens: int,
             batch_size: int = 8, hooks: Mapping[int, LayerHook] | BatchHooks | None = None,
             use_cache: bool = True) -> list[Generation]:
    """Greedy continuations of token-id prompts, in input order.

    Rows of a batch are left-padded; each stops at its first stop token. Results equal
    one-prompt-at-a-time generation (tests check it token for token). ``use_cache=False``
    recomputes the whole sequence at every step (the paper's per-step steering loop).
    """
    if max_new_tokens < 1:
        raise HarnessError(f"max_new_tokens must be >= 1, got {max_new_tokens}")
    if not prompts:
        return []
    if any(len(p) == 0 for p in prompts):
        raise HarnessError("generate(): a prompt is empty")
    limit = getattr(handle.model.config.get_text_config(), "max_position_embeddings", None)
    longest = max(len(p) for p in prompts)
    if limit is not None and longest + max_new_tokens > limit:
        raise HarnessError(f"{handle.key}: a prompt of {longest} tokens plus {max_new_tokens} new tokens "
                           f"exceeds the model's context of {limit}; shorten the prompt or max_new_tokens")
    stops = stop_ids(handle)
    pad = handle.tokenizer.pad_token_id
    out: list[Generation | None] = [None] * len(prompts)
    order = sorted(range(len(prompts)), key=lambda i: -len(prompts[i]))
    for start in range(0, len(prompts), batch_size):
        rows = order[start:start + batch_size]
        ids, mask, _ = left_pad([prompts[i] for i in rows], pad, handle.device)
        batch_hooks = hooks(rows, mask) if callable(hooks) else hooks
        with attach(handle.model, batch_hooks):
            seqs = handle.model.generate(
                input_ids=ids, attention_mask=mask, max_new_tokens=max_new_tokens,
                do_sample=False, temperature=None, top_p=None, top_k=None,
                eos_token_id=sorted(stops), pad_token_id=pad, use_cache=use_cache,
            )
        for j, i in enumerate(rows):
            new = seqs[j, ids.shape[1]:].tolist()
            cut = next((k for k, t in enumerate(new) if t in stops), None)
            kept = new if cut is None else new[:cut]
            out[i] = Generation(
                prompt_ids=tuple(prompts[i]), new_ids=tuple(kept),
                text=handle.tokenizer.decode(kept, skip_special_tokens=True), stopped=cut is not None,
            )
    return [g for g in out if g is not None]
