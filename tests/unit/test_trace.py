"""Emotion traces and the steer command on tiny models: a token's projection is the dot product
computed by hand, the files hold the same numbers, the steered sweep's unsteered row is the
plain continuation, and bad input is a one-line error that writes nothing."""

from __future__ import annotations

import csv
import json

import pytest
import torch

import harness
from harness.cli import main
from harness.errors import HarnessError
from harness.experiments.extraction import comprehension
from harness.experiments.steer_sweep import parse_strengths, steer_sweep
from harness.experiments.trace import emotion_trace
from harness.metrics.vectors import class_means, vectors_from_states
from harness.protocol import get_profile
from harness.report.trace_files import write_trace
from harness.runtime.batching import text_ids
from harness.runtime.capture import capture, capture_sequence
from harness.stimuli.loading import load_stimuli
from harness.stimuli.scenarios import load_prompt_forms
from harness.testing import GENERATION_INIT, tiny_handle, tiny_model, tiny_tokenizer

TEXT = "I finally got the job and I could not stop smiling."


@pytest.fixture(scope="module")
def tiny():
    return tiny_handle("llama", init=GENERATION_INIT)


def test_a_tokens_projection_is_the_dot_product_by_hand(tiny):
    stimuli = load_stimuli()
    tr = harness.trace(tiny, TEXT, layer=1)
    ids = text_ids(tiny, TEXT)
    with torch.no_grad():
        hidden = tiny.model(torch.tensor([ids]), output_hidden_states=True).hidden_states
    ex = comprehension(tiny, stimuli)
    vectors = vectors_from_states(ex.data, stimuli.names, "neutral")
    neutral = class_means(ex.data, ["neutral"])[:, 0]
    for layer in (0, 1):  # HF's hidden_states[l + 1] is block l's output (the last one is normed)
        for t in (0, len(ids) // 2, len(ids) - 1):
            for e in (0, 7, 19):
                by_hand = float((hidden[layer + 1][0, t].double() - neutral[layer]) @ vectors[layer, e])
                assert tr.projections[layer, t, e].item() == pytest.approx(by_hand, rel=1e-4, abs=1e-4)
    assert tr.layer == 1 and tr.at().shape == (len(ids), 20) and len(tr.tokens) == len(ids)
    assert tr.emotion("calm").shape == (tiny.n_layers, len(ids))


def test_the_sequence_read_is_the_per_position_read(tiny):
    ids = text_ids(tiny, TEXT)
    whole = capture_sequence(tiny, ids)
    each = capture(tiny, [ids] * len(ids), positions=list(range(len(ids))), batch_size=4).resid
    assert torch.allclose(whole, each, atol=1e-5)


def test_centred_trace_subtracts_the_centred_reference(tiny):
    stimuli = load_stimuli()
    ex = comprehension(tiny, stimuli)
    tr = emotion_trace(tiny, TEXT, stimuli, get_profile("quick"), baseline="centred")
    centre = class_means(ex.data, stimuli.names).mean(dim=1)
    v = vectors_from_states(ex.data, stimuli.names, "centred")
    resid = capture_sequence(tiny, text_ids(tiny, TEXT))
    want = (resid[2, -1].double() - centre[2]) @ v[2, 3]
    assert tr.projections[2, -1, 3].item() == pytest.approx(float(want), rel=1e-4, abs=1e-4)


def test_trace_files_hold_the_traces_numbers(tiny, tmp_path):
    tr = harness.trace(tiny, TEXT * 3)  # long enough to wrap into rows
    files = write_trace(tr, tmp_path, emotion="calm")
    for png in (files.heatmap, files.blocks):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with files.csv.open() as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["position", "token", *tr.emotions] and len(rows) == len(tr.tokens) + 1
    assert float(rows[5][2 + 4]) == pytest.approx(tr.at()[4, 4].item(), rel=1e-5, abs=1e-6)
    data = json.loads(files.json.read_text())
    assert data["layer"] == tr.layer and data["tokens"] == list(tr.tokens)
    assert data["values"][0][3][2] == pytest.approx(tr.projections[0, 3, 2].item(), abs=1e-5)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        p.name for p in (files.heatmap, files.blocks, files.csv, files.json))  # no temporary left


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"text": "  "}, "the text is empty"),
    ({"layer": 99}, r"layer: 99 is not a whole number in \[0, \d+\]; tiny-\w+ has blocks 0\.\."),
    ({"layer": -1}, "layer: -1 is not a whole number in"),
    ({"layer": 1.5}, "layer: 1.5 is not a whole number in"),
    ({"layer": float("nan")}, "layer: nan is not a whole number in"),
])
def test_bad_trace_input_is_a_one_line_error(tiny, kwargs, message):
    args = {"text": TEXT} | kwargs
    with pytest.raises(HarnessError, match=message) as err:
        emotion_trace(tiny, args.pop("text"), load_stimuli(), get_profile("quick"), **args)
    assert "\n" not in str(err.value)


def test_unknown_emotion_is_a_one_line_error(tiny, tmp_path):
    tr = harness.trace(tiny, TEXT)
    with pytest.raises(HarnessError, match="unknown emotion 'zen'; use one of"):
        tr.emotion("zen")
    with pytest.raises(HarnessError, match="unknown emotion 'zen'"):
        write_trace(tr, tmp_path, emotion="zen")


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    """A tiny model saved as a local model folder, which the command line accepts as MODEL."""
    path = tmp_path_factory.mktemp("tiny-llama")
    tiny_model("llama", init=GENERATION_INIT).save_pretrained(path)
    tiny_tokenizer().save_pretrained(path)
    return path


def test_trace_command_writes_the_files_and_says_where(tiny_dir, tmp_path, capsys):
    out = tmp_path / "traces"
    assert main(["trace", str(tiny_dir), TEXT, "--emotion", "calm", "--profile", "quick", "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "heatmap: " in said and "csv: " in said and "blocks: " in said
    assert len(list(out.glob("*.png"))) == 2 and len(list(out.glob("*.csv"))) == 1


@pytest.mark.parametrize(("argv", "message"), [
    (["trace", "no-such-model", TEXT], "unknown model 'no-such-model'"),
    (["trace", "{dir}", ""], "the text is empty"),
    (["trace", "{dir}", TEXT, "--emotion", "zen"], "unknown emotion 'zen'"),
    (["trace", "{dir}", TEXT, "--layer", "40", "--profile", "quick"], "layer: 40 is not a whole number in [0, "),
    (["trace", "{dir}", TEXT, "--layer", "nan"], "argument --layer: 'nan' is not a whole number >= 0"),
    (["steer", "{dir}", "Hello", "--emotion", "calm", "--strength", "nan"],
     "argument --strength: 'nan' is not a finite number in [-1, 1]"),
    (["steer", "{dir}", "Hello", "--emotion", "calm", "--strength", "inf"], "'inf' is not a finite number"),
    (["steer", "{dir}", "Hello", "--emotion", "calm", "--strength", "3"], "'3' is not a finite number in [-1, 1]"),
    (["steer", "{dir}", "Hello", "--emotion", "calm", "--max-new-tokens", "0"], "'0' is not a whole number in [1, "),
    (["steer", "{dir}", "Hello", "--emotion", "calm", "--max-new-tokens", "1e9"], "is not a whole number in [1, "),
    (["steer", "{dir}", "Hello", "--emotion", "calm", "--sweep", "0,nan"], "--sweep: 'nan' is not a finite number"),
    (["steer", "{dir}", "Hello", "--emotion", "zen"], "unknown emotion 'zen'"),
    (["steer", "{dir}", "Hello", "--emotion", "calm", "--sweep", "0,x"], "--sweep: 'x' is not a finite number"),
    (["steer", "{dir}", "  ", "--emotion", "calm", "--scorer", "self", "--classifier", "nrclex",
      "--profile", "quick"], "the prompt is empty"),
])
def test_bad_command_input_is_one_line_and_writes_nothing(tiny_dir, tmp_path, capsys, argv, message):
    out = tmp_path / "traces"
    argv = [a.replace("{dir}", str(tiny_dir)) for a in argv] + ["--out", str(out)]
    assert main(argv) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and message in errors[0]  # one line (a loading progress bar may precede it)
    assert not out.exists()


class FixedClassifier:
    """Scores every text the same way (stands in for the real classifier's interface)."""

    name = "fixed"
    version = "0"

    def scores(self, texts):
        return [{"calm": 0.25, "joy": 0.5} for _ in texts]


def test_steer_sweep_unsteered_row_is_the_plain_continuation(tiny):
    stimuli = load_stimuli()
    prompt = "You lied to me again and"
    rows = steer_sweep(tiny, prompt, "calm", [0.0, 0.05, -0.05], stimuli, get_profile("quick"), load_prompt_forms(),
                       FixedClassifier(), {"calm": ("calm",)}, max_new_tokens=6)
    vector = harness.emotion_vectors(tiny)["calm"][tiny.middle_layer]
    assert [r.strength for r in rows] == [0.0, 0.05, -0.05]
    for r in rows:
        assert r.text == harness.steer(tiny, prompt, vector, r.strength, max_new_tokens=6)
        assert r.perplexity > 0 and (r.target == 0.25 or r.degenerate == "blank")


def test_parse_strengths():
    assert parse_strengths("0, 0.005,0.01,0.01,-0.02") == [0.0, 0.005, 0.01, -0.02]
    with pytest.raises(HarnessError, match="--sweep: 'inf' is not a finite number"):
        parse_strengths("0,inf")
    with pytest.raises(HarnessError, match=r"--sweep: '2' is not a finite number in \[-1, 1\]"):
        parse_strengths("0,2")
