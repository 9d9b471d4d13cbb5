"""How close each KV-cached scale mode comes to the paper's steering loop, on real models.

    pytest benchmarks -k scale_modes --models embedded --benchmark-json reports/benchmarks/scale_modes.json

The paper's loop (``scale="per_step"``) recomputes the whole sequence at every step and
re-measures s_l over it. ``running`` keeps the KV cache and folds each generated token's
norm into the mean; ``prefill`` measures s_l on the prompt once. Sample: every scenario's raw
prompts, steered with the target's middle-block vector (neutral baseline, the evals' vectors)
at SAMPLE_STRENGTHS, 50 new tokens. Recorded per mode against the loop:

- s_l: |s_l / loop s_l - 1| at every block and step while the two texts still agree (s_l
  at step t depends on the tokens before it), median and max, and the median ratio at step 20;
- tokens: the share of the loop's token positions where the mode wrote the same token, and
  the share of continuations identical to the loop's.
"""

from __future__ import annotations

import statistics
import time

import pytest
import torch

from harness.experiments.steering_grid import steering_vectors
from harness.protocol import get_profile
from harness.runtime.generate import plain_ids
from harness.runtime.steering import scale_series
from harness.stimuli.loading import load_stimuli
from harness.stimuli.scenarios import load_scenarios

SAMPLE_STRENGTHS = (0.005, 0.02)
NEW_TOKENS = 50
STEP = 20


def _agreeing(a: tuple[int, ...], b: tuple[int, ...]) -> int:
    """Generated tokens the two continuations share before their first difference."""
    return next((t for t, (p, q) in enumerate(zip(a, b, strict=False)) if p != q), min(len(a), len(b)))


def test_scale_modes(benchmark, subject, subject_key):
    if subject_key.startswith("tiny"):
        pytest.skip("measured on real models")
    stimuli, scenarios = load_stimuli(), load_scenarios()
    vectors = steering_vectors(subject, stimuli, get_profile("paper"))
    names = list(stimuli.names)
    rows = [(plain_ids(subject, p), vectors[names.index(s.target)], s.sign * a)
            for a in SAMPLE_STRENGTHS for s in scenarios for p in s.prompts]
    ids, dirs, alphas = [r[0] for r in rows], torch.stack([r[1] for r in rows]), [r[2] for r in rows]
    out, seconds = {}, {}

    def run() -> None:
        for mode in ("per_step", "running", "prefill"):
            t = time.perf_counter()
            out[mode] = scale_series(subject, ids, dirs, alphas, NEW_TOKENS, mode, batch_size=len(rows))
            seconds[mode] = round(time.perf_counter() - t, 1)

    benchmark.pedantic(run, rounds=1, iterations=1, warmup_rounds=0)
    loop, loop_s = out["per_step"]
    modes = {}
    for mode in ("running", "prefill"):
        gens, series = out[mode]
        diffs, at_step = [], []
        for i, (g, r) in enumerate(zip(gens, loop, strict=True)):
            same = _agreeing(g.new_ids, r.new_ids)
            for layer, per_row in loop_s.items():
                mine, ref = series[layer][i], per_row[i]
                for t in range(min(same + 1, len(ref))):
                    ratio = mine[min(t, len(mine) - 1)] / ref[t]
                    diffs.append(abs(ratio - 1))
                    if t == STEP:
                        at_step.append(ratio)
        positions = sum(len(r.new_ids) for r in loop)
        modes[mode] = {
            "s_rel_diff_median": round(statistics.median(diffs), 5), "s_rel_diff_max": round(max(diffs), 5),
            f"s_ratio_step{STEP}_median": round(statistics.median(at_step), 4) if at_step else None,
            f"s_ratio_step{STEP}_n": len(at_step),
            "tokens_equal": round(sum(p == q for g, r in zip(gens, loop, strict=True)
                                      for p, q in zip(g.new_ids, r.new_ids, strict=False)) / positions, 4),
            "identical": round(sum(g.new_ids == r.new_ids for g, r in zip(gens, loop, strict=True)) / len(loop), 4),
            "seconds": seconds[mode],
        }
    benchmark.group = "scale modes"
    benchmark.extra_info.update(model=subject_key, rows=len(rows), strengths=list(SAMPLE_STRENGTHS),
                                new_tokens=NEW_TOKENS, per_step_seconds=seconds["per_step"], modes=modes)
    assert all(len(out[m][0]) == len(rows) for m in out)
