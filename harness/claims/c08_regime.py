"""C8 (paper 5.3, Table 5): steering breaks down in a regime (surgical / repetitive /
explosive) told apart by the perplexity ratio, and the regime follows the architecture."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from harness import thresholds as th
from harness.claims.base import (
    Check,
    Claim,
    ControlReading,
    Evidence,
    Finding,
    PaperRef,
    Plot,
    Table,
    decide,
)
from harness.claims.figures import pyplot, save
from harness.claims.markdown import fmt, fmt_ci, steering_caption, table
from harness.claims.record import ClaimRecord
from harness.claims.ruling import Bound, all_of
from harness.claims.steering_rows import (
    fraction,
    shown,
    steering_applies,
)
from harness.claims.text_health import (
    degenerate_share,
    median_ppl,
    newly_degenerate,
    ppl_ratio,
    row_degeneration,
)
from harness.experiments.steering_grid import PROMPTINGS, SteeringRun
from harness.metrics.paired import (
    proportion_interval,
)
from harness.metrics.textstats import DEGENERATION_KINDS
from harness.stimuli.loading import paper_values

REGIMES = ("surgical", "repetitive", "explosive")


@dataclass(frozen=True)
class RegimeDetails:
    ppl_low: float
    ppl_high: float
    ppl_ratio: float
    ppl_ratio_interval: list[float]
    degenerate_unsteered: float
    degenerate_share: float  # at 0.05 (every text)
    newly_degenerate: float  # at 0.05, among prompts whose unsteered text is healthy
    newly_degenerate_interval: list[float]
    healthy_unsteered: int
    kinds_high: dict[str, int]  # degenerate texts at 0.05 by kind
    blank_texts: dict[str, int]  # texts without words, by strength
    regime: str
    regime_by_ppl_only: str
    random_regime: str
    ppl_ratio_blank_scored: float  # the same ratio with texts without words scored too
    collapse_point: float | None
    ppl_by_strength: dict[str, float]
    degenerate_by_strength: dict[str, float]
    newly_by_strength: dict[str, float]
    scorer: str
    random_regime_blank_scored: str | None = None  # the random direction's, blank texts scored too
    ppl_ratio_blank_scored_interval: list[float] | None = None  # its bootstrap interval over prompts


def classify_regime(ppl_ratio: float, newly_degenerate: float) -> str:
    """explosive (PPL ratio at or above the cut), else repetitive (most healthy prompts turned
    degenerate), else surgical."""
    if not math.isnan(ppl_ratio) and ppl_ratio >= th.EXPLOSIVE_PPL_RATIO:
        return "explosive"
    return "repetitive" if newly_degenerate >= th.DEGENERATE_SHARE else "surgical"


def regime_summary(run: SteeringRun) -> RegimeDetails:
    ratio, ratio_ci = ppl_ratio(run, th.REGIME_LOW, th.REGIME_HIGH)
    k, n = newly_degenerate(run, "emotion", th.REGIME_HIGH)
    newly = fraction(k, n)
    newly_ci = proportion_interval(k, n)
    ppl_lo = median_ppl(run.select("emotion", th.REGIME_LOW))
    newly_at = {a: fraction(*newly_degenerate(run, "emotion", a)) for a in th.STRENGTHS if a > 0}
    collapse = next((a for a, share in newly_at.items() if share >= th.DEGENERATE_SHARE
                     or median_ppl(run.select("emotion", a)) / ppl_lo >= th.EXPLOSIVE_PPL_RATIO), None)
    hi = run.select("emotion", th.REGIME_HIGH)
    kinds = {kind: sum(row_degeneration(r) == kind for r in hi) for kind in DEGENERATION_KINDS}
    blank_ratio, blank_ci = ppl_ratio(run, th.REGIME_LOW, th.REGIME_HIGH, score_blank=True)
    r_ratio, _ = ppl_ratio(run, th.REGIME_LOW, th.REGIME_HIGH, "random")
    r_ratio_blank, _ = ppl_ratio(run, th.REGIME_LOW, th.REGIME_HIGH, "random", score_blank=True)
    rk, rn = newly_degenerate(run, "random", th.REGIME_HIGH)
    return RegimeDetails(
        ppl_low=ppl_lo, ppl_high=median_ppl(hi), ppl_ratio=ratio, ppl_ratio_interval=list(ratio_ci),
        degenerate_unsteered=degenerate_share(run.select("emotion", 0.0)), degenerate_share=degenerate_share(hi),
        newly_degenerate=newly, newly_degenerate_interval=list(newly_ci), healthy_unsteered=n, kinds_high=kinds,
        blank_texts={str(a): sum(bool(r.stats.get("blank")) for r in run.select("emotion", a)) for a in th.STRENGTHS},
        regime=classify_regime(ratio, newly), regime_by_ppl_only=classify_regime(ratio, 0.0),
        ppl_ratio_blank_scored=blank_ratio, ppl_ratio_blank_scored_interval=list(blank_ci),
        random_regime=classify_regime(r_ratio, fraction(rk, rn)), collapse_point=collapse,
        random_regime_blank_scored=classify_regime(r_ratio_blank, fraction(rk, rn)),
        ppl_by_strength={str(a): median_ppl(run.select("emotion", a)) for a in th.STRENGTHS},
        degenerate_by_strength={str(a): degenerate_share(run.select("emotion", a)) for a in th.STRENGTHS},
        newly_by_strength={str(a): share for a, share in newly_at.items()},
        scorer=run.scorer)


def regime(run: SteeringRun, paper_label: str | None) -> Check[RegimeDetails]:
    """C8: the regime (PPL ratio + degeneration in excess of the unsteered texts) equals the
    paper's label for this family; inconclusive when the label changes within the intervals."""
    s = regime_summary(run)
    ys = [y for y in (*s.newly_degenerate_interval, s.newly_degenerate) if not math.isnan(y)]
    # Our reading (blank texts unscored): a nan ratio (every text at 0.05 blank) is not explosive,
    # so the degenerate share decides it. The paper's reading (blank texts scored) counts where it
    # has a ratio: a label that turns on how a blank text is read is not decided either way.
    ours = [x for x in (*s.ppl_ratio_interval, s.ppl_ratio) if not math.isnan(x)] or [math.nan]
    scored = [x for x in (s.ppl_ratio_blank_scored, *(s.ppl_ratio_blank_scored_interval or [])) if not math.isnan(x)]
    ends = {classify_regime(x, y) for x in (*ours, *scored) for y in ys}
    # The regime's "interval": every label the two statistics' intervals can reach, blank texts scored or not.
    bound = Bound("regime within the intervals of the PPL ratio and the newly degenerate share, blank texts "
                  "scored or not", s.regime,
                  tuple(sorted(ends or {s.regime})), {"in": [paper_label or "?"]})
    passes, ruled = all_of([bound]) if paper_label is not None else (None, None)
    # The unsteered text is inside the rule (newly degenerate); a random direction of the same
    # size that breaks the model into the same regime makes the label say nothing about
    # emotion steering: the regime is the architecture's response to any such perturbation.
    random_labels = {s.random_regime, s.random_regime_blank_scored or s.random_regime}
    random_said = s.random_regime if len(random_labels) == 1 else \
        f"{s.random_regime} ({s.random_regime_blank_scored} with blank texts scored)"
    controls = (ControlReading("unsteered (strength 0)", f"degenerate {fmt(s.degenerate_unsteered, 2)}", None),
                # Read both ways, as the steered texts are: in the paper's regime under either, it passes.
                ControlReading("random direction at 0.05", random_said,
                               None if paper_label is None else paper_label in random_labels))
    reason = (f"PPL {fmt(s.ppl_low, 3)} (0.005) -> {fmt(s.ppl_high, 3)} (0.05) by {s.scorer}, ratio "
              f"{fmt(s.ppl_ratio, 3)} [{fmt(s.ppl_ratio_interval[0], 2)}, {fmt(s.ppl_ratio_interval[1], 2)}]; "
              f"newly degenerate at 0.05: {fmt(s.newly_degenerate, 2)} [{fmt(s.newly_degenerate_interval[0], 2)}, "
              f"{fmt(s.newly_degenerate_interval[1], 2)}] of the {s.healthy_unsteered} prompts healthy unsteered "
              f"(unsteered degenerate {fmt(s.degenerate_unsteered, 2)}) -> {s.regime} (paper: {paper_label}"
              f"{'; the label changes within the intervals or with blank texts scored: ' + ', '.join(sorted(ends)) if len(ends) > 1 else ''}); "
              f"random direction: {random_said}; collapse point {s.collapse_point}; with the "
              f"{s.blank_texts.get(str(th.REGIME_HIGH), 0)} blank texts at 0.05 scored too, the ratio would be "
              f"{fmt(s.ppl_ratio_blank_scored, 3)}"
              + (f" [{fmt(s.ppl_ratio_blank_scored_interval[0], 2)}, {fmt(s.ppl_ratio_blank_scored_interval[1], 2)}]"
                 if s.ppl_ratio_blank_scored_interval else ""))
    verdict = "not applicable" if paper_label is None else decide(passes, controls)
    return Check(passes if paper_label is not None else None, s.regime, reason, s, outcome=verdict,
                 controls=shown(passes, controls), ruled_out=ruled)


def _c8_check(ev: Evidence, prompting: str) -> list[Finding]:
    run = ev.steering(prompting)
    label = C8.paper(ev.handle.key, ev.handle.family).value
    return [C8.finding(ev, regime(run, label), ev.steering_context(run))]


def _c8_paper(model: str, family: str, axis_value: str = "") -> PaperRef:
    """The paper's regime for a model: its Table 5 row, else its architecture's label."""
    pv = paper_values()
    if model in pv["table5_regimes"]:
        return PaperRef(pv["table5_regimes"][model]["regime"], f"Table 5, {model}")
    label = pv["regime_by_family"].get(family)
    return PaperRef(label, f"section 5.3 (regime follows architecture): {family} models in Table 5" if label
                    else f"Table 5 has no {family} model")


def table5_regimes(records: list[ClaimRecord], kinds: dict[str, str]) -> str:
    t5 = paper_values()["table5_regimes"]
    recs = C8.read(records)
    rows = [[m, "paper", "—", v["ppl_low"], v["ppl_high"], v["ratio"], "—", "—", "—", v["regime"], "—"]
            for m, v in t5.items()]
    rows += [[r.model, r.method, d.scorer, fmt(d.ppl_low, 3), fmt(d.ppl_high, 3),
              fmt_ci(d.ppl_ratio, d.ppl_ratio_interval, 3), fmt(d.degenerate_unsteered, 2),
              fmt_ci(d.newly_degenerate, d.newly_degenerate_interval, 2),
              ", ".join(f"{k} {v}" for k, v in d.kinds_high.items() if v) or "—",
              f"{r.value} (paper: {r.paper_value}; {r.verdict})", fmt(d.collapse_point)] for r, d in recs]
    return "\n".join([table(rows, ["model", "source / prompting", "PPL scorer", "PPL(0.005)", "PPL(0.05)",
                                   "ratio [95%]", "degenerate unsteered", "newly degenerate at 0.05 [95%]",
                                   "kinds at 0.05", "regime", "collapse point"]), "",
                      steering_caption([r for r, _ in recs], "median perplexity over scenario prompts, scored by the "
                                       "external model named (texts without words are not scored); newly degenerate "
                                       "= share of the prompts whose unsteered text is healthy that turn degenerate; "
                                       "collapse point = lowest strength where that share reaches "
                                       f"{th.DEGENERATE_SHARE:.0%} or the PPL ratio is explosive; regime rule and "
                                       "cuts in harness/thresholds.py")])


def regimes(records: list[ClaimRecord], out: Path) -> str | None:
    """PPL ratio vs the share of prompts turned degenerate at 0.05 (of those healthy unsteered),
    with the regime regions and Table 5."""
    plt = pyplot()
    recs = C8.read(records)
    if not recs:
        return None
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    scored = [d.ppl_ratio_blank_scored for _, d in recs if isinstance(d.ppl_ratio_blank_scored, float)
              and math.isfinite(d.ppl_ratio_blank_scored)]
    x_max = max([1000.0, *(2 * v for v in scored)])
    ax.axvspan(th.EXPLOSIVE_PPL_RATIO, x_max, color="tab:red", alpha=0.08, lw=0)
    ax.fill_between([0.05, th.EXPLOSIVE_PPL_RATIO], th.DEGENERATE_SHARE, 1.05, color="tab:purple", alpha=0.08, lw=0)
    ax.text(th.EXPLOSIVE_PPL_RATIO * 1.1, 0.02, "explosive", fontsize=8, color="tab:red")
    ax.text(0.06, 0.95, "repetitive", fontsize=8, color="tab:purple")
    ax.text(0.06, 0.02, "surgical", fontsize=8, color="tab:green")
    for r, d in recs:
        ratio, deg = d.ppl_ratio, d.newly_degenerate
        if ratio is None or deg is None or (isinstance(ratio, float) and math.isnan(ratio)):
            continue
        dot = ax.scatter([ratio], [deg], marker="o", s=45, alpha=0.8, zorder=3, label=f"{r.model} ({r.method})")
        alt = d.ppl_ratio_blank_scored
        if d.blank_texts.get(str(th.REGIME_HIGH)) and isinstance(alt, float) and math.isfinite(alt) and alt != ratio:
            # The same texts with the blank ones scored too (the paper's procedure): hollow, joined.
            color = dot.get_facecolor()[0]
            ax.plot([ratio, alt], [deg, deg], ":", color=color, lw=1, zorder=2)
            ax.scatter([alt], [deg], marker="o", s=45, facecolors="none", edgecolors=[color], zorder=3)
    for model, row in paper_values()["table5_regimes"].items():
        y = 1.0 if row["regime"] == "repetitive" else 0.0  # the paper reports no degeneration share
        ax.scatter([row["ratio"]], [y], marker="x", color="black", zorder=3)
        ax.annotate(model, (row["ratio"], y), fontsize=6, color="dimgrey", rotation=30, xytext=(2, 2),
                    textcoords="offset points")
    ax.legend(fontsize=7, loc="center right", title="measured", title_fontsize=7)
    ax.set_xscale("log")
    ax.set(xlim=(0.05, x_max), ylim=(-0.05, 1.1), xlabel="PPL(0.05) / PPL(0.005)",
           ylabel="newly degenerate at 0.05 (of prompts healthy unsteered)",
           title="Steering regimes: measured (o; hollow: blank texts scored too) and paper Table 5 (x, by its label)")
    ax.title.set_fontsize(9)
    return save(fig, out, "regimes.png")


C8: Claim[RegimeDetails] = Claim(
    id="C8", short="regime follows architecture", section="5.3, Table 5", statement="steering breaks down in a regime (surgical / repetitive / explosive) "
    "told apart by the perplexity ratio, and the regime follows the architecture",
    axis="prompting mode", axis_values=PROMPTINGS,
    metric="regime", details=RegimeDetails, check=_c8_check, applies=steering_applies,
    paper=_c8_paper, tables=(Table("Table 5: perplexity and regimes", table5_regimes),),
    plots=(Plot("regimes", "regimes", regimes),),
    test=("the regime from the external scorer's PPL(high)/PPL(low) (explosive from the cut) and "
          "degeneration in excess of the unsteered texts (repetitive when at least half the "
          "prompts healthy unsteered turn degenerate) equals the paper's label for the "
          "architecture; inconclusive when the label changes within the intervals"),
    control=("the unsteered text of the same prompt (inside the rule) and a random direction at "
             "the high strength (the same regime: uninformative)"),
    thresholds=("EXPLOSIVE_PPL_RATIO", "DEGENERATE_SHARE", "REGIME_LOW", "REGIME_HIGH", "LOOP_SHARE_MAX", "DISTINCT2_MIN", "INCOHERENT_PPL", "PPL_SCORERS"))


