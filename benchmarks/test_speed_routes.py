"""Routes to a faster cold run, each measured on the same machine in the same run.

    pytest benchmarks -k speed_routes --models embedded --benchmark-json reports/benchmarks/speed_routes.json

- static KV cache: transformers' preallocated cache instead of the dynamic one, on the
  steering grid's decode shape (64 chat prompts x 50 new tokens); tokens compared.
- two single-thread workers against one two-thread process: the same generation run as two
  processes at once (what `pytest -n 2` with one model per worker would do) against one.
- the external scorer's cost: the model scoring a fixed set of continuations as the steering
  grid's perplexity does, so scorers can be compared per text.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.runtime.generate import chat_ids, generate
from harness.runtime.readout import reread
from harness.stimuli.loading import load_stimuli

NEW_TOKENS = 50
N_PROMPTS = 64


def _prompts(handle) -> list[list[int]]:
    st = load_stimuli()
    return [chat_ids(handle, p) for e in st.names for p in st.story_prompts(e)][:N_PROMPTS]


def _real(subject_key: str) -> None:
    if subject_key.startswith("tiny"):
        pytest.skip("measured on real models")


def test_static_kv_cache(benchmark, subject, subject_key):
    _real(subject_key)
    if not subject.has_chat_template:
        pytest.skip("the decode shape is the chat grid's")
    prompts = _prompts(subject)
    generate(subject, prompts[:4], 4, batch_size=4)  # warm
    timings, texts = {}, {}
    original = subject.model.generate

    def run(impl: str) -> None:
        if impl == "static":
            subject.model.generate = lambda **kw: original(cache_implementation="static", **kw)
        try:
            t = time.perf_counter()
            out = generate(subject, prompts, NEW_TOKENS, batch_size=N_PROMPTS)
            timings[impl] = time.perf_counter() - t
            texts[impl] = [g.new_ids for g in out]
        finally:
            subject.model.generate = original

    benchmark.pedantic(lambda: [run(i) for i in ("dynamic", "static")], rounds=1, iterations=1)
    tokens = sum(len(t) for t in texts["dynamic"])
    benchmark.extra_info.update({
        "dynamic_seconds": round(timings["dynamic"], 2), "static_seconds": round(timings["static"], 2),
        "dynamic_tok_s": round(tokens / timings["dynamic"], 1),
        "static_tok_s": round(sum(len(t) for t in texts["static"]) / timings["static"], 1),
        "identical": sum(a == b for a, b in zip(texts["dynamic"], texts["static"], strict=True)),
        "prompts": len(prompts)})


_WORKER = """
import json, sys, time, torch
torch.set_num_threads(int(sys.argv[2]))
from harness.models.loading import load
from harness.models.options import LoadOptions
from harness.runtime.generate import chat_ids, generate
from harness.stimuli.loading import load_stimuli
h = load(sys.argv[1], LoadOptions(offline=True))
st = load_stimuli()
prompts = [chat_ids(h, p) for e in st.names for p in st.story_prompts(e)][:int(sys.argv[3])]
generate(h, prompts[:4], 4, batch_size=4)
print("ready", flush=True)
sys.stdin.readline()  # start together
t = time.perf_counter()
out = generate(h, prompts, int(sys.argv[4]), batch_size=len(prompts))
print(json.dumps({"seconds": time.perf_counter() - t, "tokens": sum(len(g.new_ids) for g in out)}), flush=True)
"""


def _workers(model: str, threads: int, n: int) -> list[dict]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    procs = [subprocess.Popen([sys.executable, "-c", _WORKER, model, str(threads), str(N_PROMPTS), str(NEW_TOKENS)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env) for _ in range(n)]
    for p in procs:
        assert p.stdout.readline().strip() == "ready"
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    out = [json.loads(p.stdout.readline()) for p in procs]
    for p in procs:
        p.wait()
    return out


def test_two_single_thread_workers(benchmark, subject, subject_key):
    _real(subject_key)
    if not subject.has_chat_template:
        pytest.skip("the decode shape is the chat grid's")
    got: dict[str, list[dict]] = {}
    benchmark.pedantic(lambda: got.update(one=_workers(subject_key, 2, 1), two=_workers(subject_key, 1, 2)),
                       rounds=1, iterations=1)
    one = got["one"][0]["tokens"] / got["one"][0]["seconds"]
    two = sum(w["tokens"] for w in got["two"]) / max(w["seconds"] for w in got["two"])
    benchmark.extra_info.update({"one_process_two_threads_tok_s": round(one, 1),
                                 "two_processes_one_thread_tok_s": round(two, 1), "ratio": round(two / one, 2)})


def test_external_scorer_cost(benchmark, subject, subject_key):
    """The subject scoring 256 fixed (prompt, continuation) pairs at the grid's batch size."""
    _real(subject_key)
    st = load_stimuli()
    texts = [p for e in st.names for p in st.passages[e]] + list(st.neutral_sentences)
    prompts = [p for e in st.names for p in st.story_prompts(e)]
    pairs = [(prompts[i % len(prompts)], texts[i % len(texts)]) for i in range(256)]
    from harness.experiments.scoring import scorer_pair

    ids = [scorer_pair(subject, p, c, "raw") for p, c in pairs]
    reread(subject, [p for p, _ in ids[:4]], [c for _, c in ids[:4]], batch_size=4)  # warm
    seconds: dict[str, float] = {}

    def run() -> None:
        t = time.perf_counter()
        reread(subject, [p for p, _ in ids], [c for _, c in ids], batch_size=16)
        seconds["s"] = time.perf_counter() - t

    benchmark.pedantic(run, rounds=1, iterations=1)
    scored = sum(len(c) for _, c in ids)
    benchmark.extra_info.update({"pairs": len(ids), "seconds": round(seconds["s"], 2),
                                 "ms_per_pair": round(1000 * seconds["s"] / len(ids), 1),
                                 "scored_tokens_per_s": round(scored / seconds["s"], 1)})
