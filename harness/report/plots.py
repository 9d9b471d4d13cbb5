"""The report's figures: every plot the claims declare (harness.claims.base.Plot), drawn from
records only, so `harness report` can redraw them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.claims import CLAIMS
from harness.claims.figures import PLOT_DIR
from harness.claims.record import ClaimRecord

__all__ = ["PLOT_DIR", "draw_all", "listed"]


def draw_all(records: list[ClaimRecord], out: Path) -> dict[str, dict[str, str] | str | None]:
    """Every declared plot, by kind, in the registry's order."""
    return {plot.kind: plot.draw(records, out) for claim in CLAIMS for plot in claim.plots}


def listed(plots: dict[str, Any]) -> list[tuple[str, list[tuple[str, str]]]]:
    """``draw_all``'s result as (title, [(model or "all models", relative path)]) per kind drawn."""
    out = []
    for plot in (p for claim in CLAIMS for p in claim.plots):
        got = plots.get(plot.kind)
        if got:
            out.append((plot.title, sorted(got.items()) if isinstance(got, dict) else [("all models", got)]))
    return out
