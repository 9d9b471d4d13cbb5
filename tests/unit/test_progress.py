"""Progress: phases advanced by the batching loop, tokens counted by generation, and the
plugin's terminal form surviving pytest's capture (a line per phase start and end when the
output is not a terminal, the end line only under -q)."""

from __future__ import annotations

import io

from harness import progress
from harness.runtime.capture import capture
from harness.runtime.generate import generate
from harness.testing import GENERATION_INIT, random_prompts, tiny_handle


def collect() -> tuple[list[progress.Update], progress.Sink]:
    got: list[progress.Update] = []
    return got, got.append


def test_batches_advance_the_innermost_phase_and_generation_counts_tokens():
    h = tiny_handle("llama", init=GENERATION_INIT)
    prompts = random_prompts(7)
    got, sink = collect()
    with progress.reporting(sink):
        with progress.phase(h.key, "generate", unit="texts"):
            gens = generate(h, prompts, max_new_tokens=5, batch_size=3)
        with progress.phase(h.key, "read"):
            capture(h, prompts, batch_size=4)
    every = [u for u in got if u.phase == "generate"]
    # Each decode step pulses (a step that finishes no row); each finished batch advances.
    gen = [u for i, u in enumerate(every) if u.event != "step" or u.done != every[i - 1].done]
    assert [u.event for u in gen] == ["start", "step", "step", "step", "end"]  # 3 + 3 + 1 rows
    assert [u.done for u in gen] == [0, 3, 6, 7, 7] and gen[-1].total == 7
    assert len(every) - len(gen) >= 3 * 5 - 3  # a pulse at (nearly) every decode step of the three batches
    assert gen[-1].tokens == sum(len(g.new_ids) for g in gens) > 0
    read = [u for u in got if u.phase == "read"]
    assert [u.done for u in read] == [0, 4, 7, 7] and read[-1].tokens == 0
    assert "7/7 texts (100%)" in gen[-1].line() and gen[-1].line().startswith("done")
    assert "ETA" in gen[1].line() and "tok/s" in gen[-1].line()


def test_without_a_sink_or_phase_nothing_is_reported():
    h = tiny_handle("gpt2")
    got, sink = collect()
    capture(h, random_prompts(3), batch_size=2)  # no phase open: advance is a no-op
    with progress.reporting(sink):
        capture(h, random_prompts(3), batch_size=2)
    assert got == []


def test_a_phase_ends_even_when_its_work_fails():
    got, sink = collect()
    with progress.reporting(sink):
        try:
            with progress.phase("m", "boom", total=2):
                progress.advance()
                raise ValueError
        except ValueError:
            pass
    assert [u.event for u in got] == ["start", "step", "end"] and got[-1].done == 1


def test_stderr_sink_without_a_terminal_writes_start_and_end_lines_only():
    out = io.StringIO()
    with progress.reporting(progress.stderr_sink(out)), progress.phase("m", "work", total=3):
        for _ in range(3):
            progress.advance()
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 and lines[0].startswith("start m | work") and lines[1].startswith("done  m | work")
