"""The README's measured content, generated: the claim x model verdict matrix of the committed
reference run, each model's readable range there, and the measured time of the first run on
a fresh machine. Nothing measured is
typed into the README by hand; ``python -m harness readme`` rewrites the marked blocks and
``--check`` (and a unit test) fails when they differ from what the files give."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from harness.errors import HarnessError

REFERENCE = Path("reports/reference/results.json")
FRESH_CLONE = Path("reports/benchmarks/fresh_clone.json")
BLOCK = re.compile(r"(<!-- generated: (?P<name>[\w-]+) .*?-->\n)(?P<body>.*?)(<!-- end generated -->)", re.S)


def verdict_matrix(root: Path) -> str:
    from harness.report.matrix import matrix_markdown
    from harness.report.results import read_results

    run, records = read_results(root / REFERENCE)
    return (f"{matrix_markdown(records)}\n\n_Reference run of {run.get('date', '?')[:10]}: profile "
            f"`{run.get('profile')}`, {run.get('device')}, {run.get('dtype')}; every value, interval and "
            f"control is in [reports/reference/summary.md](reports/reference/summary.md)._\n")


def fresh_clone_time(root: Path) -> str:
    path = root / FRESH_CLONE
    try:
        m = json.loads(path.read_text())
        total, install, date = m["total_seconds"], m["install_seconds"], m["date"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise HarnessError(f"{path}: unreadable fresh-clone measurement ({e}); see docs/performance.md") from None
    return (f"On a 2-core CPU the first run took {total / 60:.0f} minutes end to end ({install / 60:.0f} of them "
            f"the install), measured {date} in a fresh clone with an empty cache; a rerun reads everything "
            "from the cache ([docs/performance.md](docs/performance.md)).\n")


def readable_ranges(root: Path) -> str:
    from tabulate import tabulate

    from harness import thresholds as th
    from harness.report.readable import describe, span, sweep_counts

    doc = json.loads((root / REFERENCE).read_text())
    counts = sweep_counts(doc.get("excerpts") or [])
    models = sorted({m for m, _ in counts})
    cell = {key: describe(*span(c)) for key, (_, c) in counts.items()}
    rows = [[m, *(cell.get((m, p), "-") for p in ("raw", "chat"))] for m in models]
    return (tabulate(rows, headers=["model", "raw", "chat"], tablefmt="github") + "\n\n"
            "_Readable range in the reference run: the strengths, from the smallest of the sweep up, at which at "
            f"least {th.READABLE_SHARE:.0%} of the prompts with healthy unsteered text keep a healthy steered text. `export` prints it "
            "with a suggested ALPHA for llama.cpp (`--control-vector-scaled FILE ALPHA`); where it reads \"below\", "
            "no strength the sweep ran is readable; nothing below it has been measured. These ranges were measured "
            "under the `prefill` scale, s_l fixed from the prompt, which is what `export`'s per-block scale and "
            "llama.cpp's fixed control vector reproduce; the `full` profile's ranges from 0.001 "
            "([reports/reference-full](reports/reference-full/summary.md)) use the paper's `running` scale, which "
            "pushes less late in a continuation, so they do not carry over to an exported vector._\n")


BLOCKS: dict[str, Callable[[Path], str]] = {"verdict-matrix": verdict_matrix, "readable-range": readable_ranges,
                                            "fresh-clone-time": fresh_clone_time}


def render(readme: str, root: Path) -> str:
    """``readme`` with every generated block re-rendered from the files under ``root``."""

    def fill(m: re.Match[str]) -> str:
        name = m.group("name")
        if name not in BLOCKS:
            raise HarnessError(f"README.md: unknown generated block '{name}'; known: {', '.join(BLOCKS)}")
        return m.group(1) + BLOCKS[name](root) + m.group(4)

    out, n = BLOCK.subn(fill, readme)
    if n != len(BLOCKS):
        raise HarnessError(f"README.md: {n} generated blocks, expected {len(BLOCKS)} ({', '.join(BLOCKS)})")
    return out
