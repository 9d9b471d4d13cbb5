"""C4 (paper 4.5): emotion vectors sit below the anisotropy baseline.

This module measures the baseline B itself: the mean pairwise cosine of the raw
last-token residual states of 20 neutral factual sentences, at every block (and the
post-final-norm state as a separately labelled extra). The gap B - S needs the
emotion vectors and is asserted by the geometry evals.
"""

from __future__ import annotations

import math

from harness.activations import capture_texts
from harness.geometry import depths, mean_pairwise_cosine
from harness.stimuli import neutral_sentences


def test_anisotropy_baseline(model, profile, record_claim):
    sentences = neutral_sentences()
    res = capture_texts(model, sentences, batch_size=profile.batch_size)
    per_layer = mean_pairwise_cosine(res.resid).tolist()
    post_norm = float(mean_pairwise_cosine(res.post_norm))

    assert len(per_layer) == model.n_layers
    assert all(math.isfinite(b) and -1.0 <= b <= 1.0 for b in per_layer), per_layer

    record_claim(
        "C4", model.key, "anisotropy_baseline", per_layer, verdict="not applicable",
        details={
            "baseline": "raw last-token residual, 20 neutral factual sentences",
            "layers": list(range(model.n_layers)), "depths": depths(model.n_layers),
            "post_final_norm": post_norm, "profile": profile.name,
            "why_not_applicable": "B alone decides nothing; the gap B - S is asserted with the emotion vectors",
        },
    )
