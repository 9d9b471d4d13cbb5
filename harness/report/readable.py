"""Each model's readable range, read off the steered texts: how hard the emotion vector can push
before healthy text breaks (docs/protocol.md, Readable range)."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from tabulate import tabulate

from harness import thresholds as th
from harness.claims.text_health import readable_range

READABLE_TITLE = "Readable range: how hard the vector can push before text breaks"
# (model, prompting) -> (prompts healthy unsteered, strength -> [healthy steered, steered])
Counts = dict[tuple[str, str], tuple[int, dict[float, list[int]]]]


# The steering arms with a readable range of their own: the neutral-baseline vectors and the
# paper platform's (readable grid only).
ARMS = (("emotion", "neutral-baseline, middle block"), ("platform", "platform (centred, block 2L/3)"))


def sweep_counts(excerpts: list[dict[str, Any]], direction: str = "emotion") -> Counts:
    """Per model and prompting mode, over the prompts whose unsteered text is healthy: how many of
    their texts steered by ``direction`` stay healthy at each sweep strength (short prompts, the
    paper's rule)."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    unsteered: dict[tuple[str, str], set[tuple[str, int]]] = defaultdict(set)
    for e in excerpts:
        # Older results lack length and rule: their rows were all short prompts under the paper's rule.
        if e.get("length", "short") != "short" or e.get("rule", "paper") != "paper":
            continue
        if e["strength"] == 0 and e["direction"] == "emotion" and e["degenerate"] is None:
            unsteered[(e["model"], e["prompting"])].add((e["scenario"], e["prompt_index"]))
        if e["direction"] == direction or (e["strength"] == 0 and e["direction"] == "emotion"):
            groups[(e["model"], e["prompting"])].append(e)
    out: Counts = {}
    for group, items in sorted(groups.items()):
        if not any(e["direction"] == direction and e["strength"] > 0 for e in items):
            continue
        healthy = unsteered[group]
        # The sweep is the strengths every prompt ran at (C13 adds a few on a subset of prompts).
        per = Counter(e["strength"] for e in items)
        sweep = {a for a, k in per.items() if a > 0 and k == per[0.0]}
        items = [e for e in items if e["direction"] == direction]
        counts: dict[float, list[int]] = {}
        for e in items:
            if e["strength"] in sweep and (e["scenario"], e["prompt_index"]) in healthy:
                c = counts.setdefault(e["strength"], [0, 0])
                c[0] += e["degenerate"] is None
                c[1] += 1
        out[group] = (len(healthy), counts)
    return out


def span(counts: dict[float, list[int]]) -> tuple[float | None, float | None]:
    """(the smallest strength run, the readable range's top or None)."""
    shares = {s: k / n for s, (k, n) in counts.items() if n}
    return (min(counts) if counts else None), readable_range(shares)


def describe(smallest: float | None, top: float | None) -> str:
    if top is not None:
        return f"up to {top:g}"
    return f"below {smallest:g} (the smallest strength run)" if smallest is not None else "-"


def _found(excerpts: list[dict[str, Any]]) -> dict[tuple[str, str, str], tuple[int, dict[float, list[int]]]]:
    return {(model, prompting, arm): v for arm, _ in ARMS for (model, prompting), v in sweep_counts(excerpts, arm).items()}


def readable_rows(excerpts: list[dict[str, Any]]) -> list[list[str]]:
    """One row per model, prompting mode and steering arm: per sweep strength, healthy steered
    texts of the prompts whose unsteered text is healthy, and the range's top."""
    found = _found(excerpts)
    return _rows(found, sweep_columns(found))


def _rows(found: dict[tuple[str, str, str], tuple[int, dict[float, list[int]]]], columns: list[float]
          ) -> list[list[str]]:
    words = dict(ARMS)
    return [[model, prompting, words[arm], healthy,
             *(f"{counts[s][0]}/{counts[s][1]}" if s in counts else "-" for s in columns), describe(*span(counts))]
            for (model, prompting, arm), (healthy, counts) in sorted(found.items())]


def sweep_columns(found: dict[Any, tuple[int, dict[float, list[int]]]]) -> list[float]:
    """Every strength any model's sweep ran at, in order."""
    return sorted({a for _, counts in found.values() for a in counts})


def readable_table(excerpts: list[dict[str, Any]]) -> list[str]:
    found = _found(excerpts)  # counted once for the rows and the columns
    columns = sweep_columns(found)
    rows = _rows(found, columns)
    if not rows:
        return []
    return [tabulate(rows, headers=["model", "prompting", "vectors", "healthy unsteered",
                                    *(f"{s:g}" for s in columns), "readable range"], tablefmt="github"),
            "",
            f"_Healthy steered texts (short prompts, the paper's scale rule) of the prompts whose "
            f"unsteered text is healthy, per strength. Readable range: from the smallest strength up to the largest "
            f"at which this and every smaller strength keep at least {th.READABLE_SHARE:.0%} of them healthy "
            f"(`READABLE_SHARE`)._", ""]
