"""Activation steering: ``h_l <- h_l + alpha * s_l * v_hat`` after every chosen block.

``v_hat`` is a unit direction (the target emotion's middle-layer vector), ``s_l`` the mean
L2 norm of block l's residual over the row's real (non-pad) positions, read from the
residual the hook receives (so upstream steering is included, as in the paper's
TransformerLens ``hook_resid_post`` loop).

Which positions ``s_l`` averages is the scale rule:

- ``rule="paper"``: every real prompt position, as the paper does. The first position is
  an attention sink whose norm is 10-130x the median on the embedded models, so this
  ``s_l`` falls with prompt length and an alpha means something different per prompt.
- ``rule="sink-robust"``: every real position but the first (a one-token prompt keeps it).

- ``scale="prefill"`` (default): ``s_l`` is measured once on the prompt's prefill and kept
  for the decode steps; KV cache on, batched.
- ``scale="running"``: the paper's ``s_l`` with the KV cache: the mean norm over every
  position so far, the prompt's at the prefill, then each generated token's norm folded in
  as it is computed. It differs from the paper's loop only in that cached positions keep the
  residuals they had when computed (the loop recomputes them under the newest ``s_l``).
- ``scale="per_step"``: the paper's loop: no KV cache, the whole sequence is recomputed at
  every step and ``s_l`` re-measured over it (quadratic in length).

All three add the vector at every position. At the prefill they are the same computation,
so the first generated token always agrees; tests and the scale-mode benchmark
(reports/benchmarks.md) say how far they drift after it. Each row carries its own direction and strength, so one batch can hold a
whole sweep, and results do not depend on how rows are batched.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Literal

import torch

from harness.errors import HarnessError
from harness.models.loading import ModelHandle
from harness.runtime.batching import BatchMemo, batches
from harness.runtime.generate import Generation, generate
from harness.runtime.hooks import LayerHook, StopForward

Scale = Literal["prefill", "running", "per_step"]
SCALES: tuple[Scale, ...] = ("prefill", "running", "per_step")
ScaleRule = Literal["paper", "sink-robust"]
SCALE_RULES: tuple[ScaleRule, ...] = ("paper", "sink-robust")


def mean_norm(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean L2 norm over each row's unmasked positions: ``[batch, seq, d] -> [batch]``."""
    norms = torch.linalg.vector_norm(hidden, dim=-1, dtype=torch.float32)
    m = mask.to(torch.float32)
    return (norms * m).sum(-1) / m.sum(-1).clamp(min=1)


def scale_mask(mask: torch.Tensor, rule: ScaleRule | Sequence[ScaleRule] = "paper") -> torch.Tensor:
    """The positions ``s_l`` averages under ``rule`` (one, or one per row): the real positions,
    less a row's first one under "sink-robust" (kept when it is the row's only real position)."""
    rules = [rule] * mask.shape[0] if isinstance(rule, str) else list(rule)
    bad = [r for r in rules if r not in SCALE_RULES]
    if bad:
        raise HarnessError(f"unknown steering scale rule '{bad[0]}'; use {' or '.join(SCALE_RULES)}")
    robust = torch.tensor([r == "sink-robust" for r in rules], device=mask.device)[:, None]
    first = (mask.cumsum(-1) == 1) & (mask > 0)
    several = mask.sum(-1, keepdim=True) > 1
    return mask * ~(first & several & robust)


def prompt_scales(handle: ModelHandle, prompts: Sequence[Sequence[int]], rule: ScaleRule = "paper",
                  batch_size: int = 8) -> torch.Tensor:
    """s_l of each unsteered prompt at every block, ``[n, L]`` (float64): what the steering hooks
    measure at the prefill, by the same function."""
    out = torch.empty(len(prompts), handle.n_layers, dtype=torch.float64)
    with torch.no_grad():
        for batch in batches(handle, prompts, batch_size, order="input"):
            m = scale_mask(batch.mask, rule)
            got: dict[int, torch.Tensor] = {}

            def reader(layer: int, got: dict = got, m: torch.Tensor = m):
                def fn(hidden: torch.Tensor) -> None:
                    got[layer] = mean_norm(hidden, m).double().cpu()
                return fn

            batch.forward(handle, {layer: reader(layer) for layer in range(handle.n_layers)})
            out[batch.rows] = torch.stack([got[layer] for layer in range(handle.n_layers)], dim=-1)
    return out


def position_norms(handle: ModelHandle, prompts: Sequence[Sequence[int]], batch_size: int = 8
                   ) -> list[torch.Tensor]:
    """Residual L2 norm at every real position of each unsteered prompt: one ``[L, len]`` per prompt."""
    out: list[torch.Tensor] = [torch.empty(0)] * len(prompts)
    with torch.no_grad():
        for batch in batches(handle, prompts, batch_size, order="input"):
            got: dict[int, torch.Tensor] = {}

            def reader(layer: int, got: dict = got):
                def fn(hidden: torch.Tensor) -> None:
                    got[layer] = torch.linalg.vector_norm(hidden, dim=-1, dtype=torch.float32).cpu()
                return fn

            batch.forward(handle, {layer: reader(layer) for layer in range(handle.n_layers)})
            norms = torch.stack([got[layer] for layer in range(handle.n_layers)], dim=1)  # [b, L, width]
            for j, row in enumerate(batch.rows):
                out[row] = norms[j][:, batch.mask[j].bool().cpu()]
    return out


class RowSteering:
    """Steering hooks for one left-padded batch: row i adds ``alphas[i] * s_l * directions[i]``."""

    def __init__(self, directions: torch.Tensor, alphas: torch.Tensor, prompt_mask: torch.Tensor,
                 scale: Scale = "prefill", rule: ScaleRule | Sequence[ScaleRule] = "paper",
                 record: bool = False) -> None:
        if scale not in SCALES:
            raise HarnessError(f"unknown steering scale '{scale}'; use {', '.join(SCALES)}")
        self.delta = directions.double() * alphas.double()[:, None]  # [batch, d]
        self.mask = prompt_mask
        self.scale = scale
        self.rule = rule
        scale_mask(prompt_mask, rule)  # an unknown rule fails here, before any forward pass
        self.scales: dict[int, torch.Tensor] = {}  # layer -> s_l per row (prefill mode)
        self._added: dict[int, torch.Tensor] = {}  # layer -> [batch, 1, d] vector added (prefill mode)
        self._running: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}  # layer -> (norm sum, count)
        # layer -> s_l per row at each forward call (prefill, then one per decode step), if asked
        self.history: dict[int, list[torch.Tensor]] | None = {} if record else None

    def _scale(self, layer: int, hidden: torch.Tensor) -> torch.Tensor:
        width = self.mask.shape[1]
        if self.scale == "per_step":
            extra = hidden.shape[1] - width  # generated tokens are never padding
            mask = torch.cat([self.mask, self.mask.new_ones(self.mask.shape[0], max(0, extra))], dim=1)
            return mean_norm(hidden, scale_mask(mask, self.rule)[:, -hidden.shape[1]:])
        if self.scale == "running":
            return self._running_scale(layer, hidden)
        if layer not in self.scales:
            if hidden.shape[1] != width:
                raise RuntimeError(f"block {layer}: first call is not the prompt prefill")
            self.scales[layer] = mean_norm(hidden, scale_mask(self.mask, self.rule))
        return self.scales[layer]

    def _running_scale(self, layer: int, hidden: torch.Tensor) -> torch.Tensor:
        if layer not in self._running:
            if hidden.shape[1] != self.mask.shape[1]:
                raise RuntimeError(f"block {layer}: first call is not the prompt prefill")
            m = scale_mask(self.mask, self.rule)
            s = mean_norm(hidden, m)  # the prefill's s_l, bit for bit the other modes' value
            count = m.to(torch.float64).sum(-1).clamp(min=1)
            self._running[layer] = (s.double() * count, count)
            return s
        total, count = self._running[layer]
        norms = torch.linalg.vector_norm(hidden, dim=-1, dtype=torch.float32).double()  # new tokens only
        total, count = total + norms.sum(-1), count + hidden.shape[1]
        self._running[layer] = (total, count)
        return total / count

    def hook(self, layer: int) -> LayerHook:
        def fn(hidden: torch.Tensor) -> torch.Tensor:
            add = self._added.get(layer)
            if add is None:
                s = self._scale(layer, hidden).to(self.delta.device)
                if self.history is not None:
                    self.history.setdefault(layer, []).append(s.double().cpu())
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
                     layers: Sequence[int] | None = None, batch_size: int = 8,
                     rule: ScaleRule | Sequence[ScaleRule] = "paper",
                     memo: BatchMemo[Generation] | None = None) -> list[Generation]:
    """Greedy generation with per-row steering; ``directions`` is ``[d]`` or ``[n, d]`` (unit);
    ``rule`` is one scale rule or one per row; ``memo`` keeps finished batches (resumable)."""
    dirs, a = _rows(directions, alphas, len(prompts), handle.d_model)
    blocks = list(range(handle.n_layers)) if layers is None else list(layers)
    rules = [rule] * len(prompts) if isinstance(rule, str) else list(rule)
    if len(rules) != len(prompts):
        raise HarnessError(f"steering: expected {len(prompts)} scale rules, got {len(rules)}")

    def batch_hooks(rows: list[int], mask: torch.Tensor) -> dict[int, LayerHook]:
        idx = torch.as_tensor(rows)
        steer = RowSteering(dirs[idx].to(handle.device), a[idx].to(handle.device), mask, scale,
                            [rules[row] for row in rows])
        return steer.hooks(blocks)

    return generate(handle, prompts, max_new_tokens, batch_size=batch_size, hooks=batch_hooks,
                    use_cache=scale != "per_step", memo=memo)


def scale_series(handle: ModelHandle, prompts: Sequence[Sequence[int]], directions: torch.Tensor,
                 alphas: Sequence[float], max_new_tokens: int, scale: Scale, batch_size: int = 8
                 ) -> tuple[list[Generation], dict[int, list[list[float]]]]:
    """:func:`generate_steered` (steering every block, rule "paper") that also returns the s_l each
    block used: ``{block: [row][call]}``, one value at the prefill and one per decode step after
    it (prefill mode: its single value). For comparing scale modes, not for the grid."""
    dirs, a = _rows(directions, alphas, len(prompts), handle.d_model)
    made: list[tuple[list[int], RowSteering]] = []

    def batch_hooks(rows: list[int], mask: torch.Tensor) -> dict[int, LayerHook]:
        idx = torch.as_tensor(rows)
        made.append((rows, RowSteering(dirs[idx].to(handle.device), a[idx].to(handle.device), mask, scale,
                                       record=True)))
        return made[-1][1].hooks(range(handle.n_layers))

    gens = generate(handle, prompts, max_new_tokens, batch_size=batch_size, hooks=batch_hooks,
                    use_cache=scale != "per_step")
    series: dict[int, list[list[float]]] = {layer: [[] for _ in prompts] for layer in range(handle.n_layers)}
    for rows, steer in made:
        for layer, calls in (steer.history or {}).items():
            for j, row in enumerate(rows):
                series[layer][row] = [float(c[j]) for c in calls]
    return gens, series


@torch.no_grad()
def steered_last_states(handle: ModelHandle, prompts: Sequence[Sequence[int]], directions: torch.Tensor,
                        alphas: Sequence[float], layer: int, layers: Sequence[int] | None = None,
                        batch_size: int = 8, rule: ScaleRule | Sequence[ScaleRule] = "paper") -> torch.Tensor:
    """Block ``layer``'s residual at each prompt's last token with steering on: ``[n, d]``.

    The paper's activation delta is the projection of this (minus its alpha=0 value) on
    v_hat; it includes the injected vector itself.
    """
    dirs, a = _rows(directions, alphas, len(prompts), handle.d_model)
    blocks = list(range(handle.n_layers)) if layers is None else list(layers)
    rules = [rule] * len(prompts) if isinstance(rule, str) else list(rule)
    out = torch.empty(len(prompts), handle.d_model)
    # Input order, unlike the other loops: these states were always batched as given, and
    # batch composition moves the last float bits.
    for batch in batches(handle, prompts, batch_size, order="input"):
        rows = batch.rows
        idx = torch.as_tensor(rows)
        steer = RowSteering(dirs[idx].to(handle.device), a[idx].to(handle.device), batch.mask,
                            rule=[rules[row] for row in rows])
        hooks = steer.hooks(blocks)
        got: dict[str, torch.Tensor] = {}
        inner = hooks.get(layer)

        def pick(hidden: torch.Tensor, inner: LayerHook | None = inner, got: dict = got) -> torch.Tensor:
            new = inner(hidden) if inner is not None else hidden
            got["h"] = new[:, -1].float().cpu()  # left padding: the last column is every row's last token
            raise StopForward

        hooks[layer] = pick
        with contextlib.suppress(StopForward):
            batch.forward(handle, hooks)
        out[rows] = got["h"]
    return out
