"""Native forward hooks on decoder blocks: the residual stream after block l.

A block's output is the same tensor TransformerLens calls ``blocks.{l}.hook_resid_post``
(tests/unit/test_activations.py proves it per family). Hooks here run on the pristine HF model,
so KV-cached generation stays correct, which the TransformerLens bridge breaks.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping

import torch
from torch import nn

from harness.models.layers import decoder_layers

# Called with the block's output hidden states [batch, seq, d_model]; returning a tensor
# replaces them (steering), returning None leaves them unchanged (capture).
LayerHook = Callable[[torch.Tensor], torch.Tensor | None]


class StopForward(Exception):
    """Raised by a hook once the block it reads has run: later blocks cannot change that state,
    so the forward pass stops there (callers suppress it)."""


@contextlib.contextmanager
def attach(model: nn.Module, hooks: Mapping[int, LayerHook] | None) -> Iterator[None]:
    """Register ``hooks`` (block index -> hook) for the duration of the ``with`` block."""
    layers = decoder_layers(model)
    handles = []
    try:
        for idx, fn in (hooks or {}).items():
            if not 0 <= idx < len(layers):
                raise IndexError(f"block {idx} out of range for a {len(layers)}-block model")
            handles.append(layers[idx].register_forward_hook(_wrap(fn)))
        yield
    finally:
        for h in handles:
            h.remove()


def _wrap(fn: LayerHook):
    def hook(_module: nn.Module, _inputs: object, output: object) -> object:
        hidden = output[0] if isinstance(output, tuple) else output
        new = fn(hidden)
        if new is None:
            return None
        return (new, *output[1:]) if isinstance(output, tuple) else new

    return hook
