"""Batched greedy generation with KV cache and left padding, optionally under layer hooks."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import torch
from transformers import StoppingCriteria, StoppingCriteriaList

from harness import progress
from harness.errors import HarnessError
from harness.models.loading import ModelHandle
from harness.runtime.batching import Batch, BatchMemo, map_batches, pad_id, text_ids
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
    # The template already wrote the special tokens the model expects.
    return text_ids(handle, text, special_tokens=False)


def plain_ids(handle: ModelHandle, text: str) -> list[int]:
    """Token ids of ``text`` without a chat template (see :func:`text_ids`)."""
    return text_ids(handle, text)


def stop_ids(handle: ModelHandle) -> set[int]:
    ids: set[int] = set()
    for src in (handle.model.generation_config.eos_token_id, handle.tokenizer.eos_token_id):
        if isinstance(src, int):
            ids.add(src)
        elif src:
            ids.update(int(x) for x in src)
    return ids


class _Pulse(StoppingCriteria):
    """Stops nothing: a decode step's sign of life, so a log shows progress inside a long batch."""

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor, **kwargs: object) -> torch.Tensor:
        progress.pulse()
        return torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)


# Hooks that depend on the batch: called with the batch's row indices (into the prompts)
# and its left-padded attention mask [batch, prompt width]; returns block -> hook.
BatchHooks = Callable[[list[int], torch.Tensor], Mapping[int, LayerHook]]


@torch.no_grad()
def generate(handle: ModelHandle, prompts: Sequence[Sequence[int]], max_new_tokens: int,
             batch_size: int = 8, hooks: Mapping[int, LayerHook] | BatchHooks | None = None,
             use_cache: bool = True, memo: BatchMemo[Generation] | None = None) -> list[Generation]:
    """Greedy continuations of token-id prompts, in input order.

    Rows of a batch are left-padded; each stops at its first stop token. Results equal
    one-prompt-at-a-time generation (tests check it token for token). ``use_cache=False``
    recomputes the whole sequence at every step (the paper's per-step steering loop).
    ``memo`` keeps finished batches, so an interrupted run resumes (see :class:`BatchMemo`).
    """
    if max_new_tokens < 1:
        raise HarnessError(f"max_new_tokens must be >= 1, got {max_new_tokens}")
    if not prompts:
        return []
    if any(len(p) == 0 for p in prompts):
        raise HarnessError("generate(): a prompt is empty")
    stops = stop_ids(handle)
    pad = pad_id(handle)

    def run(batch: Batch) -> list[Generation]:
        batch_hooks = hooks(batch.rows, batch.mask) if callable(hooks) else hooks
        with attach(handle.model, batch_hooks):
            # No position_ids: HF's generate derives them from the mask, also for decode steps.
            seqs = handle.model.generate(
                input_ids=batch.ids, attention_mask=batch.mask, max_new_tokens=max_new_tokens,
                do_sample=False, temperature=None, top_p=None, top_k=None,
                eos_token_id=sorted(stops), pad_token_id=pad, use_cache=use_cache,
                stopping_criteria=StoppingCriteriaList([_Pulse()]),
            )
        out = []
        for j, i in enumerate(batch.rows):
            new = seqs[j, batch.width:].tolist()
            cut = next((k for k, t in enumerate(new) if t in stops), None)
            kept = new if cut is None else new[:cut]
            progress.add_tokens(len(kept))
            out.append(Generation(
                prompt_ids=tuple(prompts[i]), new_ids=tuple(kept),
                text=handle.tokenizer.decode(kept, skip_special_tokens=True), stopped=cut is not None,
            ))
        return out

    return map_batches(handle, prompts, batch_size, run, new_tokens=max_new_tokens, memo=memo)
