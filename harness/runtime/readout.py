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
from harness.runtime.batching import Batch, map_batches
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
           directions: torch.Tensor | None = None, layer: int | None = None,
           batch_size: int = 8, score: bool = True) -> list[Reread]:
    """Score each continuation given its prompt (no hooks but the read-out). ``directions`` is
    ``[d]``, ``[n, d]`` or ``[n, k, d]`` (k read-outs per row, in ``projections``).
    ``score=False`` reads the projections only: the pass stops after block ``layer`` (no
    perplexity; nll is nan), the same states for a fraction of the compute."""
    if len(prompts) != len(continuations):
        raise HarnessError(f"reread(): {len(prompts)} prompts but {len(continuations)} continuations")
    n = len(prompts)
    if any(not p for p in prompts):
        raise HarnessError("reread(): a prompt is empty")
    if not score and directions is None:
        raise HarnessError("reread(): score=False needs directions to read")
    layer = handle.middle_layer if layer is None else layer
    dirs = None
    if directions is not None:
        dirs = directions.reshape(1, -1).expand(n, -1) if directions.dim() == 1 else directions
    # One sequence per pair, so batches go longest-first by prompt + continuation length.
    seqs = [list(p) + list(c) for p, c in zip(prompts, continuations, strict=True)]

    vocab = int(handle.model.config.get_text_config().vocab_size)

    def run(batch: Batch) -> list[Reread]:
        if score:
            keep = min(batch.width, max(len(continuations[i]) for i in batch.rows) + 1)
            fit = max(1, LOGITS_BUDGET_BYTES // (keep * vocab * 4))
            if len(batch.rows) > fit:
                return [r for part in batch.split(fit) for r in run(part)]
        got: dict[str, torch.Tensor] = {}

        def read(hidden: torch.Tensor) -> None:
            got["h"] = hidden.float()
            if not score:
                raise StopForward

        width = batch.width
        if score:
            # Only the positions that predict continuation tokens need logits (the output
            # matrix and softmax over the vocabulary are a large share of a small model).
            keep = min(width, max(len(continuations[i]) for i in batch.rows) + 1)
            logits = batch.forward(handle, {layer: read} if dirs is not None else {}, head=True,
                                   logits_to_keep=keep).logits
            off = width - keep  # column of logits[:, 0]
        else:
            with contextlib.suppress(StopForward):
                batch.forward(handle, {layer: read})
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
                v = dirs[i].to(got["h"].device, torch.float32)
                read = (got["h"][j, first:] @ (v.mT if v.dim() == 2 else v)).mean(0)
                projs = tuple(read.tolist()) if v.dim() == 2 else ()
                proj = projs[0] if projs else read.item()
            out.append(Reread(proj, nll, m, projs))
        return out

    return map_batches(handle, seqs, batch_size, run)
