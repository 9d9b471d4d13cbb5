"""C9 (paper 5.4): 0.005 is a safe starting strength."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

import numpy as np

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
from harness.claims.ruling import all_of, below
from harness.claims.steering_rows import (
    rows_by_prompt,
    steering_applies,
)
from harness.claims.text_health import (
    degenerate_share,
    healthy_keys,
    is_degenerate,
    median_ppl,
    ppl_ratio,
    scored_ppl,
)
from harness.experiments.steering_grid import PROMPTINGS, SteeringRun
from harness.metrics.paired import (
    bootstrap_interval,
    proportion_interval,
)
from harness.stimuli.loading import paper_values


@dataclass(frozen=True)
class SafeDetails:
    n_readable: int  # prompts whose unsteered text is healthy: the ones C9 reads
    broken: int  # of them, those whose text at the safe strength is degenerate
    broken_interval: list[float]
    ppl_safe: float  # median perplexity of their texts at the safe strength (texts with words)
    ppl_safe_interval: list[float]
    ppl_unsteered: float
    ratio: float  # median PPL(safe) / median PPL(0) over every prompt (the old reading, beside)
    ratio_interval: list[float]
    degenerate_unsteered: float
    degenerate_safe: float
    healed: int  # prompts degenerate unsteered and healthy at the safe strength (not netted)
    scorer: str


def safe_strength(run: SteeringRun) -> Check[SafeDetails]:
    """C9 as a safety statement over the prompts whose unsteered text is healthy: the share of
    them broken (degenerate) at 0.005 lies below SAFE_MAX_BROKEN and their median perplexity
    below SAFE_PPL_CAP, each by its interval (either interval wholly above its cut rules C9
    out). Prompts already degenerate unsteered say nothing about safety; those that heal are
    counted apart, never netted against the ones that break."""
    base, safe = rows_by_prompt(run, "emotion", 0.0), rows_by_prompt(run, "emotion", th.SAFE_STRENGTH)
    keys = [k for k in healthy_keys(run) if k in safe]
    broken = sum(is_degenerate(safe[k]) for k in keys)
    n = len(keys)
    broken_ci = proportion_interval(broken, n)
    ppls = [scored_ppl(safe[k]) for k in keys if not math.isnan(scored_ppl(safe[k]))]
    ppl = statistics.median(ppls) if ppls else math.nan
    ppl_ci = bootstrap_interval(ppls, np.median)
    healed = sum(1 for k, r in base.items() if is_degenerate(r) and k in safe and not is_degenerate(safe[k]))
    ratio, ratio_ci = ppl_ratio(run, 0.0, th.SAFE_STRENGTH)
    bounds = [below(f"share of prompts healthy unsteered broken at {th.SAFE_STRENGTH}", broken / n if n else math.nan,
                    broken_ci, th.SAFE_MAX_BROKEN, how="interval (SAFE_MAX_BROKEN)"),
              below(f"median perplexity at {th.SAFE_STRENGTH}", ppl, ppl_ci, th.SAFE_PPL_CAP,
                    how="interval (SAFE_PPL_CAP, Table 5's largest PPL at 0.005)")]
    passes, ruled = all_of(bounds) if n and ppls else (None, None)
    ctrl = ControlReading("unsteered (strength 0)", f"{n} of {len(base)} prompts healthy unsteered; {healed} "
                          "degenerate unsteered heal (not netted)", None)
    # Sensitivity: the same share test at the strength where the paper's models break. If it
    # passes there too, steering changed nothing the test can see, and a pass at 0.005 says
    # nothing about safety.
    high = rows_by_prompt(run, "emotion", th.REGIME_HIGH)
    high_keys = [k for k in keys if k in high]
    high_broken = sum(is_degenerate(high[k]) for k in high_keys)
    high_ci = proportion_interval(high_broken, len(high_keys))
    high_passes = all_of([below(f"share broken at {th.REGIME_HIGH}", high_broken / len(high_keys), high_ci,
                                th.SAFE_MAX_BROKEN)])[0] if high_keys else None
    sens = ControlReading(f"same test at {th.REGIME_HIGH}", f"{high_broken}/{len(high_keys)} broken "
                          f"[{fmt(high_ci[0], 2)}, {fmt(high_ci[1], 2)}]", high_passes,
                          undecided=bool(high_keys) and high_passes is None)
    reason = (f"of the {n} prompts whose unsteered text is healthy, {broken} break at {th.SAFE_STRENGTH} "
              f"({fmt(broken_ci[0], 2)}-{fmt(broken_ci[1], 2)}; needs below {th.SAFE_MAX_BROKEN}); their median "
              f"perplexity there {fmt(ppl, 3)} [{fmt(ppl_ci[0], 3)}, {fmt(ppl_ci[1], 3)}] by {run.scorer} (needs below "
              f"{th.SAFE_PPL_CAP}); beside: PPL ratio {th.SAFE_STRENGTH}/0 over every prompt {fmt(ratio, 3)} "
              f"[{fmt(ratio_ci[0], 2)}, {fmt(ratio_ci[1], 2)}], {healed} prompts degenerate unsteered heal")
    return Check(passes, broken / n if n else math.nan, reason, SafeDetails(
        n_readable=n, broken=broken, broken_interval=list(broken_ci), ppl_safe=ppl, ppl_safe_interval=list(ppl_ci),
        ppl_unsteered=median_ppl([base[k] for k in keys]), ratio=ratio, ratio_interval=list(ratio_ci),
        degenerate_unsteered=degenerate_share(list(base.values())),
        degenerate_safe=degenerate_share(list(safe.values())), healed=healed, scorer=run.scorer),
        outcome=decide(passes, [ctrl, sens]), interval=broken_ci if n else None, controls=(ctrl, sens),
        ruled_out=ruled)


def _c9_check(ev: Evidence, prompting: str) -> list[Finding]:
    run = ev.steering(prompting)
    return [C9.finding(ev, safe_strength(run), ev.steering_context(run))]


def _c9_paper(model: str, family: str, axis_value: str = "") -> PaperRef:
    return PaperRef(f"{paper_values()['safe_strength']} is safe",
                    "section 5.4: 0.005 is the universal safe starting strength (no ratio given)")


def safety_table(records: list[ClaimRecord], kinds: dict[str, str]) -> str:
    recs = C9.read(records)
    rows = [[r.model, r.method, d.scorer, f"{d.broken}/{d.n_readable} {fmt_ci(r.value, d.broken_interval, 2)}",
             fmt_ci(d.ppl_safe, d.ppl_safe_interval, 3), fmt(d.ppl_unsteered, 3), fmt_ci(d.ratio, d.ratio_interval, 3),
             str(d.healed), r.verdict] for r, d in recs]
    return "\n".join([table(rows, ["model", "prompting", "PPL scorer", "broken at 0.005, of prompts healthy unsteered "
                                   "[95%]", "their median PPL at 0.005 [95%]", "their median PPL unsteered",
                                   "PPL(0.005)/PPL(0), every prompt [95%]", "degenerate unsteered that heal", "C9"]),
                      "", f"_Paper: 0.005 is the universal safe starting strength (5.4). Measured over the prompts "
                      f"whose unsteered text is healthy: the share that turn degenerate at 0.005 must lie below "
                      f"{th.SAFE_MAX_BROKEN} and their median perplexity below {th.SAFE_PPL_CAP} (Table 5's largest "
                      "at 0.005), each by its interval (Clopper-Pearson; bootstrap over prompts); either interval wholly "
                      "above its cut rules C9 out. Texts that heal are shown, never netted against those that break; the "
                      "perplexity ratio is shown beside._"])


C9: Claim[SafeDetails] = Claim(
    id="C9", short="0.005 is safe", section="5.4", statement="0.005 is a safe starting strength",
    axis="prompting mode", axis_values=PROMPTINGS,
    metric="share of healthy prompts broken at 0.005", details=SafeDetails, check=_c9_check,
    applies=steering_applies, paper=_c9_paper, tables=(Table("Section 5.4: safe strength", safety_table),),
    test=("over the prompts whose unsteered text is healthy: the share that turn degenerate at 0.005 "
          "(Clopper-Pearson interval) below the broken-share cut, and their median perplexity there "
          "(bootstrap interval) below Table 5's largest perplexity at 0.005"),
    control=("the unsteered texts of the same prompts (only prompts healthy unsteered are read; "
             "texts that heal are shown, never netted)"),
    thresholds=("SAFE_STRENGTH", "SAFE_MAX_BROKEN", "SAFE_PPL_CAP"),
    count=lambda d: f"{d.broken}/{d.n_readable}")
