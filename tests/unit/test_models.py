"""Loading: local directories, hub ids absent from the cache, device/dtype errors, fingerprints."""

from __future__ import annotations

import pytest
import torch

from harness.errors import HarnessError, ModelUnavailable
from harness.models.loading import fingerprint, load, resolve_device, resolve_dtype
from harness.testing import tiny_model, tiny_tokenizer


@pytest.fixture(scope="module")
def saved_tiny(tmp_path_factory):
    path = tmp_path_factory.mktemp("tiny-llama")
    tiny_model("llama").save_pretrained(path)
    tiny_tokenizer().save_pretrained(path)
    return path


def test_local_directory_loads_with_facts_and_fingerprint(saved_tiny):
    h = load(str(saved_tiny))
    assert (h.family, h.n_layers, h.d_model) == ("llama", 3, 64)
    assert not h.is_instruct and not h.has_chat_template
    assert h.middle_layer == 1
    assert h.tokenizer.padding_side == "left"
    assert h.fingerprint == fingerprint(tiny_model("llama"))
    assert load(str(saved_tiny)).fingerprint == h.fingerprint


def test_loaded_weights_are_not_memory_mapped(saved_tiny):
    """Every parameter must own its memory: mmapped weights ran 10-40x slower on these VMs."""
    h = load(str(saved_tiny))
    from safetensors import safe_open

    with safe_open(str(saved_tiny / "model.safetensors"), "pt") as f:
        mapped = {f.get_tensor(k).data_ptr() for k in f.keys()}  # noqa: SIM118
    assert all(p.data_ptr() not in mapped for p in h.model.parameters())
    assert all(p.is_contiguous() for p in h.model.parameters())


def test_fingerprint_changes_with_any_weight():
    m = tiny_model("qwen2")
    before = fingerprint(m)
    with torch.no_grad():
        next(m.parameters()).view(-1)[0] += 1e-3
    assert fingerprint(m) != before


def test_hub_model_absent_from_the_cache_is_unavailable(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelUnavailable, match=r"gpt2: weights for openai-community/gpt2 are not in the local"):
        load("gpt2")


def test_bad_device_and_dtype_fail_with_one_line():
    if not torch.cuda.is_available():
        with pytest.raises(HarnessError, match="no CUDA GPU; use the device cpu"):
            resolve_device("cuda")
    with pytest.raises(HarnessError, match="unknown device 'tpu'"):
        resolve_device("tpu")
    with pytest.raises(HarnessError, match="unknown dtype 'float8'"):
        resolve_dtype("float8")
    assert resolve_device("auto").type in {"cpu", "cuda"}


def test_xdist_workers_spread_over_gpus():
    from harness.models.loading import worker_device

    assert worker_device("cuda", "gw0", 4) == "cuda:0"
    assert worker_device("cuda", "gw5", 4) == "cuda:1"
    assert worker_device("cuda", "gw3", 1) == "cuda"  # one GPU: everyone shares it
    assert worker_device("cuda:2", "gw1", 4) == "cuda:2"  # an explicit GPU is kept
    assert worker_device("cpu", "gw1", 4) == "cpu"
    assert worker_device("cuda", None, 4) == "cuda"
