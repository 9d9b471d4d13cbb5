"""Reduced precision: a run in bfloat16 or float16 stands in for float32 only where it builds the
same emotion vectors. At the middle block, each emotion's vector must keep a cosine of at least
PRECISION_MIN_COSINE (harness/thresholds.py) with the float32 model's vector for that emotion
and stay nearer to it than to any other emotion's. Generation compares each precision's own
greedy stories. Skipped in a float32 run: there is nothing to compare."""

import pytest

from harness import thresholds as th
from harness.experiments.extraction import METHODS, extract, supports
from harness.metrics.vectors import agreement, vectors_from_states


@pytest.mark.parametrize("method", METHODS)
def test_vectors_match_float32(model, float32_twin, workbench, method):
    if float32_twin is model:
        pytest.skip("a float32 run: nothing to compare with")
    if reason := supports(model, method):
        pytest.skip(reason)
    st, names = workbench.stimuli, workbench.stimuli.names
    own, ref = (vectors_from_states(extract(h, method, st, workbench.profile).data, names, "neutral")
                for h in (model, float32_twin))
    cos, nearest = agreement(own, ref)
    mid = model.middle_layer
    worst = int(cos[mid].argmin())
    print(f"{model.key} {method} {model.dtype} vs float32, block {mid}: cosine min {cos[mid].min():.4f} "
          f"({names[worst]}), median {cos[mid].median():.4f}; every block: min {cos.min():.4f}")
    assert bool(nearest[mid].all()), (
        f"{model.key} {method}: in {model.dtype} at block {mid}, "
        f"{', '.join(n for n, ok in zip(names, nearest[mid].tolist(), strict=True) if not ok)} lie nearer another "
        "emotion's float32 vector than their own")
    assert float(cos[mid, worst]) >= th.PRECISION_MIN_COSINE, (
        f"{model.key} {method}: in {model.dtype} at block {mid}, {names[worst]}'s vector has cosine "
        f"{float(cos[mid, worst]):.4f} with float32's (needs >= {th.PRECISION_MIN_COSINE})")
