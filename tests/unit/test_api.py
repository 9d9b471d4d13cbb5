"""The public API on a tiny model: each function does what its eval counterpart does."""

from __future__ import annotations

import pytest
import torch

import harness
from harness.errors import HarnessError
from harness.experiments import extraction
from harness.metrics.vectors import vectors_from_states
from harness.runtime.batching import text_ids
from harness.runtime.generate import generate
from harness.runtime.steering import generate_steered
from harness.stimuli.loading import load_stimuli
from harness.testing import GENERATION_INIT, tiny_handle


@pytest.fixture(scope="module")
def tiny():
    return tiny_handle("llama", init=GENERATION_INIT)


def test_public_names_are_exported_and_documented():
    for name in ("load_model", "read_residuals", "emotion_vectors", "steer", "run_claim"):
        fn = getattr(harness, name)
        assert name in harness.__all__
        assert "Args:" in fn.__doc__ and "Returns:" in fn.__doc__, name


def test_emotion_vectors_are_the_evals_vectors(tiny):
    vecs = harness.emotion_vectors(tiny)
    stimuli = load_stimuli()
    ex = extraction.comprehension(tiny, stimuli)
    want = vectors_from_states(ex.data, stimuli.names, "neutral").float()
    assert list(vecs) == list(stimuli.names)
    for i, name in enumerate(stimuli.names):
        assert torch.equal(vecs[name], want[:, i])
        assert torch.allclose(vecs[name].norm(dim=-1), torch.ones(tiny.n_layers), atol=1e-5)


def test_steer_at_zero_is_plain_generation_and_strength_is_alpha(tiny):
    direction = torch.nn.functional.normalize(torch.randn(tiny.d_model, generator=torch.Generator().manual_seed(1)),
                                              dim=0)
    ids = text_ids(tiny, "the cat")
    assert harness.steer(tiny, "the cat", direction, 0.0, max_new_tokens=6) == generate(tiny, [ids], 6)[0].text
    steered = generate_steered(tiny, [ids], direction, [0.5], 6)[0].text
    assert harness.steer(tiny, "the cat", direction, 0.5, max_new_tokens=6) == steered


def test_read_residuals_is_one_state_per_block_and_rejects_empty_text(tiny):
    res = harness.read_residuals(tiny, ["the cat", "a dog ran"])
    assert res.resid.shape == (tiny.n_layers, 2, tiny.d_model)
    with pytest.raises(HarnessError, match="text 1 is empty"):
        harness.read_residuals(tiny, ["the cat", "  "])


def test_run_claim_names_bad_axis_values_and_records_not_applicable(tiny):
    with pytest.raises(HarnessError, match="C3 runs over extraction method comprehension, generation, not 'chat'"):
        harness.run_claim("C3", tiny, "chat")
    with pytest.raises(HarnessError, match=r"unknown claim 'C14'; use one of .*C13"):
        harness.run_claim("C14", tiny, "comprehension")
    with pytest.raises(HarnessError, match="C13 runs over prompting mode raw, not 'chat'"):
        harness.run_claim("C13", tiny, "chat")  # raw prompting only
    (rec,) = harness.run_claim("C3", tiny, "generation")  # tiny-llama is a base model without a chat template
    assert rec.verdict == "not applicable" and "generation-based extraction needs an instruct model" in \
        rec.details["reason"]


def test_run_claim_returns_the_evals_records(tiny):
    rec, *beside = harness.run_claim("C3", tiny, "comprehension", profile="quick")
    assert rec.claim == "C3" and rec.metric == "min_opposite_pair_cosine"
    assert rec.details["method"] == "comprehension" and len(rec.details["cosine_matrix"]) == 20
    # Random weights: the control model passes whatever this one passes, so nothing "holds".
    assert rec.verdict != "holds"
    assert [c["name"] for c in rec.details["controls"]] == [
        "share of label shuffles with every opposite pair > 0", "random-weight copy"]
    assert {r.metric for r in beside} == {"min_opposite_pair_cosine (random-weight copy)",
                                          "min_opposite_pair_cosine (stimuli set-b)"}


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"strength": float("nan")}, "strength: nan is not a finite number in \\[-1, 1\\]"),
    ({"strength": float("inf")}, "strength: inf is not a finite number"),
    ({"strength": -2.0}, "strength: -2.0 is not a finite number in \\[-1, 1\\]"),
    ({"strength": 0.01, "max_new_tokens": 0}, "max_new_tokens: 0 is not a whole number in \\[1, 4096\\]"),
    ({"strength": 0.01, "max_new_tokens": 2.5}, "max_new_tokens: 2.5 is not a whole number"),
])
def test_steer_refuses_non_finite_and_out_of_range_numbers_in_one_line(tiny, kwargs, message):
    v = torch.nn.functional.normalize(torch.ones(tiny.d_model), dim=0)
    with pytest.raises(HarnessError, match=message) as err:
        harness.steer(tiny, "Hello", v, **kwargs)
    assert "\n" not in str(err.value)
