"""Installing the package changes no other project's pytest runs, and the evals' plugin starts
beside common plugins (their options registered as pytest-profiling and pytest-playwright
register them: pytest refuses to start when two plugins declare the same option)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from harness.pytest_plugin.options import _options

# As these plugins declare them (pytest-profiling 1.8, pytest-playwright 0.10 with
# pytest-base-url); xdist's and pytest-benchmark's are installed here for real.
NEIGHBOURS = {
    "pytest-profiling": ("--profile", "--profile-svg", "--pstats-dir", "--element-number", "--strip-dirs"),
    "pytest-playwright": ("--browser", "--headed", "--browser-channel", "--slowmo", "--device", "--output",
                          "--tracing", "--video", "--screenshot", "--full-page-screenshot", "--base-url",
                          "--verify-base-url"),
}


def test_an_unrelated_folder_sees_no_option_of_the_harness(tmp_path):
    (tmp_path / "test_plain.py").write_text("def test_ok():\n    assert True\n")
    done = subprocess.run([sys.executable, "-m", "pytest", "--help"], cwd=tmp_path, capture_output=True,
                          text=True, check=True)
    for option in _options():
        assert option.flag not in done.stdout, option.flag
    assert "emotion-harness" not in done.stdout
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--fixtures"],
                         cwd=tmp_path, capture_output=True, text=True, check=True)
    for fixture in ("model_loader", "workbench", "verify_pooled", "record_claim"):
        assert fixture not in run.stdout
    # Nor torch: a plain run imports none of it.
    probe = subprocess.run([sys.executable, "-c", "import sys, pytest; pytest.main(['-q', '-p', 'no:cacheprovider']);"
                            "print('torch' in sys.modules)"], cwd=tmp_path, capture_output=True, text=True)
    assert probe.stdout.strip().splitlines()[-1] == "False"


def test_no_option_of_the_plugin_is_a_common_plugins_option():
    ours = {o.flag for o in _options()}
    for plugin, flags in NEIGHBOURS.items():
        assert not ours & set(flags), (plugin, ours & set(flags))


@pytest.mark.parametrize("plugin", sorted(NEIGHBOURS))
def test_the_plugin_starts_beside_a_common_plugin(pytester, plugin):
    flags = NEIGHBOURS[plugin]
    pytester.makeconftest("pytest_plugins = ['harness.pytest_plugin', 'neighbour']\n")
    pytester.makepyfile(neighbour="def pytest_addoption(parser):\n" + "".join(
        f"    parser.addoption({f!r}, action='store_true')\n" for f in flags))
    pytester.makepyfile(test_x="def test_x(record_claim):\n    assert record_claim\n")
    result = pytester.runpytest_subprocess("--models", "smollm2-135m-instruct", flags[0], "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
