"""Progress past pytest's capture in a real pytest run: phase lines in a log, under -q, and from
pytest-xdist workers."""

from __future__ import annotations

PHASE_IN_FIXTURE = '''
import pytest
from harness import progress

@pytest.fixture(scope="session")
def slow():
    print("captured chatter")
    with progress.phase("tiny-model", "story generation", total=4, unit="stories"):
        for _ in range(4):
            progress.advance(1, tokens=10)
    return 1

def test_first():
    pass

def test_uses_it(slow, record_claim):
    record_claim("C3", "tiny-model", "x", 0.5, verdict="holds")
'''


def test_plugin_shows_phases_past_capture_when_stdout_is_not_a_terminal(evals_folder):
    evals_folder.makepyfile(test_phase=PHASE_IN_FIXTURE)
    result = evals_folder.runpytest_subprocess()  # stdout is a pipe: no TTY
    result.assert_outcomes(passed=2)
    text = result.stdout.str()
    result.stdout.fnmatch_lines(["start tiny-model | story generation | 0/4 stories (0%)*",
                                 "done  tiny-model | story generation | 4/4 stories (100%)*tok/s"])
    assert "captured chatter" not in text and "ETA" not in text  # no per-step lines in a log
    result.stdout.fnmatch_lines(["this run took *: 1 phases computed (*), everything else read from the cache*"])
    quiet = evals_folder.runpytest_subprocess("-q")
    quiet.assert_outcomes(passed=2)
    assert "start tiny-model" not in quiet.stdout.str()
    quiet.stdout.fnmatch_lines(["done  tiny-model | story generation | 4/4 stories*"])


def test_xdist_workers_show_their_phases_on_the_shared_stderr(evals_folder):
    evals_folder.makepyfile(test_phase=PHASE_IN_FIXTURE)
    result = evals_folder.runpytest_subprocess("-n", "2")
    result.assert_outcomes(passed=2)
    result.stderr.fnmatch_lines(["[[]gw?[]] start tiny-model | story generation | 0/4 stories (0%)*",
                                 "[[]gw?[]] done  tiny-model | story generation | 4/4 stories (100%)*tok/s"])
    assert "captured chatter" not in result.stdout.str() + result.stderr.str()
    # The controller's summary counts the phase its worker computed.
    result.stdout.fnmatch_lines(["this run took *: 1 phases computed (*), everything else read from the cache*"])


STORY_PHASE = '''
import pytest
from harness import progress
from harness.runtime.generate import generate
from harness.testing import GENERATION_INIT, tiny_handle

@pytest.fixture(scope="session")
def stories():
    h = tiny_handle("llama", init=GENERATION_INIT)
    with progress.phase("tiny-model", "generate stories (default, up to 256 tokens)", unit="stories"):
        return generate(h, [[5, 6, 7]] * 8, max_new_tokens=200, batch_size=8)

def test_uses_them(stories, record_claim):
    record_claim("C3", "tiny-model", "x", 0.5, verdict="holds")
'''


def test_a_log_shows_progress_lines_inside_a_long_story_phase(evals_folder):
    """In a log (stdout a pipe) a phase longer than --progress-every writes done/total lines
    between its start and end lines: here one batch of 200 decode steps."""
    evals_folder.makepyfile(test_stories=STORY_PHASE)
    result = evals_folder.runpytest_subprocess("--progress-every", "0.01")
    result.assert_outcomes(passed=1)
    lines = [ln for ln in result.stdout.lines if "generate stories" in ln]
    assert lines[0].startswith("start ") and lines[-1].startswith("done  ")
    inside = lines[1:-1]
    during = [ln for ln in inside if "0/8 stories (0%)" in ln]
    assert during and all("ETA" not in ln for ln in during), lines  # no ETA before a story is done
    # The batch's own completion may be logged before the phase's done line (timing-dependent).
    assert all(ln in during or "8/8 stories (100%)" in ln for ln in inside), lines


def test_a_non_finite_progress_interval_is_a_one_line_usage_error(evals_folder):
    evals_folder.makepyfile(test_x="def test_x():\n    pass\n")
    result = evals_folder.runpytest("--progress-every", "nan")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*--progress-every: 'nan' is not a finite number in [[]0.01, 3600]*"])
