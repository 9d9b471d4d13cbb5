"""The fresh-clone benchmark reads a run's phases from the progress lines the plugin prints:
the parser must read the lines harness.progress writes, not a copy of their format."""

from __future__ import annotations

from benchmarks.phases import phases, totals
from harness.progress import Update


def test_the_phase_parser_reads_the_progress_end_lines():
    lines = [
        Update("smollm2-135m-instruct", "generate stories (default, up to 256 tokens)", "start", 0, 210, "stories", 0,
               0.0).line(),
        Update("smollm2-135m-instruct", "generate stories (default, up to 256 tokens)", "step", 64, 210, "stories",
               6000, 30.0).line(),
        "x" + Update("smollm2-135m-instruct", "generate stories (default, up to 256 tokens)", "end", 210, 210, "stories",
                     50000, 266.0).line(),  # -q writes result letters before it
        Update("smollm2-135m-instruct+random-init", "re-read stories with prompt (default)", "end", 210, 210, "rows", 0,
               101.0).line(),
        Update("smollm2-135m-instruct", "perplexity under gemma-3-270m", "end", 490, 490, "rows", 0, 140.0).line(),
        Update("gemma-3-270m", "dequantize GGUF to float32", "end", 0, None, "rows", 0, 45.0).line(),
    ]
    got = phases("\n".join(lines))
    assert [(p["model"], p["seconds"], p["rows"]) for p in got] == [
        ("smollm2-135m-instruct", 266, 210), ("smollm2-135m-instruct+random-init", 101, 210),
        ("smollm2-135m-instruct", 140, 490), ("gemma-3-270m", 45, None)]
    assert got[0]["tokens_per_s"] == round(50000 / 266)
    t = totals(got)
    assert t["model"] == {"smollm2-135m-instruct": 266 + 101 + 140, "gemma-3-270m": 45}
    assert t["kind"] == {"stories": 266, "reads": 101, "steering": 140, "other": 45}
