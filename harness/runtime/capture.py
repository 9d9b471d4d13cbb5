"""Read the residual stream after every block, at chosen positions, in one forward pass per batch."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from harness.errors import HarnessError
from harness.models.layers import final_norm
from harness.models.loading import ModelHandle
from harness.runtime.batching import batches, text_ids


@dataclass(frozen=True)
class Residuals:
    """Residual states of ``n`` token sequences, float32 on the CPU.

    ``resid[l]`` is the raw residual after block l (HF ``hidden_states[l+1]`` for every
    block but the last, where HF applies the final norm). ``post_norm`` is that final-norm
    state of the last block: the paper's "100% depth" was most likely this one.
    """

    resid: torch.Tensor  # [n_layers, n, d_model]
    post_norm: torch.Tensor  # [n, d_model]


@torch.no_grad()
def capture(handle: ModelHandle, token_ids: Sequence[Sequence[int]],
            positions: Sequence[int] | None = None, batch_size: int = 8) -> Residuals:
    """Residuals of every block at one position per sequence (default: the last token).

    ``positions[i]`` indexes sequence i's own tokens (negative counts from its end).
    Sequences are batched longest-first to waste little on padding; results come back
    in input order and do not depend on ``batch_size`` (tests check 1 vs 8).
    """
    n = len(token_ids)
    if n == 0:
        raise HarnessError("capture() got no sequences")
    pos = [-1] * n if positions is None else list(positions)
    if len(pos) != n:
        raise HarnessError(f"capture(): {n} sequences but {len(pos)} positions")
    for i, (row, p) in enumerate(zip(token_ids, pos, strict=True)):
        if not row:
            raise HarnessError(f"capture(): sequence {i} is empty")
        if not -len(row) <= p < len(row):
            raise HarnessError(f"capture(): position {p} outside sequence {i} of length {len(row)}")
    n_layers, d = handle.n_layers, handle.d_model
    resid = torch.empty((n_layers, n, d), dtype=torch.float32)
    # Rows are written straight into ``resid`` by input index: collecting per-row results
    # first would hold a second [n_layers, n, d] copy.
    for batch in batches(handle, token_ids, batch_size):
        rows = batch.rows
        # Column of each row's chosen token inside the left-padded batch.
        cols = torch.tensor([batch.width - len(token_ids[i]) + (pos[i] % len(token_ids[i])) for i in rows],
                            device=handle.device)
        picked: dict[int, torch.Tensor] = {}
        arange = torch.arange(len(rows), device=handle.device)
        batch.forward(handle, {layer: _picker(picked, layer, arange, cols) for layer in range(n_layers)})
        for layer in range(n_layers):
            resid[layer, rows] = picked[layer]
    post = _apply_final_norm(handle, resid[-1])
    _check_finite(handle, resid)
    return Residuals(resid=resid, post_norm=post)


def _picker(store: dict[int, torch.Tensor], layer: int, rows: torch.Tensor, cols: torch.Tensor):
    def fn(hidden: torch.Tensor) -> None:
        store[layer] = hidden[rows, cols].float().cpu()  # gather in-hook: never keep [B, T, D]

    return fn


@torch.no_grad()
def capture_sequence(handle: ModelHandle, token_ids: Sequence[int]) -> torch.Tensor:
    """The residual after every block at every position of one sequence, ``[n_layers, T, d_model]``
    (float32, CPU): one forward pass, no padding."""
    if not token_ids:
        raise HarnessError("capture_sequence() got an empty sequence")
    got: dict[int, torch.Tensor] = {}

    def keep(layer: int):
        def fn(hidden: torch.Tensor) -> None:
            got[layer] = hidden[0].float().cpu()

        return fn

    for batch in batches(handle, [token_ids], 1):
        batch.forward(handle, {layer: keep(layer) for layer in range(handle.n_layers)})
    resid = torch.stack([got[layer] for layer in range(handle.n_layers)])
    _check_finite(handle, resid)
    return resid


def capture_texts(handle: ModelHandle, texts: Sequence[str], batch_size: int = 8) -> Residuals:
    """Last-token residuals of plain texts (no chat template, no added special tokens
    beyond what the tokenizer adds by default)."""
    for i, t in enumerate(texts):
        if not t or not t.strip():
            raise HarnessError(f"capture_texts(): text {i} is empty")
    return capture(handle, [text_ids(handle, t) for t in texts], batch_size=batch_size)


@torch.no_grad()
def _apply_final_norm(handle: ModelHandle, last: torch.Tensor) -> torch.Tensor:
    norm = final_norm(handle.model)
    x = last.to(device=handle.device, dtype=handle.dtype)
    return norm(x).float().cpu()


def _check_finite(handle: ModelHandle, resid: torch.Tensor) -> None:
    bad = ~torch.isfinite(resid)
    if bad.any():
        layer, row = (int(v) for v in bad.nonzero()[0][:2])
        raise HarnessError(
            f"{handle.key}: non-finite activations at block {layer}, sequence {row} "
            f"(dtype {handle.dtype}); rerun with --dtype float32"
        )


@torch.no_grad()
def capture_with_bridge(handle: ModelHandle, token_ids: Sequence[Sequence[int]],
                        positions: Sequence[int] | None = None) -> torch.Tensor:
    """The same read as :func:`capture`, through TransformerLens ``blocks.{l}.hook_resid_post``.

    Slower (one sequence per pass, every block wrapped); it exists so users can cross-check
    the native hooks, and tests prove the two agree. Returns ``[n_layers, n, d_model]``.
    """
    bridge = handle.bridge
    names = [f"blocks.{layer}.hook_resid_post" for layer in range(handle.n_layers)]
    pos = [-1] * len(token_ids) if positions is None else list(positions)
    out = torch.empty((handle.n_layers, len(token_ids), handle.d_model), dtype=torch.float32)
    for i, row in enumerate(token_ids):
        ids = torch.tensor([list(row)], device=handle.device)
        _, cache = bridge.run_with_cache(ids, names_filter=names)
        for layer, name in enumerate(names):
            out[layer, i] = cache[name][0, pos[i]].float().cpu()
    return out
