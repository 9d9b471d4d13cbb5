"""Peer comparison with the steering-vectors library (PyPI), on the same stimuli and model.

    pip install scikit-learn && pip install --no-deps steering-vectors==0.12.2   # benchmark-only; it pins transformers<5
    pytest benchmarks -k peer --models smollm2-135m-instruct

1. Vectors: comprehension mean differences (emotion passage i paired with neutral passage
   i, last token) trained by ``train_steering_vector`` at every block, against this
   harness's ``mean_e - mean_neutral`` from one capture pass: cosine per emotion and block
   (should be ~1: same method), and the time ratio.
2. Steering: the harness's prefill-scaled steering vs ``SteeringVector.apply`` adding the
   same vectors (alpha * s_l * v_hat, s_l read from the harness's prefill) at every block,
   greedy: token agreement.
"""

from __future__ import annotations

import time

import pytest
import torch

from harness.metrics.vectors import NEUTRAL, LabelledStates, class_means
from harness.models.layers import base_model
from harness.runtime.batching import left_pad, pad_id
from harness.runtime.capture import capture
from harness.runtime.generate import plain_ids, stop_ids
from harness.runtime.hooks import attach
from harness.runtime.steering import RowSteering, generate_steered
from harness.stimuli.loading import load_stimuli

sv = pytest.importorskip("steering_vectors", reason="pip install scikit-learn && pip install --no-deps "
                                                   "steering-vectors==0.12.2")


@pytest.fixture(scope="module")
def real(subject, subject_key):
    if subject_key.startswith("tiny"):
        pytest.skip("the peer comparison runs on real models")
    return subject


def test_peer_vectors_match(benchmark, real, subject_key):
    st = load_stimuli()
    layers = list(range(real.n_layers))
    neutral = st.passages[NEUTRAL]
    t0 = time.perf_counter()
    theirs = {}
    for e in st.names:
        samples = [sv.SteeringVectorTrainingSample(p, n) for p, n in zip(st.passages[e], neutral, strict=True)]
        vec = sv.train_steering_vector(real.model, real.tokenizer, samples, layers=layers, read_token_index=-1,
                                       batch_size=8)
        theirs[e] = torch.stack([vec.layer_activations[layer].float().cpu() for layer in layers])
    t_theirs = time.perf_counter() - t0

    def ours():
        labels = [e for e in st.names for _ in st.passages[e]] + [NEUTRAL] * len(neutral)
        texts = [t for e in st.names for t in st.passages[e]] + list(neutral)
        res = capture(real, [real.tokenizer(t)["input_ids"] for t in texts], batch_size=16)
        data = LabelledStates(res.resid, tuple(labels))
        return class_means(data, st.names) - class_means(data, [NEUTRAL])

    benchmark.group = f"peer {subject_key}"
    mine = benchmark.pedantic(ours, rounds=3, iterations=1)
    t_ours = benchmark.stats.stats.median
    cos = torch.stack([torch.nn.functional.cosine_similarity(mine[:, i].float(), theirs[e], dim=-1)
                       for i, e in enumerate(st.names)])  # [20, L]
    benchmark.extra_info.update(
        cos_min=round(cos.min().item(), 6), cos_mean=round(cos.mean().item(), 6),
        cos_min_middle=round(cos[:, real.middle_layer].min().item(), 6),
        peer_seconds=round(t_theirs, 2), ours_seconds=round(t_ours, 2), time_ratio_peer_over_ours=round(t_theirs / t_ours, 2))
    assert cos.min() > 0.999


def test_peer_steering_tokens_match(benchmark, real, subject_key):
    st = load_stimuli()
    prompts = [plain_ids(real, p) for p in ("The house has been so quiet since she moved away. I sat by the window and",
                                            "The train to the city leaves every half hour. This morning the conductor",
                                            "I closed my eyes, breathed in slowly and let my shoulders drop. For a while I",
                                            "You scratched my car and drove off as if it were nothing. When I find you, I")]
    res = capture(real, [real.tokenizer(t)["input_ids"] for e in ("calm", NEUTRAL) for t in st.passages[e]])
    v = torch.nn.functional.normalize(res.resid[real.middle_layer, :3].double().mean(0)
                                      - res.resid[real.middle_layer, 3:].double().mean(0), dim=0).float()
    alpha, n_new = 0.02, 40
    ours = generate_steered(real, prompts, v, [alpha] * len(prompts), n_new, batch_size=1)
    agree = total = 0
    stops = stop_ids(real)
    t0 = time.perf_counter()
    for p, mine in zip(prompts, ours, strict=True):
        ids, mask, pos = left_pad([p], pad_id(real), real.device)
        steer = RowSteering(v[None], torch.tensor([alpha]), mask)
        with attach(real.model, steer.hooks(range(real.n_layers))), torch.no_grad():
            base_model(real.model)(input_ids=ids, attention_mask=mask, position_ids=pos)
        acts = {layer: (alpha * steer.scales[layer][0] * v).float() for layer in range(real.n_layers)}
        vec = sv.SteeringVector(layer_activations=acts, layer_type="decoder_block")
        with vec.apply(real.model, multiplier=1.0, min_token_index=0), torch.no_grad():
            out = real.model.generate(ids, attention_mask=mask, max_new_tokens=n_new, do_sample=False,
                                      pad_token_id=real.tokenizer.pad_token_id,
                                      eos_token_id=sorted(stops))
        theirs = out[0, ids.shape[1]:].tolist()
        theirs = theirs[:next((k for k, t in enumerate(theirs) if t in stops), len(theirs))]
        agree += sum(a == b for a, b in zip(mine.new_ids, theirs, strict=False))
        total += max(len(mine.new_ids), len(theirs))
    benchmark.group = f"peer {subject_key}"
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)
    benchmark.extra_info.update(token_agreement=round(agree / total, 4), tokens=total,
                                peer_seconds=round(time.perf_counter() - t0, 2), alpha=alpha)
    assert agree / total > 0.9
