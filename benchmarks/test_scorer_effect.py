"""What a smaller external perplexity scorer changes, on the evals' own steering grids.

    pytest benchmarks -k scorer_effect --models embedded --benchmark-json reports/benchmarks/scorer_effect.json

For each steered model and prompting mode, the grid the evals generated (read from the
cache; run `pytest evals` first, or it is generated here) is scored by the evals' scorer and
by the candidate, SmolLM2-135M (a quarter of Gemma-3-270M's cost per text: test_speed_routes).
Recorded: the rank agreement of the two perplexities, the degeneration labels (the incoherent
rule reads the perplexity), C8's ratio and regime, C9's verdict, and the scoring time.
"""

from __future__ import annotations

import math
import statistics
import time

import pytest
from scipy import stats as sps

from harness.claims.c08_regime import regime_summary
from harness.claims.c09_safe_steering_strength import safe_strength
from harness.claims.text_health import row_degeneration
from harness.experiments.steering_grid import PROMPTINGS, supports_prompting
from harness.experiments.workbench import Workbench
from harness.protocol import get_profile
from harness.stimuli.loading import load_stimuli
from harness.stimuli.scenarios import load_scenarios

CANDIDATE = "smollm2-135m-instruct"
CURRENT = ("gemma-3-270m", "qwen2.5-coder-0.5b-instruct")  # the scorers the reference used


@pytest.mark.parametrize("prompting", PROMPTINGS)
def test_scorer_effect(benchmark, subject, subject_key, model_loader, prompting):
    if subject_key.startswith("tiny") or subject_key == CANDIDATE:
        pytest.skip("the candidate scores the other models' texts")
    if supports_prompting(subject, prompting):
        pytest.skip(supports_prompting(subject, prompting))
    current = next(k for k in CURRENT if k != subject_key)
    runs, seconds = {}, {}
    for key in (current, CANDIDATE):
        bench = Workbench(load_stimuli(), load_scenarios(), get_profile("paper"),
                          scorer=lambda h, key=key: model_loader(key))
        t = time.perf_counter()
        runs[key] = bench.steering(subject, prompting)
        seconds[key] = round(time.perf_counter() - t, 1)
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)
    a, b = runs[current], runs[CANDIDATE]
    pairs = [(x.perplexity, y.perplexity) for x, y in zip(a.rows, b.rows, strict=True)
             if not (math.isnan(x.perplexity) or math.isnan(y.perplexity))]
    la, lb = [row_degeneration(r) for r in a.rows], [row_degeneration(r) for r in b.rows]
    sa, sb = regime_summary(a), regime_summary(b)
    benchmark.extra_info.update({
        "model": subject_key, "prompting": prompting, "rows": len(a.rows), "scorers": [current, CANDIDATE],
        "seconds": [seconds[current], seconds[CANDIDATE]],
        "ppl_spearman": round(float(sps.spearmanr([x for x, _ in pairs], [y for _, y in pairs]).statistic), 3),
        "median_ppl": [round(statistics.median(x for x, _ in pairs), 1), round(statistics.median(y for _, y in pairs), 1)],
        "labels_agree": round(sum(x == y for x, y in zip(la, lb, strict=True)) / len(la), 4),
        "incoherent": [la.count("incoherent"), lb.count("incoherent")],
        "c8_ratio": [round(sa.ppl_ratio, 2), round(sb.ppl_ratio, 2)], "c8_regime": [sa.regime, sb.regime],
        "c9": [safe_strength(a).verdict, safe_strength(b).verdict]})
