"""docs/architecture.md's "Adding a claim", run as written: its claim module and its eval, in a
scratch folder whose conftest puts the module on the registry's path. The claim's record,
table, plot and matrix row must reach the report, and `harness claims` must list it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import harness.claims
from harness.cli import main

DOC = Path(__file__).resolve().parents[2] / "docs" / "architecture.md"


def _blocks() -> tuple[str, str]:
    section = DOC.read_text().split("## Adding a claim", 1)[1]
    module, eval_module = re.findall(r"```python\n(.*?)```", section, re.S)[:2]
    return module, eval_module


CONFTEST = '''
from pathlib import Path

import pytest

import harness.claims
from harness.testing import tiny_handle

harness.claims.__path__.append(str(Path(__file__).parent / "claims_ext"))
pytest_plugins = ["harness.pytest_plugin"]


@pytest.fixture(scope="session")
def model():
    return tiny_handle("llama")
'''


def test_the_documented_claim_reaches_the_report(pytester):
    module, eval_module = _blocks()
    ext = pytester.mkdir("claims_ext")
    (ext / "c14_middle_depth.py").write_text(module)
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_c14_middle_depth=eval_module)
    out = pytester.path / "rep"
    result = pytester.runpytest_subprocess("--report-dir", str(out), "--baselines", "none", "--expected", "none",
                                           "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*C14 middle block in the band*holds*"])  # the terminal's verdict matrix
    (rec,) = [r for r in json.loads((out / "results.json").read_text())["records"] if r["claim"] == "C14"]
    assert rec["verdict"] == "holds" and rec["details"]["middle_block"] == rec["details"]["n_layers"] // 2
    summary = (out / "summary.md").read_text()
    assert "### C14 (example): middle block depth" in summary and "plots/middle_depth.png" in summary
    assert (out / "plots" / "middle_depth.png").stat().st_size > 0


def test_the_documented_claim_is_listed_by_the_claims_command(pytester, monkeypatch, capsys):
    module, _ = _blocks()
    ext = pytester.mkdir("claims_ext")
    (ext / "c14_middle_depth.py").write_text(module)
    monkeypatch.setattr(harness.claims, "__path__", [*harness.claims.__path__, str(ext)])
    harness.claims._registry.cache_clear()
    try:
        assert main(["claims"]) == 0
    finally:
        monkeypatch.undo()
        harness.claims._registry.cache_clear()
        import sys
        sys.modules.pop("harness.claims.c14_middle_depth", None)
    said = capsys.readouterr().out
    assert "C14 (middle block in the band; paper example): the middle block lies inside" in said
    assert "UCURVE_BEST_DEPTH = (0.35, 0.7)" in said and "decided in: harness.claims.c14_middle_depth" in said
