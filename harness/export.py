"""Export an emotion's vectors for other tools: safetensors (all layers + metadata) and a
llama.cpp control-vector GGUF.

The GGUF follows the control-vector layout llama.cpp's ``--control-vector`` reads:
architecture ``controlvector``, ``controlvector.model_hint`` / ``controlvector.layer_count``,
and one float32 tensor ``direction.N`` per block. llama.cpp adds ``direction.N`` to the
output of (0-based) block N and has no slot for block 0, so block 0 is left out.
The directions are this harness's steering recipe: the emotion's unit middle-layer vector
times s_l, the mean residual norm of block l over the neutral sentences, so
``--control-vector-scaled FILE ALPHA`` adds about ``alpha * s_l * v_hat`` as the evals do
(there s_l is measured on each prompt instead).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import numpy as np
import torch

from harness import __version__
from harness.cache import atomic_path
from harness.errors import HarnessError
from harness.experiments.extraction import Method, extract, supports
from harness.metrics.vectors import Baseline, vectors_from_states
from harness.models.loading import ModelHandle
from harness.protocol import PROTOCOL_VERSION, Profile
from harness.runtime.batching import batches, text_ids
from harness.runtime.steering import mean_norm
from harness.stimuli.loading import Stimuli

Format = Literal["safetensors", "gguf"]
FORMATS: tuple[Format, ...] = ("safetensors", "gguf")
# llama.cpp architecture names where they differ from the HF model_type.
_LLAMA_CPP_ARCH = {"gemma3_text": "gemma3", "mistral": "llama"}


@torch.no_grad()
def residual_scales(handle: ModelHandle, texts: list[str]) -> torch.Tensor:
    """s_l: mean over texts of the mean L2 norm over each text's tokens, per block ``[L]``."""
    if not texts:
        raise HarnessError("residual_scales() got no texts")
    ids = [text_ids(handle, t) for t in texts]
    # All texts in one batch, in input order: files exported so far were measured that way,
    # and the padded width moves the scales' last bits.
    (batch,) = batches(handle, ids, len(ids), order="input")
    norms: dict[int, torch.Tensor] = {}

    def reader(layer: int):
        def fn(hidden: torch.Tensor) -> None:
            norms[layer] = mean_norm(hidden, batch.mask).double().cpu()

        return fn

    batch.forward(handle, {layer: reader(layer) for layer in range(handle.n_layers)})
    return torch.stack([norms[layer].mean() for layer in range(handle.n_layers)]).float()


def emotion_export(handle: ModelHandle, stimuli: Stimuli, profile: Profile, emotion: str,
                   method: Method = "comprehension", baseline: Baseline = "neutral"
                   ) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    if emotion not in stimuli.names:
        raise HarnessError(f"unknown --emotion '{emotion}'; use one of {', '.join(stimuli.names)}")
    reason = supports(handle, method)
    if reason:
        raise HarnessError(reason)
    ex = extract(handle, method, stimuli, profile)
    vecs = vectors_from_states(ex.data, stimuli.names, baseline)[:, stimuli.names.index(emotion)].float()
    scales = residual_scales(handle, list(stimuli.neutral_sentences))
    steering = scales[:, None] * vecs[handle.middle_layer][None, :]
    tensors = {"vectors": vecs.contiguous(), "steering": steering.contiguous(), "scales": scales.contiguous()}
    meta = {"model": handle.key, "fingerprint": handle.fingerprint, "emotion": emotion, "method": method,
            "baseline": baseline, "middle_layer": str(handle.middle_layer), "n_layers": str(handle.n_layers),
            "stimuli": stimuli.content_hash(), "profile": profile.name, "harness_version": __version__,
            "protocol_version": str(PROTOCOL_VERSION),
            "layout": "vectors[l]: unit emotion vector at block l; steering[l] = scales[l] * vectors[middle_layer] "
                      "per unit alpha; scales[l]: mean residual norm of block l over the neutral sentences (the evals "
                      "measure s_l on each prompt instead, so this is an approximation of what they add)"}
    return tensors, meta


def write_safetensors(path: Path, tensors: dict[str, torch.Tensor], meta: dict[str, str]) -> Path:
    from safetensors.torch import save_file

    with atomic_path(path) as tmp:
        save_file(tensors, str(tmp), metadata=meta)
    return path


def write_control_vector(path: Path, tensors: dict[str, torch.Tensor], meta: dict[str, str],
                         model_type: str) -> Path:
    import gguf

    steering = tensors["steering"].numpy().astype(np.float32)
    with atomic_path(path) as tmp:
        w = gguf.GGUFWriter(str(tmp), "controlvector")
        w.add_string("controlvector.model_hint", _LLAMA_CPP_ARCH.get(model_type, model_type))
        w.add_uint32("controlvector.layer_count", steering.shape[0] - 1)
        w.add_string("emotion_harness.metadata", json.dumps(meta, sort_keys=True))
        for layer in range(1, steering.shape[0]):
            w.add_tensor(f"direction.{layer}", steering[layer])
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_tensors_to_file()
        w.close()
    return path


def export(handle: ModelHandle, stimuli: Stimuli, profile: Profile, emotion: str, fmt: Format, out: Path,
           method: Method = "comprehension", baseline: Baseline = "neutral") -> Path:
    if fmt not in FORMATS:
        raise HarnessError(f"unknown --format '{fmt}'; use safetensors or gguf")
    tensors, meta = emotion_export(handle, stimuli, profile, emotion, method, baseline)
    if fmt == "safetensors":
        return write_safetensors(out, tensors, meta)
    return write_control_vector(out, tensors, meta, handle.model.config.model_type)
