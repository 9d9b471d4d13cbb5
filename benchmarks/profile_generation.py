"""Where batched generation spends its time (smollm2, batch 64, 50 new tokens): torch profiler.

    python benchmarks/profile_generation.py   (the table in benchmarks/analysis.md)
"""
import sys

from torch.profiler import ProfilerActivity, profile

from harness.models.loading import load
from harness.runtime.generate import chat_ids, generate

sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
from test_generation_speed import PROMPTS

h = load("smollm2-135m-instruct")
ids = [chat_ids(h, p) for p in PROMPTS[:64]]
generate(h, ids[:8], 4, batch_size=8)
with profile(activities=[ProfilerActivity.CPU]) as prof:
    generate(h, ids, 50, batch_size=64)
print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=18))
