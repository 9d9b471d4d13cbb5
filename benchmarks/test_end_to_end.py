"""End to end: extraction (both methods) and the full claim suite, cold and warm cache.

    pytest benchmarks -k end_to_end --models smollm2-135m-instruct,gemma-3-270m

"Cold" starts from an empty activation/steering cache (the converted model weights are
linked in, so fetching is not timed); "warm" repeats with everything cached. The claim
suite runs as a subprocess `pytest evals --models KEY` exactly as a user would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchmarks.phases import phases
from harness.cache import cache_root

ROOT = Path(__file__).resolve().parents[1]


def fresh_cache(tmp: Path) -> Path:
    """An empty harness cache that shares the real one's converted models and GGUFs."""
    real = cache_root()
    tmp.mkdir(parents=True, exist_ok=True)
    for part in ("models", "gguf", "downloads"):
        if (real / part).exists() and not (tmp / part).exists():
            (tmp / part).symlink_to(real / part)
    return tmp


def timed_run(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "pytest", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - t
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    return elapsed, proc.stdout


EXTRACT = ("import json, sys, time; from harness.models.loading import load; from harness.stimuli.loading import load_stimuli; "
           "from harness.protocol import get_profile; from harness.experiments.extraction import extract, supports; "
           "h = load(sys.argv[1]); st = load_stimuli(); p = get_profile('paper'); out = {}\n"
           "for m in ('comprehension', 'generation'):\n"
           "    if supports(h, m): continue\n"
           "    t = time.perf_counter(); extract(h, m, st, p); out[m] = time.perf_counter() - t\n"
           "print(json.dumps(out))")


def test_end_to_end(benchmark, subject, subject_key, tmp_path):
    if subject_key.startswith("tiny"):
        pytest.skip("end to end runs on real models")
    env = {**os.environ, "EMOTION_HARNESS_CACHE": str(fresh_cache(tmp_path / "cache")), "HF_HUB_OFFLINE": "1"}
    extraction = {}
    for phase in ("cold", "warm"):
        proc = subprocess.run([sys.executable, "-c", EXTRACT, subject_key], cwd=ROOT, env=env, capture_output=True,
                              text=True, check=True)
        extraction[phase] = {k: round(v, 1) for k, v in json.loads(proc.stdout.strip().splitlines()[-1]).items()}
    # The claim suite from an empty cache again, then warm.
    env["EMOTION_HARNESS_CACHE"] = str(fresh_cache(tmp_path / "cache2"))
    args = ["evals", "--models", subject_key, "-p", "no:cacheprovider", "-q", "--report-dir", str(tmp_path / "rep")]
    cold, cold_out = timed_run(args, env)
    warm, _ = timed_run(args, env)
    suite = {"cold": round(cold, 1), "warm": round(warm, 1)}
    benchmark.group = f"end to end {subject_key}"
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)
    benchmark.extra_info.update(model=subject_key, extraction_seconds=extraction, claim_suite_seconds=suite,
                                cold_phases=phases(cold_out))
    assert benchmark.extra_info["cold_phases"], "the cold suite printed no progress end lines"
