"""Vector export round trips: safetensors with all layers and metadata; a llama.cpp
control-vector GGUF that the gguf package reads back with the right names and shapes; the
exported scales are the s_l the evals' steering hooks measure; the sweep's strength range."""

from __future__ import annotations

import json
import os
import stat

import numpy as np
import pytest
import torch

from harness.errors import HarnessError
from harness.experiments.extraction import comprehension
from harness.export import (
    emotion_export,
    export,
    format_readable,
    raw_scenario_prompts,
    read_readable_range,
    read_strength_range,
)
from harness.metrics.vectors import vectors_from_states
from harness.protocol import get_profile
from harness.runtime import steering
from harness.runtime.generate import plain_ids
from harness.stimuli.loading import load_stimuli
from harness.stimuli.scenarios import load_scenarios
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
    scales = steering.prompt_scales(h, raw_scenario_prompts(h), "paper").mean(0).float()
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


def recorded_scales(h, prompts, rule, monkeypatch) -> torch.Tensor:
    """The s_l that RowSteering records at the prefill of each unsteered prompt, ``[n, L]``, read
    off the hooks of a real (one-token) steered generation."""
    made: list[steering.RowSteering] = []
    rows: list[list[int]] = []

    class Spy(steering.RowSteering):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)

    real_generate = steering.generate

    def spy_generate(*args, hooks, **kwargs):
        def batch_hooks(r, mask):
            rows.append(list(r))
            return hooks(r, mask)
        return real_generate(*args, hooks=batch_hooks, **kwargs)

    monkeypatch.setattr(steering, "RowSteering", Spy)
    monkeypatch.setattr(steering, "generate", spy_generate)
    direction = torch.nn.functional.normalize(torch.ones(h.d_model), dim=0)
    steering.generate_steered(h, prompts, direction, [0.0] * len(prompts), max_new_tokens=1, batch_size=3,
                              rule=rule)
    assert len(made) == len(rows) > 1  # several batches: the recording follows the rows
    out = torch.full((len(prompts), h.n_layers), float("nan"), dtype=torch.float64)
    for steer, r in zip(made, rows, strict=True):
        out[r] = torch.stack([steer.scales[layer].double().cpu() for layer in range(h.n_layers)], dim=-1)
    assert not out.isnan().any()
    return out


@pytest.mark.parametrize("rule", ["paper", "sink-robust"])
def test_exported_scales_are_what_the_steering_hooks_measure(setup, rule, monkeypatch):
    h, st, prof = setup
    prompts = [plain_ids(h, p) for s in load_scenarios() for p in s.prompts]
    assert len(prompts) == 20 and prompts == raw_scenario_prompts(h)
    tensors, meta = emotion_export(h, st, prof, "calm", rule=rule)
    per_prompt = recorded_scales(h, prompts, rule, monkeypatch)
    expected = per_prompt.mean(0)
    scales = tensors["scales"].double()
    assert torch.allclose(scales, expected, rtol=1e-5, atol=0)
    vecs = tensors["vectors"]
    assert torch.allclose(tensors["steering"], tensors["scales"][:, None] * vecs[h.middle_layer][None], rtol=1e-6,
                          atol=0)
    assert meta["scale_rule"] == rule and "20 raw scenario prompts" in meta["scale_source"]
    lo, hi = (float(x) for x in meta["scale_spread_middle"].split(".."))
    mid = per_prompt[:, h.middle_layer]
    assert lo == pytest.approx(float(mid.min()), rel=1e-5) and hi == pytest.approx(float(mid.max()), rel=1e-5)


def test_the_scale_rules_differ(setup):
    h, st, prof = setup
    paper, _ = emotion_export(h, st, prof, "calm", rule="paper")
    robust, _ = emotion_export(h, st, prof, "calm", rule="sink-robust")
    assert not torch.allclose(paper["scales"], robust["scales"])
    with pytest.raises(HarnessError, match="unknown --scale-rule 'mean'"):
        emotion_export(h, st, prof, "calm", rule="mean")


@pytest.mark.parametrize("fmt", ["safetensors", "gguf"])
def test_exported_files_have_ordinary_permissions(setup, tmp_path, fmt):
    h, st, prof = setup
    old = os.umask(0o022)
    try:
        path = export(h, st, prof, "calm", fmt, tmp_path / f"calm.{fmt}")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temp file left behind


def write_results(path, records, excerpts=()):
    path.write_text(json.dumps({"schema": 1, "run": {}, "records": records, "excerpts": list(excerpts)}))
    return path


def sweep_texts(model: str, broken: dict[float, int], n: int = 5) -> list[dict]:
    """Raw emotion-vector texts of n prompts healthy unsteered, ``broken[s]`` of them degenerate at s."""
    return [{"model": model, "prompting": "raw", "direction": "emotion", "length": "short", "rule": "paper",
             "scenario": "s", "prompt_index": i, "strength": s, "degenerate": "loop" if i < broken.get(s, 0) else None}
            for s in (0.0, 0.005, 0.01, 0.02) for i in range(n)]


C13 = {"claim": "C13", "model": "tiny-llama", "details": {"safe_range": {"paper": [0.005, 0.02],
                                                                        "sink-robust": None}}}


def test_read_strength_range(tmp_path):
    other = {"claim": "C5", "model": "tiny-llama", "details": {"safe_range": {"paper": [1, 2]}}}
    path = write_results(tmp_path / "results.json", [other, {**C13, "model": "other-model"}, C13])
    assert read_strength_range(path, "tiny-llama", "paper") == (0.005, 0.02)
    assert read_strength_range(path, "tiny-llama", "sink-robust") is None  # measured as null
    assert read_strength_range(path, "unknown-model", "paper") is None
    assert read_strength_range(write_results(tmp_path / "none.json", [other]), "tiny-llama", "paper") is None


def test_read_readable_range(tmp_path):
    texts = sweep_texts("tiny-llama", {0.01: 1, 0.02: 3}) + sweep_texts("other-model", {0.005: 2})
    path = write_results(tmp_path / "results.json", [C13], texts)
    assert read_readable_range(path, "tiny-llama") == (0.005, 0.01)  # 4/5 at 0.01, 2/5 at 0.02
    assert read_readable_range(path, "other-model") == (0.005, None)  # 3/5 already at the smallest
    assert format_readable((0.005, None)).startswith("below 0.005: every strength of the sweep breaks more than 20%")
    assert read_readable_range(path, "unknown-model") is None
    assert read_readable_range(write_results(tmp_path / "old.json", [C13]), "tiny-llama") is None  # no texts
    broken = write_results(tmp_path / "broken-results.json", [], [{"model": "tiny-llama", "direction": "emotion"}])
    with pytest.raises(HarnessError, match=r"broken-results\.json.*lacks a field"):
        read_readable_range(broken, "tiny-llama")


@pytest.mark.parametrize("text", ["{not json", "[]", '{"records": {}}', '{"records": [3]}',
                                  '{"records": [{"claim": "C13", "model": "tiny-llama", "details": '
                                  '{"safe_range": {"paper": [1]}}}]}'])
def test_malformed_results_are_one_line_errors(tmp_path, text):
    path = tmp_path / "broken-results.json"
    path.write_text(text)
    with pytest.raises(HarnessError, match=r"broken-results\.json") as e:
        read_strength_range(path, "tiny-llama", "paper")
    assert "\n" not in str(e.value)


def test_metadata_names_the_rule_and_the_strength_range(setup, tmp_path):
    from safetensors import safe_open

    h, st, prof = setup
    results = write_results(tmp_path / "results.json", [C13], sweep_texts("tiny-llama", {0.02: 2}))
    path = export(h, st, prof, "calm", "safetensors", tmp_path / "calm.safetensors", results=results)
    with safe_open(str(path), "pt") as f:
        meta = f.metadata()
    assert meta["scale_rule"] == "paper" and meta["strength_range"] == "0.005..0.02"
    assert meta["readable_range"] == "0.005..0.01" and "80%" in meta["readable_range_rule"]
    assert meta["strength_range_source"] == str(results)
    assert "--control-vector-scaled" in meta["layout"]
    _, meta = emotion_export(h, st, prof, "calm", rule="sink-robust", results=results)
    assert meta["strength_range"] == "not measured: run `pytest evals -k tiny-llama` first"
    assert meta["readable_range"] == "measured under the paper's scale rule only"
    _, meta = emotion_export(h, st, prof, "calm")
    assert meta["strength_range"].startswith("not measured") and meta["scale_rule"] == "paper"
    assert all(isinstance(v, str) for v in meta.values())
