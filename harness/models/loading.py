"""Load a model into a :class:`ModelHandle`: pristine HF model, tokenizer, facts, fingerprint.

The HF model in the handle is never booted into TransformerLens: booting replaces its
decoder layers in place and breaks KV-cached generation (docs/protocol.md, Caching and determinism). The
bridge is booted lazily on a deep copy, for users who want TransformerLens hooks.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from harness import progress
from harness.cache import atomic_dir, cache_root, hash_tensors, locked, write_json
from harness.errors import HarnessError, ModelUnavailable
from harness.models.layers import decoder_layers
from harness.models.options import LoadOptions
from harness.models.registry import ModelSpec, get_spec
from harness.protocol import middle_block
from harness.version import __version__

log = logging.getLogger(__name__)

# Bump when convert_gguf writes something different; older cache entries are rebuilt.
CONVERT_FORMAT = 2
DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


@dataclass
class ModelHandle:
    spec: ModelSpec
    model: nn.Module  # pristine HF causal LM, eval mode, weights in RAM
    tokenizer: Any
    fingerprint: str
    load_seconds: float
    device: torch.device
    dtype: torch.dtype
    _bridge: Any = field(default=None, repr=False)

    @property
    def key(self) -> str:
        return self.spec.key

    @property
    def family(self) -> str:
        return self.spec.family

    @property
    def is_instruct(self) -> bool:
        return self.spec.kind == "instruct"

    @property
    def n_layers(self) -> int:
        return len(decoder_layers(self.model))

    @property
    def d_model(self) -> int:
        return int(self.model.config.get_text_config().hidden_size)

    @property
    def has_chat_template(self) -> bool:
        return bool(getattr(self.tokenizer, "chat_template", None))

    @property
    def middle_layer(self) -> int:
        """The block the middle-layer claims read (:func:`harness.protocol.middle_block`)."""
        return middle_block(self.n_layers)

    @property
    def bridge(self) -> Any:
        """TransformerLens 4 bridge over a deep copy of the model (booted on first use).

        Use it for TransformerLens hooks on forward passes. Do not generate through it:
        TransformerLens 4.3.0 never fills the KV cache under transformers 5 (it reads
        ``past_key_values`` where transformers now passes ``cache``), so cached generation
        of a booted model is wrong from the second new token on. harness.runtime.generate
        runs on the pristine model instead.
        """
        if self._bridge is None:
            from transformer_lens.model_bridge import TransformerBridge

            twin = copy.deepcopy(self.model).eval()
            tok = copy.deepcopy(self.tokenizer)
            # TL reloads the tokenizer by name (from the hub) unless it already adds BOS; the
            # harness hands the bridge token ids, never strings, so mark the copy as BOS-adding.
            tok.init_kwargs.setdefault("name_or_path", self.key)
            tok.init_kwargs["add_bos_token"] = True
            self._bridge = TransformerBridge.boot_transformers(
                self.spec.hub_id or self.key, hf_model=twin, tokenizer=tok, device=str(self.device),
                # TL picks its adapter from `architectures`, which config-built models lack.
                hf_config_overrides={"architectures": [type(twin).__name__]},
            )
        return self._bridge


# Config entries that say where or with what a model was saved, not what it computes.
_CONFIG_PROVENANCE = ("_name_or_path", "transformers_version", "architectures")


def fingerprint(model: nn.Module) -> str:
    """sha256 over the config and every tensor's name, dtype, shape and bytes."""
    h = hashlib.sha256()
    cfg = {k: v for k, v in model.config.to_dict().items() if k not in _CONFIG_PROVENANCE}
    h.update(json.dumps(cfg, sort_keys=True, default=str).encode())
    hash_tensors(h, model.state_dict().items())
    return h.hexdigest()


def resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise HarnessError(f"device {device} asked for, but torch sees no CUDA GPU; use the device cpu")
    try:
        return torch.device(device)
    except RuntimeError:
        raise HarnessError(f"unknown device '{device}'; use cpu, cuda, cuda:N or auto") from None


def worker_device(device: str, worker: str | None, n_gpus: int) -> str:
    """Under pytest-xdist, plain ``cuda`` spreads workers over the GPUs: gwN -> cuda:(N mod n)."""
    if device != "cuda" or not worker or n_gpus < 2 or not worker.startswith("gw"):
        return device
    return f"cuda:{int(worker[2:]) % n_gpus}"


def resolve_dtype(dtype: str) -> torch.dtype:
    if dtype not in DTYPES:
        raise HarnessError(f"unknown dtype '{dtype}'; use one of {', '.join(DTYPES)}")
    return DTYPES[dtype]


def converted_dir(spec: ModelSpec) -> Path:
    return cache_root() / "models" / spec.key


def convert_gguf(spec: ModelSpec, offline: bool = False) -> Path:
    """Dequantize the embedded GGUF once and keep it as float32 safetensors + tokenizer."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from harness.models.fetch import fetch_gguf

    out = converted_dir(spec)
    with locked(out):
        if _converted_format(out) == CONVERT_FORMAT:
            return out
        gguf = fetch_gguf(spec, offline=offline)
        t0 = time.perf_counter()
        kw = {"gguf_file": gguf.name}
        with progress.phase(spec.key, "dequantize GGUF to float32"):
            model = AutoModelForCausalLM.from_pretrained(gguf.parent, dtype=torch.float32, **kw)
            tok = AutoTokenizer.from_pretrained(gguf.parent, **kw)
        # Weights are plain float32 now; without these, save_pretrained refuses, or the saved
        # config brings the GGUF quantizer back on reload.
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        _fix_generation_config(model, tok)
        with atomic_dir(out) as tmp:
            model.save_pretrained(tmp, safe_serialization=True)
            tok.save_pretrained(tmp)
            write_json(tmp / "harness.json", {
                "key": spec.key, "format": CONVERT_FORMAT,
                "gguf": spec.gguf.filename, "gguf_sha256": spec.gguf.sha256,
                "fingerprint": fingerprint(model), "harness_version": __version__,
                "dequantize_seconds": round(time.perf_counter() - t0, 2),
            })
    return out


def _converted_format(out: Path) -> int | None:
    try:
        return json.loads((out / "harness.json").read_text()).get("format")
    except (OSError, ValueError, AttributeError):  # absent, unreadable or not an object: rebuild
        return None


def _fix_generation_config(model: nn.Module, tok: Any) -> None:
    gc = model.generation_config
    if gc.pad_token_id is None and tok.pad_token_id is not None:
        gc.pad_token_id = tok.pad_token_id


def load(key: str, options: LoadOptions | None = None) -> ModelHandle:
    """Load a registry key or local directory. Raises ModelUnavailable when weights are absent."""
    o = options or LoadOptions()
    offline, allow_download, trust_remote_code = o.offline, o.allow_download, o.trust_remote_code
    spec = get_spec(key)
    dev, dt = resolve_device(o.device), resolve_dtype(o.dtype)
    t0 = time.perf_counter()
    if spec.gguf is not None:
        model, tok, meta = _load_converted(spec, dt, offline)
        fp = meta["fingerprint"] if dt == torch.float32 else fingerprint(model)
    else:
        where = str(spec.local_dir) if spec.local_dir else spec.hub_id
        assert where is not None
        model, tok = _from_pretrained(where, spec, dt, local_only=not allow_download or offline,
                                      trust_remote_code=trust_remote_code)
        fp = fingerprint(model)
    model.to(dev).eval()
    model.requires_grad_(False)
    handle = ModelHandle(spec=spec, model=model, tokenizer=tok, fingerprint=fp,
                         load_seconds=time.perf_counter() - t0, device=dev, dtype=dt)
    _check_shape(handle)
    return handle


def _load_converted(spec: ModelSpec, dtype: torch.dtype, offline: bool) -> tuple[nn.Module, Any, dict]:
    """Load the cached safetensors; a damaged entry is rebuilt once from the verified GGUF."""
    for attempt in (1, 2):
        where = convert_gguf(spec, offline=offline)
        try:
            meta = json.loads((where / "harness.json").read_text())
            model, tok = _from_pretrained(str(where), spec, dtype, local_only=True, trust_remote_code=False)
            return model, tok, meta
        except Exception as e:  # any unreadable entry (truncated file, bad header, bad JSON)
            if attempt == 2:
                raise HarnessError(f"{spec.key}: the cached model in {where} is unreadable even after a "
                                   f"rebuild ({str(e).splitlines()[0]}); delete it and fetch again") from None
            log.warning("%s: cached model in %s is damaged (%s); rebuilding it", spec.key, where, e)
            shutil.rmtree(where, ignore_errors=True)
    raise AssertionError("unreachable")


def _from_pretrained(where: str, spec: ModelSpec, dtype: torch.dtype, local_only: bool,
                     trust_remote_code: bool) -> tuple[nn.Module, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    kw = {"local_files_only": local_only, "trust_remote_code": trust_remote_code}
    if not trust_remote_code and _needs_remote_code(where):
        raise HarnessError(f"{spec.key} ships its own Python code (auto_map in config.json); it is not run "
                           "unless you pass --trust-remote-code, and only do that if you trust its source")
    try:
        tok = AutoTokenizer.from_pretrained(where, **kw)
        model = AutoModelForCausalLM.from_pretrained(where, dtype=dtype, **kw)
    except (OSError, ValueError) as e:
        if "trust_remote_code" in str(e):
            raise HarnessError(f"{spec.key} needs code from its repository to load; pass --trust-remote-code "
                               "only if you trust its source") from None
        if spec.hub_id and local_only:
            raise ModelUnavailable(
                f"{spec.key}: weights for {spec.hub_id} are not in the local Hugging Face cache; "
                f"download them (`hf download {spec.hub_id}`) or pass --allow-download"
            ) from None
        raise HarnessError(f"{spec.key}: cannot load from {where}: {str(e).splitlines()[0]}") from None
    _into_ram(model)
    if tok.padding_side != "left":
        tok.padding_side = "left"  # batched generation and last-token reads assume left padding
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    return model, tok


@torch.no_grad()
def _into_ram(model: nn.Module) -> None:
    """Copy every parameter and buffer into anonymous memory.

    safetensors loads memory-mapped tensors; on these VMs their pages get reclaimed and
    re-read, which made forward passes 10-40x slower. Tied weights stay tied because
    the same Parameter object is updated once.
    """
    seen: set[int] = set()
    for t in (*model.parameters(), *model.buffers()):
        if id(t) in seen:
            continue
        seen.add(id(t))
        t.data = t.data.clone()


def _needs_remote_code(where: str) -> bool:
    cfg = Path(where) / "config.json"
    try:
        return cfg.is_file() and "auto_map" in json.loads(cfg.read_text())
    except ValueError:
        return False


def _check_shape(h: ModelHandle) -> None:
    s = h.spec
    if s.n_layers is not None and h.n_layers != s.n_layers:
        raise HarnessError(f"{s.key}: loaded {h.n_layers} layers, registry says {s.n_layers}; fix the registry")
    if s.d_model is not None and h.d_model != s.d_model:
        raise HarnessError(f"{s.key}: loaded d_model {h.d_model}, registry says {s.d_model}; fix the registry")
