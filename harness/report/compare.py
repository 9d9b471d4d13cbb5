"""Two runs of one protocol side by side: does a change of precision, device or library keep
every verdict, and how far do the values move?

Records are matched by model and baseline key (claim, method, metric). The runs must have
measured the same thing (protocol version, profile, stimuli), as for a merge.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tabulate import tabulate

from harness.claims.record import ClaimRecord
from harness.errors import HarnessError
from harness.report.baselines import drift, record_key
from harness.report.merge import results_path, same_measurement


@dataclass(frozen=True)
class Pair:
    model: str
    key: str  # claim|method|metric
    a: ClaimRecord
    b: ClaimRecord

    @property
    def same_verdict(self) -> bool:
        return self.a.verdict == self.b.verdict

    @property
    def within_tolerance(self) -> bool:
        """The regression baselines' rule: scalars within their tolerance, anything else equal."""
        return drift({"value": self.a.value}, self.b.value) is None


@dataclass(frozen=True)
class Comparison:
    run_a: dict[str, Any]
    run_b: dict[str, Any]
    pairs: tuple[Pair, ...]
    only_a: tuple[str, ...]  # "model claim|method|metric" recorded in one run only
    only_b: tuple[str, ...]

    @property
    def verdict_changes(self) -> list[Pair]:
        return [p for p in self.pairs if not p.same_verdict]

    @property
    def value_drifts(self) -> list[Pair]:
        return [p for p in self.pairs if not p.within_tolerance]


def compare_runs(a: Path, b: Path, models: Sequence[str] | None = None) -> Comparison:
    """Match the records of two runs (restricted to ``models`` when given)."""
    fa, fb = results_path(Path(a)), results_path(Path(b))
    (run_a, recs_a), (run_b, recs_b) = same_measurement(fa, fb)
    keep = set(models) if models else None
    ka, kb = _keyed(recs_a, keep), _keyed(recs_b, keep)
    if not ka.keys() & kb.keys():
        raise HarnessError(f"{fa} and {fb} share no record; do they cover the same models?")
    pairs = tuple(Pair(m, k, ka[m, k], kb[m, k]) for m, k in sorted(ka.keys() & kb.keys()))
    return Comparison(run_a, run_b, pairs, tuple(f"{m} {k}" for m, k in sorted(ka.keys() - kb.keys())),
                      tuple(f"{m} {k}" for m, k in sorted(kb.keys() - ka.keys())))


def render(c: Comparison, name_a: str, name_b: str) -> str:
    """A markdown account: counts, every changed verdict, every value beyond the tolerance."""
    changed, drifted = c.verdict_changes, c.value_drifts
    lines = [f"# {name_b} against {name_a}", "",
             f"- {name_a}: dtype `{c.run_a.get('dtype')}`, device `{c.run_a.get('device')}`, torch "
             f"`{c.run_a.get('torch')}`",
             f"- {name_b}: dtype `{c.run_b.get('dtype')}`, device `{c.run_b.get('device')}`, torch "
             f"`{c.run_b.get('torch')}`",
             f"- {len(c.pairs)} records matched; **{len(c.pairs) - len(changed)} same verdict, "
             f"{len(changed)} changed**; {len(c.pairs) - len(drifted)} values within the baselines' tolerance, "
             f"{len(drifted)} beyond it",
             f"- recorded in one run only: {len(c.only_a)} in {name_a}, {len(c.only_b)} in {name_b}", ""]
    if changed:
        lines += ["## Verdicts that changed", "",
                  _table(changed, name_a, name_b), ""]
    if drifted:
        lines += ["## Values beyond the tolerance", "",
                  _table(drifted, name_a, name_b), ""]
    return "\n".join(lines)


def _table(pairs: Sequence[Pair], name_a: str, name_b: str) -> str:
    rows = [[p.model, p.key, p.a.verdict, p.b.verdict, _short(p.a.value), _short(p.b.value)] for p in pairs]
    return tabulate(rows, headers=["model", "claim|method|metric", f"verdict {name_a}", f"verdict {name_b}",
                                   f"value {name_a}", f"value {name_b}"], tablefmt="github")


def _keyed(records: Sequence[ClaimRecord], keep: set[str] | None) -> dict[tuple[str, str], ClaimRecord]:
    return {(r.model, record_key(r)): r for r in records if keep is None or r.model in keep}


def _short(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    text = str(v)
    return text if len(text) <= 40 else text[:37] + "..."
