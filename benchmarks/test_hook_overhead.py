"""Forward-pass overhead of the harness's hooks, as ratios to a plain HF forward (one run).

    pytest benchmarks -k overhead --models smollm2-135m-instruct

Variants, all on the same batch (8 x 64 tokens): plain HF forward; TransformerLens 4
bridge without hooks; the harness's capture hooks at every block (one position per row,
gathered inside the hook); steering hooks at every block (prefill scaling).
"""

from __future__ import annotations

import torch

from harness.runtime.hooks import attach
from harness.runtime.steering import RowSteering

from .conftest import forward_batch

ROUNDS = 15


def run(benchmark, fn, variant):
    benchmark.group = f"forward {benchmark.name.split('[', 1)[-1].rstrip(']')}"
    benchmark.extra_info["variant"] = variant
    benchmark.extra_info["model"] = benchmark.name.split("[", 1)[-1].rstrip("]")
    with torch.no_grad():
        benchmark.pedantic(fn, rounds=ROUNDS, iterations=1, warmup_rounds=2)


def test_overhead_plain(benchmark, subject, subject_key):
    ids, mask = forward_batch(subject)
    run(benchmark, lambda: subject.model(input_ids=ids, attention_mask=mask, use_cache=False), "plain HF")


def test_overhead_bridge(benchmark, subject, subject_key):
    ids, _ = forward_batch(subject)
    bridge = subject.bridge
    run(benchmark, lambda: bridge(ids), "TransformerBridge, no hooks")


def capture_hooks(subject, ids):
    """The harness's capture hooks: every block, one position per row gathered in the hook."""
    rows, cols = torch.arange(ids.shape[0]), torch.full((ids.shape[0],), ids.shape[1] - 1)
    store = {}

    def picker(layer):
        def fn(h):
            store[layer] = h[rows, cols].float().cpu()
        return fn

    return {layer: picker(layer) for layer in range(subject.n_layers)}


def test_overhead_capture(benchmark, subject, subject_key):
    ids, mask = forward_batch(subject)
    hooks = capture_hooks(subject, ids)

    def go():
        with attach(subject.model, hooks):
            subject.model(input_ids=ids, attention_mask=mask, use_cache=False)

    run(benchmark, go, "capture hooks, all blocks")


def test_overhead_steering(benchmark, subject, subject_key):
    ids, mask = forward_batch(subject)
    v = torch.nn.functional.normalize(torch.randn(ids.shape[0], subject.d_model), dim=-1)

    def go():
        steer = RowSteering(v, torch.full((ids.shape[0],), 0.02), mask)
        with attach(subject.model, steer.hooks(range(subject.n_layers))):
            subject.model(input_ids=ids, attention_mask=mask, use_cache=False)

    run(benchmark, go, "steering hooks, all blocks")


def test_overhead_ratios_interleaved(benchmark, subject, subject_key):
    """The four variants timed round-robin in one loop, so machine drift cancels out of the
    ratios; medians and ratios to plain HF go to extra_info."""
    import statistics
    import time

    ids, mask = forward_batch(subject)
    v = torch.nn.functional.normalize(torch.randn(ids.shape[0], subject.d_model), dim=-1)
    cap = capture_hooks(subject, ids)

    def plain():
        subject.model(input_ids=ids, attention_mask=mask, use_cache=False)

    def capture():
        with attach(subject.model, cap):
            plain()

    def steering():
        with attach(subject.model, RowSteering(v, torch.full((ids.shape[0],), 0.02), mask).hooks(
                range(subject.n_layers))):
            plain()

    bridge = subject.bridge
    variants = {"plain HF": plain, "TransformerBridge": lambda: bridge(ids), "capture": capture,
                "steering": steering}
    times: dict[str, list[float]] = {k: [] for k in variants}
    with torch.no_grad():
        for fn in variants.values():
            fn()
        for _ in range(ROUNDS):
            for k, fn in variants.items():
                t = time.perf_counter()
                fn()
                times[k].append(time.perf_counter() - t)
    med = {k: statistics.median(t) for k, t in times.items()}
    benchmark.group = f"forward {subject_key}"
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)
    benchmark.extra_info.update(model=subject_key, median_s={k: round(x, 5) for k, x in med.items()},
                                ratio_to_plain={k: round(x / med["plain HF"], 3) for k, x in med.items()})
