"""Vector export round trips: safetensors with all layers and metadata; a llama.cpp
control-vector GGUF that the gguf package reads back with the right names and shapes."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from harness.errors import HarnessError
from harness.experiments.extraction import comprehension
from harness.export import export, residual_scales
from harness.metrics.vectors import vectors_from_states
from harness.protocol import get_profile
from harness.stimuli.loading import load_stimuli
from harness.testing import tiny_handle


@pytest.fixture(scope="module")
def setup():
    return tiny_handle("llama"), load_stimuli(), get_profile("quick")


def test_safetensors_round_trip(setup, tmp_path):
    from safetensors import safe_open

    h, st, prof = setup
    path = export(h, st, prof, "calm", "safetensors", tmp_path / "calm.safetensors")
    with safe_open(str(path), "pt") as f:
        meta = f.metadata()
        vecs, steer, scales = f.get_tensor("vectors"), f.get_tensor("steering"), f.get_tensor("scales")
    assert vecs.shape == steer.shape == (h.n_layers, h.d_model) and scales.shape == (h.n_layers,)
    expected = vectors_from_states(comprehension(h, st).data, st.names, "neutral")[:, st.names.index("calm")]
    assert torch.allclose(vecs, expected.float())
    assert torch.allclose(vecs.norm(dim=-1), torch.ones(h.n_layers), atol=1e-5)
    assert torch.allclose(steer, scales[:, None] * vecs[h.middle_layer][None], atol=1e-6)
    assert meta["model"] == h.key and meta["fingerprint"] == h.fingerprint and meta["emotion"] == "calm"
    assert meta["method"] == "comprehension" and meta["baseline"] == "neutral"
    assert meta["stimuli"] == st.content_hash() and "harness_version" in meta


def test_gguf_control_vector_round_trip(setup, tmp_path):
    import gguf

    h, st, prof = setup
    path = export(h, st, prof, "happy", "gguf", tmp_path / "happy.gguf")
    reader = gguf.GGUFReader(str(path))
    fields = {name: f for name, f in reader.fields.items()}
    arch = fields["general.architecture"]
    assert bytes(arch.parts[arch.data[0]]).decode() == "controlvector"
    assert int(fields["controlvector.layer_count"].parts[-1][0]) == h.n_layers - 1
    hint = fields["controlvector.model_hint"]
    assert bytes(hint.parts[hint.data[0]]).decode() == "llama"
    meta = json.loads(bytes(fields["emotion_harness.metadata"].parts[-1]).decode())
    assert meta["emotion"] == "happy" and meta["model"] == h.key
    names = [t.name for t in reader.tensors]
    assert names == [f"direction.{layer}" for layer in range(1, h.n_layers)]  # llama.cpp has no block 0 slot
    scales = residual_scales(h, list(st.neutral_sentences))
    v = vectors_from_states(comprehension(h, st).data, st.names, "neutral")[h.middle_layer, st.names.index("happy")]
    for t in reader.tensors:
        layer = int(t.name.split(".")[1])
        assert t.data.shape == (h.d_model,) and t.data.dtype == np.float32
        assert np.allclose(t.data, (scales[layer] * v.float()).numpy(), atol=1e-5)


def test_bad_export_arguments_are_one_line_errors(setup, tmp_path):
    h, st, prof = setup
    with pytest.raises(HarnessError, match="unknown --emotion 'zen'"):
        export(h, st, prof, "zen", "gguf", tmp_path / "x.gguf")
    with pytest.raises(HarnessError, match="generation-based extraction needs an instruct model"):
        export(h, st, prof, "calm", "gguf", tmp_path / "x.gguf", method="generation")
    assert not (tmp_path / "x.gguf").exists()
