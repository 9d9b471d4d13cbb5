"""The one batching loop: order rows, left-pad them, check the context, restore input order.

Capture, generation, re-read, steered states and export all run through :func:`batches`.
Float results depend on which rows share a batch and on the padded width, so the order is
a parameter (each caller keeps the order its numbers were produced with) and is stable:
equal-length rows keep their input order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar

import torch

from harness import progress
from harness.errors import HarnessError
from harness.models.layers import base_model
from harness.models.loading import ModelHandle
from harness.runtime.hooks import LayerHook, attach

T = TypeVar("T")

# longest_first: sorted by length, longest first, stable (least padding per batch);
# input: consecutive slices of the input as given.
Order = Literal["longest_first", "input"]
ORDERS: tuple[Order, ...] = ("longest_first", "input")


def pad_id(handle: ModelHandle) -> int:
    """The id written into padding: the tokenizer's pad, else its eos, else 0.

    Padded columns are masked, so the value only has to be a valid id; the loader sets
    pad to eos when a tokenizer has none, so the fallbacks only serve bare handles.
    """
    tok = handle.tokenizer
    for candidate in (getattr(tok, "pad_token_id", None), getattr(tok, "eos_token_id", None)):
        if isinstance(candidate, int):
            return candidate
    return 0


def text_ids(handle: ModelHandle, text: str, special_tokens: bool = True) -> list[int]:
    """Token ids of a plain text (no chat template); ``special_tokens`` adds the tokenizer's
    own BOS/EOS as its default call does."""
    return list(handle.tokenizer(text, add_special_tokens=special_tokens)["input_ids"])


def left_pad(ids: Sequence[Sequence[int]], pad_id: int, device: torch.device
             ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Left-pad token lists; return input_ids, attention_mask and position_ids.

    Position ids must count from each row's first real token, or left padding would
    shift every position (HF derives them from the mask only inside ``generate``).
    """
    width = max(len(x) for x in ids)
    input_ids = torch.full((len(ids), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(ids), width), dtype=torch.long)
    for i, row in enumerate(ids):
        if row:
            input_ids[i, width - len(row):] = torch.tensor(row, dtype=torch.long)
            mask[i, width - len(row):] = 1
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    return input_ids.to(device), mask.to(device), positions.to(device)


def check_context(handle: ModelHandle, longest: int, new_tokens: int = 0) -> None:
    """Refuse sequences the model has no positions for, before any compute is spent."""
    limit = getattr(handle.model.config.get_text_config(), "max_position_embeddings", None)
    if limit is None or longest + new_tokens <= limit:
        return
    if new_tokens:
        raise HarnessError(f"{handle.key}: a prompt of {longest} tokens plus {new_tokens} new tokens "
                           f"exceeds the model's context of {limit}; shorten the prompt or max_new_tokens")
    raise HarnessError(f"{handle.key}: a sequence of {longest} tokens exceeds the model's context "
                       f"of {limit}; shorten it")


@dataclass(frozen=True)
class Batch:
    """One left-padded batch; ``rows[j]`` is the input index of batch row j."""

    rows: list[int]
    ids: torch.Tensor  # [b, width]
    mask: torch.Tensor  # [b, width], 0 on padding
    positions: torch.Tensor  # [b, width], counting from each row's first real token

    @property
    def width(self) -> int:
        return self.ids.shape[1]

    def split(self, size: int) -> list[Batch]:
        """The same rows in parts of at most ``size`` (each keeps the batch's width and padding)."""
        return [Batch(self.rows[s:s + size], self.ids[s:s + size], self.mask[s:s + size],
                      self.positions[s:s + size]) for s in range(0, len(self.rows), size)]

    def forward(self, handle: ModelHandle, hooks: Mapping[int, LayerHook] | None = None, *,
                head: bool = False, **kwargs: Any) -> Any:
        """One teacher-forced pass with ``hooks`` attached for its duration only; ``head``
        runs the LM head too (logits), otherwise the decoder stack alone."""
        module = handle.model if head else base_model(handle.model)
        with attach(handle.model, hooks):
            return module(input_ids=self.ids, attention_mask=self.mask, position_ids=self.positions,
                          use_cache=False, **kwargs)


def batch_order(seqs: Sequence[Sequence[int]], order: Order) -> list[int]:
    """Input indices in the order rows are batched."""
    if order == "longest_first":
        return sorted(range(len(seqs)), key=lambda i: -len(seqs[i]))  # stable: ties keep input order
    if order == "input":
        return list(range(len(seqs)))
    raise HarnessError(f"unknown batch order '{order}'; use one of {', '.join(ORDERS)}")


def batches(handle: ModelHandle, seqs: Sequence[Sequence[int]], batch_size: int,
            order: Order = "longest_first", new_tokens: int = 0) -> Iterator[Batch]:
    """Batches of ``seqs`` on the handle's device, padded with :func:`pad_id`.

    Checks run now, not at the first ``next``: sequences plus ``new_tokens`` must fit the
    context. No sequences give no batches.
    """
    if batch_size < 1:
        raise HarnessError(f"batch_size must be >= 1, got {batch_size}")
    idx = batch_order(seqs, order)
    if seqs:
        check_context(handle, max(len(s) for s in seqs), new_tokens)
    progress.expect(len(seqs))
    return _batches(seqs, idx, batch_size, pad_id(handle), handle.device)


def _batches(seqs: Sequence[Sequence[int]], idx: list[int], batch_size: int, pad: int,
             device: torch.device) -> Iterator[Batch]:
    for start in range(0, len(idx), batch_size):
        rows = idx[start:start + batch_size]
        yield Batch(rows, *left_pad([seqs[i] for i in rows], pad, device))
        progress.advance(len(rows))  # the caller has finished this batch


class BatchMemo(Protocol[T]):
    """Keeps each finished batch's results, so a loop interrupted part-way resumes at the first
    batch it has not finished (harness.cache.Journal). A batch is named by its rows: the same
    rows in the same batch give the same floats, so a resumed loop equals an uninterrupted one."""

    def get(self, rows: list[int]) -> Sequence[T] | None: ...

    def put(self, rows: list[int], items: Sequence[T]) -> None: ...


def map_batches(handle: ModelHandle, seqs: Sequence[Sequence[int]], batch_size: int,
                fn: Callable[[Batch], Sequence[T]], order: Order = "longest_first",
                new_tokens: int = 0, memo: BatchMemo[T] | None = None) -> list[T]:
    """``fn``'s results, one per batch row, back in input order; ``memo``: batches already
    finished are read from it, and each new one is written to it as soon as it is done."""
    out: list[T | None] = [None] * len(seqs)
    for batch in batches(handle, seqs, batch_size, order, new_tokens):
        got = memo.get(batch.rows) if memo is not None else None
        if got is None:
            got = fn(batch)
            if memo is not None:
                memo.put(batch.rows, got)
        for i, item in zip(batch.rows, got, strict=True):
            out[i] = item
    return out  # type: ignore[return-value]  # every index was filled: the order is a permutation
