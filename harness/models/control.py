"""The control model: a random-weight copy of a model's architecture.

Same config and tokenizer, weights re-initialised from a fixed seed by the architecture's
own initialiser. A geometry claim that also holds on it comes from the tokens and the
architecture, not from anything the model learned, and is uninformative about emotions.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time

import torch

from harness import thresholds as th
from harness.models.loading import ModelHandle

SUFFIX = "+random-init"


def random_weight_copy(handle: ModelHandle, seed: int = th.SEED) -> ModelHandle:
    """A seeded random re-initialisation of ``handle``'s architecture (its own tokenizer)."""
    from transformers import AutoModelForCausalLM

    t0 = time.perf_counter()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = AutoModelForCausalLM.from_config(handle.model.config, dtype=handle.dtype)
    model.to(handle.device).eval()
    model.requires_grad_(False)
    spec = dataclasses.replace(handle.spec, key=handle.key + SUFFIX, hub_id=None, gguf=None, local_dir=None,
                               embedded=False, paper_label=None,
                               note=f"random-weight control of {handle.key} (seed {seed})")
    fp = hashlib.sha256(f"{handle.fingerprint}|random-init|{seed}".encode()).hexdigest()
    return ModelHandle(spec=spec, model=model, tokenizer=handle.tokenizer, fingerprint=fp,
                       load_seconds=time.perf_counter() - t0, device=handle.device, dtype=handle.dtype)


def is_control(key: str) -> bool:
    return key.endswith(SUFFIX)
