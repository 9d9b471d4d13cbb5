"""The README is a front door: short, the two fresh-machine commands first, and its measured
content (the verdict matrix, the first run's time) generated from committed files."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import HarnessError
from harness.report.readme import render

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text()


def test_the_readme_is_short_and_opens_with_the_two_commands():
    lines = README.splitlines()
    assert len(lines) <= 200
    first = next(i for i, ln in enumerate(lines, 1) if "pytest evals --models embedded" in ln)
    second = next(i for i, ln in enumerate(lines, 1) if ln.strip() == "pytest tests -n auto")
    assert first < second < 40
    assert "pip install torch==2.13.0" in lines[first - 1]  # CPU torch before the package


def test_the_readme_matrix_and_times_are_the_ones_the_committed_files_give():
    assert render(README, REPO) == README, "run `python -m harness readme` and commit the result"
    assert "| C8 regime follows architecture" in README


def test_a_readme_without_its_generated_blocks_is_refused():
    with pytest.raises(HarnessError, match="0 generated blocks, expected 3"):
        render("# no blocks\n", REPO)


def test_the_readme_gives_each_reference_models_readable_range_for_llama_cpp():
    block = README.split("<!-- generated: readable-range", 1)[1].split("<!-- end generated -->", 1)[0]
    assert "--control-vector-scaled calm.gguf ALPHA" in README
    assert "| smollm2-135m-instruct " in block and "| qwen2.5-coder-1.5b-instruct " in block
