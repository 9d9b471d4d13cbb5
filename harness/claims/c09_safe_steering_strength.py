"""C9 (paper 5.4): 0.005 is a safe starting strength."""

from __future__ import annotations

from dataclasses import dataclass

from harness import thresholds as th
from harness.claims.base import (
    Check,
    Claim,
    ControlReading,
    Evidence,
    Finding,
    PaperRef,
    Table,
    decide,
)
from harness.claims.markdown import fmt, fmt_ci, table
from harness.claims.record import ClaimRecord
from harness.claims.steering_rows import (
    p_text,
    rows_by_prompt,
    steering_applies,
)
from harness.claims.text_health import (
    degenerate_share,
    is_degenerate,
    median_ppl,
    ppl_ratio,
)
from harness.experiments.steering_grid import PROMPTINGS, SteeringRun
from harness.metrics.paired import (
    mcnemar_greater,
)
from harness.stimuli.loading import paper_values


@dataclass(frozen=True)
class SafeDetails:
    degenerate_unsteered: float
    degenerate_safe: float
    ppl_unsteered: float
    ppl_safe: float
    ratio_interval: list[float]
    newly_degenerate: int
    healed: int
    p_rise: float
    scorer: str


def safe_strength(run: SteeringRun) -> Check[SafeDetails]:
    """C9: PPL(0.005)/PPL(0) inside [1/f, f] (bootstrap interval over prompts) and no significant
    rise in degenerate texts over the unsteered texts of the same prompts (exact McNemar)."""
    base, safe = rows_by_prompt(run, "emotion", 0.0), rows_by_prompt(run, "emotion", th.SAFE_STRENGTH)
    ratio, ci = ppl_ratio(run, 0.0, th.SAFE_STRENGTH)
    keys = sorted(set(base) & set(safe))
    new, healed, p = mcnemar_greater([is_degenerate(safe[k]) for k in keys],
                                     [is_degenerate(base[k]) for k in keys])
    f = th.SAFE_PPL_FACTOR
    if p < th.CONTROL_ALPHA:
        passes: bool | None = False
    elif 1 / f <= ci[0] and ci[1] <= f:
        passes = True
    elif ci[1] < 1 / f or ci[0] > f:
        passes = False
    else:
        passes = None
    ctrl = ControlReading("unsteered (strength 0)", f"{new} prompts newly degenerate, {healed} healed ({p_text(p)})", None)
    reason = (f"PPL ratio {th.SAFE_STRENGTH}/0 = {fmt(ratio, 3)} [{fmt(ci[0], 2)}, {fmt(ci[1], 2)}] by {run.scorer} "
              f"(needs inside [{1 / f:.2f}, {f:.2f}]); degenerate {degenerate_share(list(safe.values())):.0%} vs "
              f"{degenerate_share(list(base.values())):.0%} unsteered: {new} newly degenerate, {healed} healed "
              f"(rise {p_text(p)}, must not be significant)")
    return Check(passes, ratio, reason, SafeDetails(
        degenerate_unsteered=degenerate_share(list(base.values())),
        degenerate_safe=degenerate_share(list(safe.values())), ppl_unsteered=median_ppl(list(base.values())),
        ppl_safe=median_ppl(list(safe.values())), ratio_interval=list(ci), newly_degenerate=new, healed=healed,
        p_rise=p, scorer=run.scorer), outcome=decide(passes, [ctrl]), interval=ci, controls=(ctrl,))


def _c9_check(ev: Evidence, prompting: str) -> list[Finding]:
    run = ev.steering(prompting)
    return [C9.finding(ev, safe_strength(run), ev.steering_context(run))]


def _c9_paper(model: str, family: str) -> PaperRef:
    return PaperRef(f"{paper_values()['safe_strength']} is safe",
                    "section 5.4: 0.005 is the universal safe starting strength (no ratio given)")


def safety_table(records: list[ClaimRecord], kinds: dict[str, str]) -> str:
    recs = C9.read(records)
    rows = [[r.model, r.method, d.scorer, fmt_ci(r.value, d.ratio_interval, 3),
             f"{fmt(d.degenerate_unsteered, 2)} -> {fmt(d.degenerate_safe, 2)} (+{d.newly_degenerate}/-{d.healed}, "
             f"{p_text(d.p_rise)})", r.verdict] for r, d in recs]
    return "\n".join([table(rows, ["model", "prompting", "PPL scorer", "PPL(0.005)/PPL(0) [95%]",
                                   "degenerate share 0 -> 0.005 (new/healed, McNemar)", "C9"]), "",
                      f"_Paper: 0.005 is the universal safe starting strength (5.4). Measured: the ratio's bootstrap "
                      f"interval over prompts must lie inside [{1 / th.SAFE_PPL_FACTOR:.2f}, {th.SAFE_PPL_FACTOR:.2f}] "
                      "and degenerate texts must not rise significantly over the unsteered texts of the same "
                      "prompts._"])


C9: Claim[SafeDetails] = Claim(
    id="C9", short="0.005 is safe", section="5.4", statement="0.005 is a safe starting strength",
    axis="prompting mode", axis_values=PROMPTINGS,
    metric="PPL(0.005) / PPL(0)", details=SafeDetails, check=_c9_check, applies=steering_applies,
    paper=_c9_paper, tables=(Table("Section 5.4: safe strength", safety_table),),
    test=("PPL(0.005)/PPL(0) with its bootstrap interval over prompts inside [1/f, f]"),
    control=("the unsteered texts of the same prompts: degenerate texts must not rise "
             "significantly (exact McNemar)"),
    thresholds=("SAFE_STRENGTH", "SAFE_PPL_FACTOR", "CONTROL_ALPHA"))


