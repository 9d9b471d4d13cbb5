"""Activation steering: ``h_l <- h_l + alpha * s_l * v_hat`` after every chosen block.

``v_hat`` is a unit direction (the target emotion's middle-layer vector), ``s_l`` the mean
L2 norm of block l's residual over the row's real (non-pad) positions, read from the
residual the hook receives (so upstream steering is included, as in the paper's
TransformerLens ``hook_resid_post`` loop).

- ``scale="prefill"`` (default): ``s_l`` is measured once on the prompt's prefill and kept
  for the decode steps; KV cache on, batched.
- ``scale="per_step"``: the paper's loop: no KV cache, the whole sequence is recomputed at
  every step and ``s_l`` re-measured over it (quadratic in length).

Both add the vector at every position. At the prefill they are the same computation, so
the first generated token always agrees; tests and the closing benchmark say how far they
drift after it. Each row carries its own direction and strength, so one batch can hold a
whole sweep, and results do not depend on how rows are batched.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Literal

import torch

from harness.errors import HarnessError
from harness.models.loading import ModelHandle
from harness.runtime.batching import batches
from harness.runtime.generate import Generation, generate
from harness.runtime.hooks import LayerHook

Scale = Literal["prefill", "per_step"]
SCALES: tuple[Scale, ...] = ("prefill", "per_step")


class _Done(Exception):
    """Stops a forward pass once the block that is read has run."""


def mean_norm(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean L2 norm over each row's unmasked positions: ``[batch, seq, d] -> [batch]``."""
    norms = torch.linalg.vector_norm(hidden, dim=-1, dtype=torch.float32)
    m = mask.to(torch.float32)
    return (norms * m).sum(-1) / m.sum(-1).clamp(min=1)


class RowSteering:
    """Steering hooks for one left-padded batch: row i adds ``alphas[i] * s_l * directions[i]``."""

    def __init__(self, directions: torch.Tensor, alphas: torch.Tensor, prompt_mask: torch.Tensor,
                 scale: Scale = "prefill") -> None:
        if scale not in SCALES:
            raise HarnessError(f"unknown steering scale '{scale}'; use prefill or per_step")
        self.delta = directions.double() * alphas.double()[:, None]  # [batch, d]
        self.mask = prompt_mask
        self.scale = scale
        self.scales: dict[int, torch.Tensor] = {}  # layer -> s_l per row (prefill mode)
        self._added: dict[int, torch.Tensor] = {}  # layer -> [batch, 1, d] vector added (prefill mode)

    def _scale(self, layer: int, hidden: torch.Tensor) -> torch.Tensor:
        width = self.mask.shape[1]
        if self.scale == "per_step":
            extra = hidden.shape[1] - width  # generated tokens are never padding
            mask = torch.cat([self.mask, self.mask.new_ones(self.mask.shape[0], max(0, extra))], dim=1)
            return mean_norm(hidden, mask[:, -hidden.shape[1]:])
        if layer not in self.scales:
            if hidden.shape[1] != width:
                raise RuntimeError(f"block {layer}: first call is not the prompt prefill")
            self.scales[layer] = mean_norm(hidden, self.mask)
        return self.scales[layer]

    def hook(self, layer: int) -> LayerHook:
        def fn(hidden: torch.Tensor) -> torch.Tensor:
            add = self._added.get(layer)
            if add is None:
                s = self._scale(layer, hidden).to(self.delta.device)
                add = (s.double()[:, None] * self.delta).to(hidden.dtype)[:, None, :]
                if self.scale == "prefill":  # fixed from the prefill on: decode steps only add
                    self._added[layer] = add
            return hidden + add

        return fn

    def hooks(self, layers: Sequence[int]) -> dict[int, LayerHook]:
        return {layer: self.hook(layer) for layer in layers}


def _rows(directions: torch.Tensor, alphas: Sequence[float], n: int, d: int) -> tuple[torch.Tensor, torch.Tensor]:
    dirs = directions.reshape(1, -1).expand(n, -1) if directions.dim() == 1 else directions
    if dirs.shape != (n, d):
        raise HarnessError(f"steering: expected {n} directions of size {d}, got {tuple(directions.shape)}")
    a = torch.as_tensor(list(alphas), dtype=torch.float64)
    if a.shape != (n,):
        raise HarnessError(f"steering: expected {n} strengths, got {a.numel()}")
    return dirs.detach().cpu(), a


def generate_steered(handle: ModelHandle, prompts: Sequence[Sequence[int]], directions: torch.Tensor,
                     alphas: Sequence[float], max_new_tokens: int, scale: Scale = "prefill",
                     layers: Sequence[int] | None = None, batch_size: int = 8) -> list[Generation]:
    """Greedy generation with per-row steering; ``directions`` is ``[d]`` or ``[n, d]`` (unit)."""
    dirs, a = _rows(directions, alphas, len(prompts), handle.d_model)
    blocks = list(range(handle.n_layers)) if layers is None else list(layers)

    def batch_hooks(rows: list[int], mask: torch.Tensor) -> dict[int, LayerHook]:
        idx = torch.as_tensor(rows)
        steer = RowSteering(dirs[idx].to(handle.device), a[idx].to(handle.device), mask, scale)
        return steer.hooks(blocks)

    return generate(handle, prompts, max_new_tokens, batch_size=batch_size, hooks=batch_hooks,
                    use_cache=scale == "prefill")


@torch.no_grad()
def steered_last_states(handle: ModelHandle, prompts: Sequence[Sequence[int]], directions: torch.Tensor,
                        alphas: Sequence[float], layer: int, layers: Sequence[int] | None = None,
                        batch_size: int = 8) -> torch.Tensor:
    """Block ``layer``'s residual at each prompt's last token with steering on: ``[n, d]``.

    The paper's activation delta is the projection of this (minus its alpha=0 value) on
    v_hat; it includes the injected vector itself.
    """
    dirs, a = _rows(directions, alphas, len(prompts), handle.d_model)
    blocks = list(range(handle.n_layers)) if layers is None else list(layers)
    out = torch.empty(len(prompts), handle.d_model)
    # Input order, unlike the other loops: these states were always batched as given, and
    # batch composition moves the last float bits.
    for batch in batches(handle, prompts, batch_size, order="input"):
        rows = batch.rows
        idx = torch.as_tensor(rows)
        steer = RowSteering(dirs[idx].to(handle.device), a[idx].to(handle.device), batch.mask)
        hooks = steer.hooks(blocks)
        got: dict[str, torch.Tensor] = {}
        inner = hooks.get(layer)

        def pick(hidden: torch.Tensor, inner: LayerHook | None = inner, got: dict = got) -> torch.Tensor:
            new = inner(hidden) if inner is not None else hidden
            got["h"] = new[:, -1].float().cpu()  # left padding: the last column is every row's last token
            raise _Done  # later blocks cannot change this state: skip them

        hooks[layer] = pick
        with contextlib.suppress(_Done):
            batch.forward(handle, hooks)
        out[rows] = got["h"]
    return out
