"""Speed of the spine on real models (pytest-benchmark; not part of `pytest tests`).

    pytest benchmarks --models smollm2-135m-instruct --benchmark-columns=median,rounds

Throughput is reported in ``extra_info`` as generated tokens per second (rows stop at
their own EOS, so only tokens actually produced count).
"""

from __future__ import annotations

import pytest

from harness.generation import chat_ids, generate
from harness.models import load

TOPICS = ["a lighthouse keeper", "a night train", "a market at dawn", "an old bicycle", "a storm at sea",
          "a school play", "a lost letter", "a mountain village"]
STYLES = ["Write a long, detailed story about {}.", "Describe {} in many sentences.",
          "Tell a slow, careful story about {}, with a lot of detail.", "Write several paragraphs about {}."]
PROMPTS = [s.format(t) for t in TOPICS for s in STYLES] * 2  # 64 distinct-enough prompts
NEW_TOKENS = 64


@pytest.mark.parametrize("batch", [1, 8, 32, 64])
def test_generation_throughput(benchmark, model, batch):
    prompts = [chat_ids(model, p) for p in PROMPTS[:batch]]
    out = benchmark.pedantic(generate, args=(model, prompts, NEW_TOKENS), kwargs={"batch_size": batch},
                             rounds=2 if batch >= 32 else 3, iterations=1, warmup_rounds=0)
    tokens = sum(len(g.new_ids) for g in out)
    benchmark.extra_info.update(batch=batch, new_tokens=tokens,
                                tokens_per_s=round(tokens / benchmark.stats.stats.median, 1))
    assert tokens > 0


def test_cached_load_time(benchmark, model_key):
    handle = benchmark.pedantic(load, args=(model_key,), rounds=3, iterations=1)
    benchmark.extra_info.update(load_seconds=round(handle.load_seconds, 2))
