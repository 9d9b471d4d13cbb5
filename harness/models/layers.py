"""Where a causal LM keeps its decoder stack, its blocks and its final norm, per family."""

from __future__ import annotations

from typing import Any

from torch import nn

from harness.errors import HarnessError


def _child(parent: nn.Module, names: tuple[str, ...], kind: type, what: str, model: nn.Module) -> Any:
    for name in names:
        child = getattr(parent, name, None)
        if isinstance(child, kind):
            return child
    raise HarnessError(f"cannot find the {what} of {type(model).__name__} (looked for "
                       f"{', '.join(names)}); add its attribute name in harness/models/layers.py")


def base_model(model: nn.Module) -> nn.Module:
    """The decoder stack without the LM head (llama-like ``.model``, GPT-2 ``.transformer``)."""
    return _child(model, ("model", "transformer"), nn.Module, "decoder stack", model)


def decoder_layers(model: nn.Module) -> nn.ModuleList:
    """The model's decoder blocks in order (llama-like ``model.layers``, GPT-2 ``transformer.h``)."""
    return _child(base_model(model), ("layers", "h"), nn.ModuleList, "decoder layers", model)


def final_norm(model: nn.Module) -> nn.Module:
    return _child(base_model(model), ("norm", "ln_f"), nn.Module, "final norm", model)
