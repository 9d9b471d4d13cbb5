"""Drawing helpers for the plots claims declare (matplotlib, loaded only when a plot is drawn).

A plot reads claim records only, so `harness report` can redraw it without a model; PNG
metadata carries no version or date, so the same records give the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from harness.cache import atomic_path
from harness.claims.record import ClaimRecord

if TYPE_CHECKING:
    from harness.claims.base import Claim

PLOT_DIR = "plots"
D = TypeVar("D")


def pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig: Any, out: Path, name: str) -> str:
    """Write ``fig`` as ``out/plots/name`` (atomically) and return its path relative to ``out``."""
    rel = f"{PLOT_DIR}/{name}"
    with atomic_path(out / rel) as tmp:
        fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    pyplot().close(fig)
    return rel


def per_record(records: list[ClaimRecord], claim: Claim[D], prefix: str, out: Path,
               draw: Callable[[ClaimRecord, D], Any]) -> dict[str, str]:
    """One figure per (model, method) record of ``claim``."""
    paths = {}
    for r, d in claim.read(records):
        key = f"{r.model}_{r.method}"
        paths[key] = save(draw(r, d), out, f"{prefix}_{key}.png")
    return paths
