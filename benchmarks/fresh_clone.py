"""Record a fresh-clone run of README command 1 into reports/benchmarks/fresh_clone.json.

    python benchmarks/fresh_clone.py LOG --install-seconds N --run-seconds N --commit SHA \
        [--gflops G] [--out reports/benchmarks/fresh_clone.json]

LOG is the run's captured output (stdout and stderr, not a terminal), from which every
phase's end line is read. The file keeps the measurement it replaces under ``before``
(phases and all), so the rendered report sets the two side by side.
"""

from __future__ import annotations

import argparse
import datetime
import json
from pathlib import Path

from benchmarks.phases import phases, totals

COMMAND = ('python3 -m venv .venv && . .venv/bin/activate && pip install torch==2.13.0 && pip install -e ".[dev]" '
           "&& pytest evals --models embedded")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("log")
    ap.add_argument("--install-seconds", type=int, required=True)
    ap.add_argument("--run-seconds", type=int, required=True)
    ap.add_argument("--commit", required=True)
    ap.add_argument("--gflops", type=float, help="the float32 matmul rate measured on the same machine right after")
    ap.add_argument("--out", default="reports/benchmarks/fresh_clone.json")
    args = ap.parse_args()
    ph = phases(Path(args.log).read_text(errors="replace"))
    if not ph:
        raise SystemExit(f"{args.log}: no progress end lines ('done  MODEL | PHASE | ...'); capture the run's output")
    out = Path(args.out)
    old = json.loads(out.read_text()) if out.is_file() else None
    if old is not None:
        old.pop("before", None)  # one step of history: the run this one replaces
    doc = {"command": COMMAND, "commit": args.commit, "date": datetime.date.today().isoformat(),
           "install_seconds": args.install_seconds, "run_seconds": args.run_seconds,
           "total_seconds": args.install_seconds + args.run_seconds,
           "machine": "2-core AMD EPYC VM, 24 GiB, no GPU",
           "what": "README command 1 in a fresh clone, fresh venv and empty cache (EMOTION_HARNESS_CACHE pointing at "
                   "a new folder), output piped to a file (no terminal)",
           "gflops": args.gflops, "phases": ph, "totals": totals(ph), "before": old}
    out.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"wrote {out}: {len(ph)} phases, {doc['total_seconds'] / 60:.1f} min")


if __name__ == "__main__":
    main()
