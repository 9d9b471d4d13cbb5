"""The evals' command-line options, each declared once, and what the other plugin modules read
from them (paths against the rootdir, the selected models, the load options).

Names avoid those of common plugins (pytest-profiling owns --profile, pytest-playwright
--device): pytest refuses to start when two plugins declare the same option.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from harness.models.options import LoadOptions

GROUP = "emotion-harness"


@dataclass(frozen=True)
class Option:
    flag: str
    help: str
    default: Any = None
    choices: tuple[str, ...] | None = None
    flag_only: bool = False  # store_true

    def add_to(self, group: Any) -> None:
        if self.flag_only:
            group.addoption(self.flag, action="store_true", help=self.help)
        else:
            group.addoption(self.flag, default=self.default, choices=self.choices, help=self.help)


def _options() -> tuple[Option, ...]:
    from harness.protocol import PROFILES
    from harness.runtime.steering import SCALE_RULES

    return (
        Option("--models", "comma-separated registry keys, globs, local model folders, 'embedded' (default) or "
               "'all'", "embedded"),
        Option("--torch-device", "cpu, cuda, cuda:N or auto (default cpu)", "cpu"),
        Option("--dtype", "float32 (default), bfloat16 or float16", "float32"),
        Option("--offline", "never download: use only weights already in the harness or HF cache", flag_only=True),
        Option("--allow-download", "let hub models download into the HF cache (off by default)", flag_only=True),
        Option("--trust-remote-code", "allow models that ship their own Python code (off by default)",
               flag_only=True),
        Option("--protocol-profile", f"{' or '.join(PROFILES)}: the protocol's sizes (default paper; quick is "
               "a cheap smoke run; full steers every shipped scenario prompt, the harness's own scenarios included)", "paper"),
        Option("--stimuli", "stimulus set folder (needs passages.yaml; other files default to the packaged set); "
               "default: the packaged set"),
        Option("--replicate-with", "second stimulus set the geometry verdicts are replicated on (default: the "
               "packaged independently written set-b; 'none' turns replication off)"),
        Option("--classifier", "external emotion classifier for C6/C7: auto (j-hartmann when its weights are "
               "local, else nade), j-hartmann or nade", "auto"),
        Option("--ppl-scorer", "model that scores perplexity of steered text: external (default: the first of "
               "thresholds.PPL_SCORERS that is not the steered model), self (the steered model, unsteered), "
               "or a registry key", "external"),
        Option("--scale-rule", "which prompt positions the steering scale s_l averages in the steering grid: "
               "paper (every position, the attention sink included) or sink-robust (all but the first); C13 runs "
               "both either way", "paper", SCALE_RULES),
        Option("--progress", "show each model's phases (loading, generation, re-reads, scoring) with done/total, "
               "tokens/s and ETA past output capture (default on)", "on", ("on", "off")),
        Option("--progress-every", "in a log (no terminal), seconds between progress lines inside a long phase "
               "(default 30)", "30"),
        Option("--report-dir", "where results.json and summary.md go (relative to the rootdir)", "reports/latest"),
        Option("--baselines", "folder of reviewed per-model regression baselines (relative to the rootdir; "
               "'none' turns the comparison off)", "evals/baselines"),
        Option("--update-baselines", "write every recorded value into the baselines instead of comparing",
               flag_only=True),
        Option("--expected", "reviewed outcomes of claims known not to hold (relative to the rootdir; 'none' for "
               "none)", "evals/expected_outcomes.yaml"),
    )


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup(GROUP)
    for option in _options():
        option.add_to(group)


def opt(config: pytest.Config, name: str) -> Any:
    """An option's value by its dest name (``torch_device``)."""
    return config.getoption(name)


def rooted_path(config: pytest.Config, option: str) -> Path | None:
    """A path option resolved against the rootdir; None when it is empty or 'none'."""
    value = config.getoption(option)
    if value in (None, "", "none"):
        return None
    p = Path(value)
    return p if p.is_absolute() else config.rootpath / p


def report_dir(config: pytest.Config) -> Path:
    return rooted_path(config, "report_dir") or config.rootpath / "reports" / "latest"


def load_options(config: pytest.Config, dtype: str | None = None) -> LoadOptions:
    """How the session loads models (``dtype`` overrides the option: a float32 twin)."""
    return LoadOptions(device=opt(config, "torch_device"), dtype=dtype or opt(config, "dtype"),
                       offline=opt(config, "offline"), allow_download=opt(config, "allow_download"),
                       trust_remote_code=opt(config, "trust_remote_code"))


_KEYS = pytest.StashKey[list[str]]()


def select_models(config: pytest.Config) -> None:
    """Resolve ``--models`` once, at configure time (raises HarnessError)."""
    from harness.models.registry import select

    config.stash[_KEYS] = select(config.getoption("models").split(","))


def selected_models(config: pytest.Config) -> list[str]:
    """Registry keys selected by ``--models``."""
    return list(config.stash[_KEYS])
