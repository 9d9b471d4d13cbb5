"""C11 (paper 4.5, 7.1): valence organisation of the emotion space is weak in small models."""

from __future__ import annotations

import pytest

from harness.claims.geometry import valence_weak
from harness.experiments.extraction import METHODS
from harness.metrics.geometry import pc_scores
from harness.paper import reference


@pytest.mark.parametrize("method", METHODS)
def test_c11_valence_is_weak(model, method, geometry, record_check, expect_claim, stimuli):
    g = geometry(method, "C11")
    check = valence_weak(g)
    record_check("C11", "valence_pc1_abs_spearman", check, method, reference("C11", model.key),
                 baseline="neutral (centred beside)", layer=g.middle,
                 pc_scores=pc_scores(g.vectors["neutral"][g.middle]).tolist(),
                 valences=[e.valence for e in stimuli.emotions], arousals=[e.arousal for e in stimuli.emotions])
    expect_claim("C11", method, check)
