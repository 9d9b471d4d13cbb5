"""A claim-suite run's phases, read from the progress end lines it prints (harness.progress)."""

from __future__ import annotations

import re

# A phase's end line as the plugin prints it (harness.progress.Update.line).
_DONE = re.compile(r"done  (?P<model>[^|]+?) \| (?P<phase>[^|]+?) \| (?:(?P<rows>\d+)/\d+ (?P<unit>\S+) \(\d+%\) \| )?"
                   r"(?P<clock>[\d:]+)(?: \| (?P<tps>\d+) tok/s)?$")

# What kind of work a phase is, by the words its name starts with: the aggregates the
# fresh-clone table sums (stories generated, texts read, the steering grid, the rest).
KINDS = (("generate stories", "stories"), ("read ", "reads"), ("re-read ", "reads"), ("steering ", "steering"),
         ("perplexity under ", "steering"))


def phases(output: str) -> list[dict]:
    """Every finished phase of a suite run, from its progress end lines: model, phase, rows,
    seconds (1 s resolution) and generated tokens/s."""
    out = []
    for line in output.splitlines():
        m = _DONE.search(line.strip())  # -q writes result letters on the same line before it
        if m:
            secs = 0
            for part in m["clock"].split(":"):
                secs = secs * 60 + int(part)
            out.append({"model": m["model"], "phase": m["phase"], "rows": int(m["rows"]) if m["rows"] else None,
                        "seconds": secs, "tokens_per_s": int(m["tps"]) if m["tps"] else None})
    return out


def kind(phase: str) -> str:
    return next((k for start, k in KINDS if phase.startswith(start)), "other")


def totals(ph: list[dict]) -> dict[str, dict[str, int]]:
    """Seconds per model (the random-weight copy counted with its model; the scorer's
    perplexity phases with the model it scores) and per kind of work."""
    by_model: dict[str, int] = {}
    by_kind: dict[str, int] = {}
    for p in ph:
        model = p["model"].split("+")[0]
        if p["seconds"]:
            by_model[model] = by_model.get(model, 0) + p["seconds"]
        by_kind[kind(p["phase"])] = by_kind.get(kind(p["phase"]), 0) + p["seconds"]
    return {"model": by_model, "kind": by_kind}
