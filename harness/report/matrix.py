"""The claim x model matrix: each claim's decisive records (its headline metric, one per
extraction method or prompting mode) by model, for the top of summary.md and summary.html.
Readings recorded beside a verdict (a random-weight copy's, a second stimulus set's) stay in
the long table; the matrix shows what each claim's test decided."""

from __future__ import annotations

from dataclasses import dataclass

from tabulate import tabulate

from harness.claims import CLAIMS
from harness.claims.base import Claim, parse_details
from harness.claims.markdown import fmt
from harness.claims.record import ClaimRecord

# Axis values as the matrix abbreviates them.
SHORT = {"comprehension": "comp", "generation": "gen", "generation vs comprehension": "gen vs comp"}


@dataclass(frozen=True)
class Row:
    claim: str
    short: str
    source: Claim  # type: ignore[type-arg]
    statement: str
    cells: dict[str, list[ClaimRecord]]  # model -> decisive records, in axis order


def matrix(records: list[ClaimRecord]) -> tuple[list[str], list[Row]]:
    """(models in column order: single models sorted, then pooled checks; the claims' rows)."""
    rows = []
    for claim in CLAIMS:
        order = {v: i for i, v in enumerate(claim.axis_values)}
        cells: dict[str, list[ClaimRecord]] = {}
        for r in records:
            if r.claim == claim.id and r.metric == claim.metric:
                cells.setdefault(column(r.model), []).append(r)
        # A method or mode that does not apply to a model is recorded under its own metric.
        for r in records:
            if r.claim == claim.id and r.verdict == "not applicable" and r.method in order and not any(
                    x.method == r.method for x in cells.get(column(r.model), [])):
                cells.setdefault(column(r.model), []).append(r)
        for recs in cells.values():
            recs.sort(key=lambda r: order.get(r.method, len(order)))
        rows.append(Row(claim.id, claim.short, claim, claim.statement, cells))
    models = sorted({m for row in rows for m in row.cells})
    return sorted(models, key=lambda m: (m == POOLED, m)), rows


POOLED = "pooled"


def column(model: str) -> str:
    """Checks pooled over models share one column (their records name the models pooled)."""
    return POOLED if model.startswith("pooled(") else model


def short_value(r: ClaimRecord, claim: Claim | None = None) -> str:  # type: ignore[type-arg]
    """The record's count where its claim gives one (``0/2, 45 collapsed``), else its value."""
    if claim is not None and claim.count is not None:
        d = parse_details(claim.details, r.details)
        if d is not None:
            return claim.count(d)
    return "—" if r.value is None else fmt(r.value, 2)


def cell_text(recs: list[ClaimRecord], claim: Claim | None = None) -> str:  # type: ignore[type-arg]
    """``comp: holds (0.0001); gen: inconclusive (0.0001)``; a share as its count: ``raw: inconclusive (0/2, 45 collapsed)``."""
    return "; ".join(f"{SHORT.get(r.method, r.method)}: {r.verdict}"
                     + ("" if r.verdict == "not applicable" else f" ({short_value(r, claim)})") for r in recs) or "—"


def matrix_markdown(records: list[ClaimRecord], tablefmt: str = "github") -> str:
    models, rows = matrix(records)
    body = [[f"{row.claim} {row.short}", *(cell_text(row.cells.get(m, []), row.source) for m in models)] for row in rows
            if row.cells]
    return tabulate(body, headers=("claim", *models), tablefmt=tablefmt)


def matrix_text(records: list[ClaimRecord]) -> str:
    """The matrix for a terminal: one block per model (a row per claim), so it fits any width."""
    models, rows = matrix(records)
    blocks = []
    for m in models:
        body = [[f"{row.claim} {row.short}", cell_text(row.cells[m], row.source)] for row in rows if m in row.cells]
        blocks.append(tabulate(body, headers=("claim", m), tablefmt="simple"))
    return "\n\n".join(blocks)
