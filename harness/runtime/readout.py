"""The unsteered model re-reads a prompt + continuation: projection readout and perplexity.

One teacher-forced forward pass per batch gives both: the mean projection of block
``layer``'s residual on a direction over the continuation's tokens (the readout delta's
ingredient: it shows the *text* changed, not just the injected activations), and the
scorer's negative log-likelihood of the continuation given the prompt.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from harness.errors import HarnessError
from harness.models.loading import ModelHandle
from harness.runtime.batching import Batch, BatchMemo, map_batches
from harness.runtime.hooks import StopForward

# A scoring pass holds logits for every kept position of every row ([rows, positions, vocab],
# float32): with Gemma's 262k-entry vocabulary, 16 rows of 200 tokens are 3.4 GB. A batch whose
# logits would pass this size is scored in parts of fewer rows (same inputs, row by row).
LOGITS_BUDGET_BYTES = 2 << 30


@dataclass(frozen=True)
class Reread:
    projection: float  # mean over continuation tokens of <h_layer, direction>; nan if empty
    nll: float  # summed negative log-likelihood of the continuation tokens
    n_tokens: int
    projections: tuple[float, ...] = ()  # one per direction when each row has several ([n, k, d])

    @property
    def perplexity(self) -> float:
        return math.exp(self.nll / self.n_tokens) if self.n_tokens else math.nan


@torch.no_grad()
def reread(handle: ModelHandle, prompts: Sequence[Sequence[int]], continuations: Sequence[Sequence[int]],
           directions: torch.Tensor | None = None, layer: int | Sequence[int] | None = None,
           batch_size: int = 8, score: bool = True, memo: BatchMemo[Reread] | None = None) -> list[Reread]:
    """Score each continuation given its prompt (no hooks but the read-out). ``directions`` is
    ``[d]``, ``[n, d]`` or ``[n, k, d]`` (k read-outs per row, in ``projections``); ``layer`` is
    the block read (default: the middle one), or with ``[n, k, d]`` one block per read-out.
    ``score=False`` reads the projections only: the pass stops after the last block read (no
    perplexity; nll is nan), the same states for a fraction of the compute. ``memo`` keeps
    finished batches (resumable; harness.runtime.batching.BatchMemo)."""
    if len(prompts) != len(continuations):
        raise HarnessError(f"reread(): {len(prompts)} prompts but {len(continuations)} continuations")
    n = len(prompts)
    if any(not p for p in prompts):
        raise HarnessError("reread(): a prompt is empty")
    if not score and directions is None:
        raise HarnessError("reread(): score=False needs directions to read")
    dirs = None
    if directions is not None:
        dirs = directions.reshape(1, -1).expand(n, -1) if directions.dim() == 1 else directions
    k_reads = dirs.shape[1] if dirs is not None and dirs.dim() == 3 else 1
    if layer is None or isinstance(layer, int):
        per_read = [handle.middle_layer if layer is None else layer] * k_reads
    else:
        per_read = list(layer)
        if dirs is None or dirs.dim() != 3 or len(per_read) != k_reads:
            raise HarnessError(f"reread(): {len(per_read)} blocks given; give one per read-out direction "
                               f"([n, k, d] directions, k = {k_reads})")
    if any(not 0 <= b < handle.n_layers for b in per_read):
        raise HarnessError(f"reread(): block out of range for {handle.key} ({handle.n_layers} blocks): {per_read}")
    blocks = sorted(set(per_read))
    # One sequence per pair, so batches go longest-first by prompt + continuation length.
    seqs = [list(p) + list(c) for p, c in zip(prompts, continuations, strict=True)]

    vocab = int(handle.model.config.get_text_config().vocab_size)

    def run(batch: Batch) -> list[Reread]:
        if score:
            keep = min(batch.width, max(len(continuations[i]) for i in batch.rows) + 1)
            fit = max(1, LOGITS_BUDGET_BYTES // (keep * vocab * 4))
            if len(batch.rows) > fit:
                return [r for part in batch.split(fit) for r in run(part)]
        got: dict[int, torch.Tensor] = {}

        def reader(block: int):
            def read(hidden: torch.Tensor) -> None:
                got[block] = hidden.float()
                if not score and block == blocks[-1]:
                    raise StopForward
            return read

        hooks = {b: reader(b) for b in blocks} if dirs is not None else {}
        width = batch.width
        if score:
            # Only the positions that predict continuation tokens need logits (the output
            # matrix and softmax over the vocabulary are a large share of a small model).
            keep = min(width, max(len(continuations[i]) for i in batch.rows) + 1)
            logits = batch.forward(handle, hooks, head=True, logits_to_keep=keep).logits
            off = width - keep  # column of logits[:, 0]
        else:
            with contextlib.suppress(StopForward):
                batch.forward(handle, hooks)
        out = []
        for j, i in enumerate(batch.rows):
            m = len(continuations[i])
            first = width - m  # column of the first continuation token
            if m == 0:
                k = dirs.shape[1] if dirs is not None and dirs.dim() == 3 else 0
                out.append(Reread(math.nan, 0.0, 0, (math.nan,) * k))
                continue
            target = batch.ids[j, first:]
            nll = math.nan
            if score:  # row by row: a log-softmax of the whole batch would double the logits' memory
                logp = torch.log_softmax(logits[j, first - 1 - off:width - 1 - off].float(), dim=-1)
                nll = -logp.gather(-1, target[:, None]).sum().item()
            proj, projs = math.nan, ()
            if dirs is not None:
                h0 = got[per_read[0]]
                v = dirs[i].to(h0.device, torch.float32)
                if v.dim() == 2:  # one matmul per block read
                    vals = [math.nan] * len(per_read)
                    for b in blocks:
                        qs = [q for q, at in enumerate(per_read) if at == b]
                        for q, x in zip(qs, (got[b][j, first:] @ v[qs].mT).mean(0).tolist(), strict=True):
                            vals[q] = x
                    projs = tuple(vals)
                    proj = projs[0]
                else:
                    proj = float((h0[j, first:] @ v).mean())
            out.append(Reread(proj, nll, m, projs))
        return out

    return map_batches(handle, seqs, batch_size, run, memo=memo)
