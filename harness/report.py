"""Render results (run metadata + claim records) as tables: summary.md and the terminal."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from tabulate import tabulate

from .cache import atomic_path
from .results import ClaimRecord, excerpt_key, sort_key

CLAIMS_HEADERS = ("claim", "model", "method", "metric", "paper", "measured", "verdict")


def fmt(value: Any, digits: int = 3) -> str:
    """Compact display: numbers rounded, long lists summarised by their extremes."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            return "n/a"
        return f"{value:.{digits}g}" if isinstance(value, float) else str(value)
    if isinstance(value, (list, tuple)):
        nums = [v for v in value if isinstance(v, (int, float)) and not isinstance(v, bool)]
        if len(value) > 6 and len(nums) == len(value):
            lo = min(range(len(nums)), key=nums.__getitem__)
            hi = max(range(len(nums)), key=nums.__getitem__)
            return f"{len(nums)} values, min {fmt(nums[lo])} @{lo}, max {fmt(nums[hi])} @{hi}"
        return "[" + ", ".join(fmt(v) for v in value) + "]"
    return str(value)


def claims_rows(records: list[ClaimRecord]) -> list[list[str]]:
    return [[r.claim, r.model, r.details.get("method", ""), r.metric, fmt(r.paper_value), fmt(r.value),
             r.verdict] for r in sorted(records, key=sort_key)]


def claims_table(records: list[ClaimRecord], fmt_name: str = "github") -> str:
    return tabulate(claims_rows(records), headers=CLAIMS_HEADERS, tablefmt=fmt_name)


def render_summary(run: dict[str, Any], records: list[ClaimRecord]) -> str:
    models = run.get("models", {})
    model_rows = [[k, m.get("family", ""), m.get("kind", ""), m.get("source", ""),
                   (m.get("fingerprint") or "")[:12]] for k, m in sorted(models.items())]
    parts = [
        "# Emotion-representation claims: measured vs paper",
        "",
        f"Harness {run.get('harness_version', '?')}, profile `{run.get('profile', '?')}`, "
        f"device `{run.get('device', '?')}`, dtype `{run.get('dtype', '?')}`, run {run.get('date', '?')}.",
        "",
        "## Claims",
        "",
        claims_table(records) if records else "_No claim was recorded in this run._",
        "",
        "## Models",
        "",
        tabulate(model_rows, headers=("model", "family", "kind", "source", "fingerprint"),
                 tablefmt="github") if model_rows else "_No model was loaded._",
        "",
    ]
    return "\n".join(parts)


def write_summary(path: Path, run: dict[str, Any], records: list[ClaimRecord]) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(render_summary(run, records))


def excerpt_file(model: str, prompting: str) -> str:
    return f"excerpts/{model}-{prompting}.md"


def render_excerpts(excerpts: list[dict[str, Any]]) -> dict[str, str]:
    """One markdown file per (model, prompting): every steered continuation, by scenario and strength."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for e in sorted(excerpts, key=excerpt_key):
        groups.setdefault((e["model"], e["prompting"]), []).append(e)
    files = {}
    for (model, prompting), items in groups.items():
        lines = [f"# Steered continuations: {model}, {prompting} prompts", "",
                 "Greedy; strength = alpha (the added vector is sign * alpha * s_l * v_hat at every block). "
                 "`target` is the classifier's target-emotion score, `ppl` the unsteered scorer's perplexity, "
                 "`loop` the share of words in the longest repetition loop.", ""]
        scenario = None
        for e in items:
            if e["scenario"] != scenario:
                scenario = e["scenario"]
                lines += [f"## {scenario} (target {e['target_emotion']}, sign {e['sign']:+d})", ""]
            head = (f"- prompt {e['prompt_index']}, {e['direction']} direction, strength {e['strength']}: "
                    f"target {fmt(e['target'])}, ppl {fmt(e['perplexity'], 1)}, loop {fmt(e['loop_share'], 2)}")
            text = " ".join(e["text"].split()) or "(empty)"
            lines += [head, f"  > {e['prompt']} **{text}**", ""]
        files[excerpt_file(model, prompting)] = "\n".join(lines)
    return files


def write_excerpts(out: Path, excerpts: list[dict[str, Any]]) -> None:
    for name, text in render_excerpts(excerpts).items():
        with atomic_path(out / name) as tmp:
            tmp.write_text(text)
