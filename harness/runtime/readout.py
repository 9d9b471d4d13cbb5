"""The unsteered model re-reads a prompt + continuation: projection readout and perplexity.

One teacher-forced forward pass per batch gives both: the mean projection of block
``layer``'s residual on a direction over the continuation's tokens (the readout delta's
ingredient: it shows the *text* changed, not just the injected activations), and the
scorer's negative log-likelihood of the continuation given the prompt.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from harness.errors import HarnessError
from harness.models.loading import ModelHandle
from harness.runtime.capture import left_pad
from harness.runtime.hooks import attach


@dataclass(frozen=True)
class Reread:
    projection: float  # mean over continuation tokens of <h_layer, direction>; nan if empty
    nll: float  # summed negative log-likelihood of the continuation tokens
    n_tokens: int

    @property
    def perplexity(self) -> float:
        return math.exp(self.nll / self.n_tokens) if self.n_tokens else math.nan


@torch.no_grad()
def reread(handle: ModelHandle, prompts: Sequence[Sequence[int]], continuations: Sequence[Sequence[int]],
           directions: torch.Tensor | None = None, layer: int | None = None,
           batch_size: int = 8) -> list[Reread]:
    """Score each continuation given its prompt (no hooks but the read-out)."""
    if len(prompts) != len(continuations):
        raise HarnessError(f"reread(): {len(prompts)} prompts but {len(continuations)} continuations")
    n = len(prompts)
    if any(not p for p in prompts):
        raise HarnessError("reread(): a prompt is empty")
    layer = handle.middle_layer if layer is None else layer
    dirs = None
    if directions is not None:
        dirs = directions.reshape(1, -1).expand(n, -1) if directions.dim() == 1 else directions
    pad = handle.tokenizer.pad_token_id or 0
    out: list[Reread | None] = [None] * n
    order = sorted(range(n), key=lambda i: -(len(prompts[i]) + len(continuations[i])))
    for start in range(0, n, batch_size):
        rows = order[start:start + batch_size]
        seqs = [list(prompts[i]) + list(continuations[i]) for i in rows]
        ids, mask, pos = left_pad(seqs, pad, handle.device)
        got: dict[str, torch.Tensor] = {}

        def keep(hidden: torch.Tensor, got: dict = got) -> None:
            got["h"] = hidden.float()

        hooks = {layer: keep} if dirs is not None else {}
        width = ids.shape[1]
        # Only the positions that predict continuation tokens need logits (the output
        # matrix and softmax over the vocabulary are a large share of a small model).
        keep = min(width, max(len(continuations[i]) for i in rows) + 1)
        with attach(handle.model, hooks):
            logits = handle.model(input_ids=ids, attention_mask=mask, position_ids=pos, use_cache=False,
                                  logits_to_keep=keep).logits
        logp = torch.log_softmax(logits.float(), dim=-1)
        off = width - keep  # column of logits[:, 0]
        for j, i in enumerate(rows):
            m = len(continuations[i])
            first = width - m  # column of the first continuation token
            if m == 0:
                out[i] = Reread(math.nan, 0.0, 0)
                continue
            target = ids[j, first:]
            nll = -logp[j, first - 1 - off:width - 1 - off].gather(-1, target[:, None]).sum().item()
            proj = math.nan
            if dirs is not None:
                v = dirs[i].to(got["h"].device, torch.float32)
                proj = (got["h"][j, first:] @ v).mean().item()
            out[i] = Reread(proj, nll, m)
    return [r for r in out if r is not None]
