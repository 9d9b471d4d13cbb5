"""C7 (paper 5.2 Figure 3, 5.4): dose-response is monotone with a flip point."""

from __future__ import annotations

import math
import statistics
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from scipy import stats as sps

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
    parse_details,
)
from harness.claims.figures import per_record, pyplot
from harness.claims.flips import flip_keys, flip_outcomes, unrecognised_targets
from harness.claims.markdown import fmt, fmt_ci, steering_caption, table
from harness.claims.readable_strength import LABEL as READABLE_LABEL
from harness.claims.readable_strength import has_readable_grid, readable_strength, readable_tag
from harness.claims.record import ClaimRecord
from harness.claims.ruling import above, all_of
from harness.claims.steering_rows import (
    Key,
    finite_count,
    key_of,
    mean_finite,
    p_text,
    rows_by_prompt,
    share_of,
    shown,
    signed,
    signed_target,
    steering_applies,
    vector_context,
    zero_if_missing,
)
from harness.claims.text_health import (
    healthy_keys,
    is_degenerate,
)
from harness.experiments.steering_grid import PROMPTINGS, Direction, SteeringRun
from harness.metrics.paired import (
    bootstrap_interval,
    finite_pairs,
    paired_greater,
)
from harness.metrics.recognition import Recognition
from harness.stimuli.loading import paper_values


@dataclass(frozen=True)
class DoseDetails:
    classifier: str
    n_prompts: int
    rho_interval: list[float]
    random_rho: float
    emotion_rho_same_strengths: float
    p_beats_random: float
    rho_healthy: float  # the decisive mean: degenerate texts left out (prompts with fewer than 3 left drop out)
    degenerate_texts: int  # degenerate steered texts in the sweep
    pooled_rho: float  # Spearman over every (strength, paired delta) point (not independent; shown only)
    flip_points: dict[str, float | None]
    random_flip_points: dict[str, float | None]
    excluded: dict[str, str]
    target_curve: dict[str, float]
    readout_curve: dict[str, float]
    strengths: list[float]
    sweep: list[float]
    per_scenario: dict[str, dict[str, Any]]
    rho_all_texts: float = math.nan  # the same mean reading collapsed texts as texts (recorded beside)
    n_readable: int = 0  # countable prompts: healthy unsteered text with words, recognised target
    direction: str = "emotion"  # the vectors whose dose-response is read
    judged: list[float] | None = None  # the strengths of the per-prompt Spearman (None: the paper's sweep)
    control_strengths: list[float] | None = None  # where the random direction is compared (None: RANDOM_STRENGTHS)
    # Prompts keeping three healthy texts under both the vector and the random direction there: the
    # paired test's sample, over which random_rho and emotion_rho_same_strengths are means.
    n_pairs: int | None = None


def _rho(xs: Sequence[float], ys: Sequence[float]) -> float:
    pts = [(x, y) for x, y in zip(xs, ys, strict=True) if not math.isnan(y)]
    if len(pts) < 3:
        return math.nan  # too few readable texts: this prompt says nothing
    if len({y for _, y in pts}) < 2:
        return 0.0  # a flat response: no dose-response
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(sps.spearmanr([x for x, _ in pts], [y for _, y in pts]).statistic)


def _prompt_rhos(run: SteeringRun, keys: Sequence[Key], direction: Direction, strengths: Sequence[float],
                 classifier: str | None, healthy_only: bool = False) -> list[float]:
    by = {a: rows_by_prompt(run, direction, a) for a in strengths}

    def delta(k: Key, a: float) -> float:
        r = by[a].get(k)
        if r is None or (healthy_only and is_degenerate(r)):
            return math.nan
        return signed_target(run, r, classifier)

    return [_rho(list(strengths), [delta(k, a) for a in strengths]) for k in keys]


def flip_points(run: SteeringRun, direction: Direction = "emotion", strengths: Sequence[float] | None = None,
                classifier: str | None = None, excluded: dict[str, str] | None = None) -> dict[str, float | None]:
    """Per scenario: the lowest strength at which most of its prompts with a healthy steered text
    flip and still do at the next strength (None if none does)."""
    strengths = [a for a in (strengths or th.STRENGTHS) if a > 0]
    keys = flip_keys(run, excluded or {}, classifier)
    out: dict[str, float | None] = {}
    for s in run.scenarios:
        if s.id in (excluded or {}):
            continue
        sk = [k for k in keys if k[0] == s.id]
        shares = [share_of([f for f in flip_outcomes(run, direction, a, sk, classifier).values() if f is not None])
                  for a in strengths]
        most = [bool(sk) and not math.isnan(s_) and s_ > th.MOST for s_ in shares]
        out[s.id] = next((a for a, now, nxt in zip(strengths, most, most[1:], strict=False) if now and nxt), None)
    return out


def dose_response(run: SteeringRun, recog: dict[str, Recognition] | None = None,
                  classifier: str | None = None, direction: Direction = "emotion",
                  sweep: Sequence[float] | None = None, common: Sequence[float] | None = None) -> Check[DoseDetails]:
    """C7 over the countable prompts (healthy unsteered text with words, recognised target): per
    prompt, Spearman(strength, signed paired target delta) over ``sweep`` (the paper's) on its healthy
    steered texts (collapsed ones are left out; fewer than three left: the prompt drops out); the
    mean over prompts needs a bootstrap interval above 0 (wholly at or below 0 rules C7 out), and
    must beat the random direction's (``common`` strengths, RANDOM_STRENGTHS by default: the
    steering vector's rho there, paired permutation test)."""
    name = classifier or (run.classifiers[0] if run.classifiers else run.classifier.split()[0])
    excluded = unrecognised_targets(recog, run)
    keys = flip_keys(run, excluded, classifier)
    judged, sweep = sweep is not None, list(sweep if sweep is not None else th.PAPER_SWEEP)
    all_texts = [v for v in _prompt_rhos(run, keys, direction, sweep, classifier) if not math.isnan(v)]
    rhos = [v for v in _prompt_rhos(run, keys, direction, sweep, classifier, healthy_only=True)
            if not math.isnan(v)]
    own_common, common = common is not None, list(common if common is not None else th.RANDOM_STRENGTHS)
    e_same = _prompt_rhos(run, keys, direction, common, classifier, healthy_only=True)
    r_same = _prompt_rhos(run, keys, "random", common, classifier, healthy_only=True)
    n_pairs = finite_pairs(e_same, r_same)
    # The means the paired test compares: over the prompts that keep three healthy texts under both.
    both = [i for i, (e, r) in enumerate(zip(e_same, r_same, strict=True)) if not (math.isnan(e) or math.isnan(r))]
    paired_e, paired_r = [e_same[i] for i in both], [r_same[i] for i in both]
    p_rand = paired_greater(e_same, r_same) if n_pairs >= th.MIN_PAIRS else math.nan
    xs, ys = [], []
    for a in sweep:
        for k, r in rows_by_prompt(run, direction, a).items():
            if k in set(keys) and not math.isnan(signed_target(run, r, classifier)):
                xs.append(a)
                ys.append(signed_target(run, r, classifier))
    pooled = _rho(xs, ys) if xs else math.nan
    kept = set(keys)
    n_deg = sum(is_degenerate(r) for a in sweep for r in run.select(direction, a) if key_of(r) in kept)
    grid = run.strengths("emotion")
    curve = {str(a): statistics.fmean(zero_if_missing(r.sign * r.target) for r in run.select("emotion", a)) for a in grid}
    readout_curve = {str(a): statistics.fmean(zero_if_missing(r.sign * r.readout) for r in run.select("emotion", a))
                     for a in grid}
    base_ok = set(healthy_keys(run))  # prompts whose unsteered text is healthy: the ones the tests read

    def read(rows: list[Any]) -> list[Any]:
        return [r for r in rows if key_of(r) in base_ok and not is_degenerate(r)]

    def curves(sid: str) -> dict[str, Any]:
        at = [run.select("emotion", a, sid) for a in grid]  # one scan per strength, read several ways
        ok = [read(rows) for rows in at]
        n_base = sum(key_of(r) in base_ok for r in at[0]) if at else 0
        return {
            # What the plot draws, over the prompts whose unsteered text is healthy, as the tests
            # read them: the healthy steered texts' means with their count, the readout as the
            # signed paired delta (an offset-free reading), and the share that collapsed.
            "n_base": n_base,
            "n_read": [len(rows) for rows in ok],
            "newly_collapsed": [sum(key_of(r) in base_ok and is_degenerate(r) for r in rows) / n_base if n_base
                                else math.nan for rows in at],
            "target_read": [mean_finite([r.target for r in rows]) for rows in ok],
            "readout_delta_read": [mean_finite([signed(run, r, "readout") for r in rows]) for rows in ok],
            "random_target_read": {str(a): mean_finite([r.target for r in read(run.select("random", a, sid))])
                                   for a in run.strengths("random")}}

    per_scenario = {s.id: curves(s.id) for s in run.scenarios}
    points = flip_points(run, direction, sweep if judged else None, classifier, excluded)
    rnd_points = flip_points(run, "random", common, classifier, excluded)
    mean = statistics.fmean(rhos) if rhos else math.nan
    ci = bootstrap_interval(rhos)
    details = DoseDetails(
        classifier=name, n_prompts=len(rhos), rho_interval=list(ci), random_rho=mean_finite(paired_r),
        emotion_rho_same_strengths=mean_finite(paired_e), n_pairs=n_pairs,
        p_beats_random=p_rand, rho_healthy=statistics.fmean(rhos) if rhos else math.nan,
        degenerate_texts=n_deg, pooled_rho=pooled, flip_points=points, random_flip_points=rnd_points,
        excluded=excluded, target_curve=curve, readout_curve=readout_curve, strengths=[0.0, *sweep],
        sweep=grid, per_scenario=per_scenario,
        rho_all_texts=statistics.fmean(all_texts) if all_texts else math.nan, n_readable=len(keys),
        direction=direction, judged=sweep if judged else None, control_strengths=common if own_common else None)
    if not rhos:
        why = ("; ".join(f"{s}: {w}" for s, w in excluded.items()) or "no prompt has a healthy unsteered text with "
               "words") if not keys else f"none of the {len(keys)} countable prompts keeps three healthy steered texts"
        # Countable prompts without three healthy texts: undecided; none countable: not applicable.
        return Check(None, None, f"{name}: no countable prompt ({why})", details,
                     outcome="inconclusive" if keys else None)
    passes, ruled = all_of([above("mean per-prompt Spearman", mean, ci, 0.0)])
    measured = not math.isnan(p_rand)
    if not n_pairs:
        said = (f"no prompt keeps three healthy texts under both at {common} (random direction over "
                f"{finite_count(r_same)}, {direction} over {finite_count(e_same)}): not compared")
    else:
        said = (f"on the {n_pairs} prompts that keep three healthy texts under both at {common}: mean rho "
                f"{fmt(details.random_rho, 2)} vs {direction} {fmt(details.emotion_rho_same_strengths, 2)}; "
                + ((f"beaten ({p_text(p_rand)})" if p_rand < th.CONTROL_ALPHA else f"not beaten ({p_text(p_rand)})")
                   if measured else f"not compared (needs {th.MIN_PAIRS})"))
    ctrl = ControlReading("random direction", said, p_rand >= th.CONTROL_ALPHA if measured else None)
    if passes and not measured:
        ctrl = ControlReading(ctrl.name, ctrl.value, None, undecided=True)  # a pass it could not check: open
    n_pts = sum(v is not None for v in points.values())
    reason = (f"{direction} vectors over {sweep}: mean per-prompt Spearman(strength, paired {name} target delta) "
              "over healthy steered texts = "
              f"{mean:.3f} over {len(rhos)} of the {len(keys)} countable prompts (95% interval {fmt(ci[0], 2)}-"
              f"{fmt(ci[1], 2)}, needs > 0); random direction: {ctrl.value}; reading collapsed texts as texts "
              f"{fmt(details.rho_all_texts, 2)} over {len(all_texts)} prompts ({n_deg} of {len(keys) * len(sweep)} "
              f"texts degenerate); persistent flip point "
              f"in {n_pts}/{len(points)} scenarios (random direction: "
              f"{sum(v is not None for v in rnd_points.values())}/{len(rnd_points)})"
              + (f"; left out: {', '.join(excluded)}" if excluded else ""))
    return Check(passes, mean, reason, details, outcome=decide(passes, [ctrl]), interval=ci,
                 controls=shown(passes, [ctrl]), ruled_out=ruled)


def _c7_check(ev: Evidence, prompting: str) -> list[Finding]:
    run = ev.steering(prompting)
    ctx = ev.steering_context(run)
    recog = ev.recognition()
    names = run.classifiers or (run.classifier.split()[0],)
    out = [C7.finding(ev, dose_response(run, recog.get(names[0]), names[0]), ctx)]
    for name in names[1:]:
        out.append(C7.finding(ev, dose_response(run, recog.get(name), name), ctx, metric=f"{C7.metric} ({name})"))
    if has_readable_grid(run):
        arms: list[tuple[Direction, str]] = [("emotion", C7.metric)]
        if "platform" in run.vectors:
            arms.append(("platform", PLATFORM_METRIC_C7))
            # The platform's vectors ran at the readable grid's control strengths: over those in the paper's sweep.
            own = [a for a in run.strengths("platform") if a in th.PAPER_SWEEP]
            out.append(C7.finding(ev, dose_response(run, recog.get(names[0]), names[0], "platform", own, own),
                                  vector_context(ctx, run, "platform"), metric=PLATFORM_METRIC_C7))
        for direction, metric in arms:
            check, extra = readable_dose(run, recog.get(names[0]), names[0], direction)
            out.append(C7.finding(ev, check, {**vector_context(ctx, run, direction), **extra},
                                  metric=f"{metric} {READABLE_LABEL}"))
    return out


PLATFORM_METRIC_C7 = "mean per-prompt Spearman(strength, paired target delta) (platform vectors)"


def readable_dose(run: SteeringRun, recog: dict[str, Recognition] | None, classifier: str,
                  direction: Direction) -> tuple[Check[DoseDetails], dict[str, Any]]:
    """C7 inside the readable range: the per-prompt Spearman over the direction's strengths up to the
    top of the range, against the random direction at the strengths in it where both ran; fewer
    than READABLE_MIN_STRENGTHS strengths in the range: inconclusive (read over the smallest ones
    for the record)."""
    r = readable_strength(run, direction, ("random",))
    ctx = {"readable_range_top": r.top, "readable_shares": {f"{a:g}": v for a, v in sorted(r.shares.items())}}
    n = th.READABLE_MIN_STRENGTHS
    own = [a for a in run.strengths(direction) if a > 0]
    random = set(run.strengths("random"))
    inside = [a for a in own if r.top is not None and a <= r.top + 1e-12]
    both = [a for a in inside if a in random]
    short = len(inside) < n or len(both) < n
    if short:  # the smallest strengths instead, for the record
        inside = inside if len(inside) >= n else own[:n]
        both = both if len(both) >= n else [a for a in own if a in random][:n]
    c = dose_response(run, recog, classifier, direction, inside, both)
    if short:
        return replace(c, outcome="inconclusive", ruled_out=None,
                       reason=f"{r.of(direction) if r.top is None else f'{direction} vectors readable up to {r.top:g}'}: fewer than "
                              f"{th.READABLE_MIN_STRENGTHS} strengths in it with the random direction beside; read "
                              f"over {inside} for the record: {c.reason}"), ctx
    return replace(c, reason=f"{direction} vectors readable up to {r.top:g}: {c.reason}"), ctx


def _c7_paper(model: str, family: str, axis_value: str = "") -> PaperRef:
    d = paper_values()["dose_response_gpt2"]
    lo, hi = d["flip_between"]
    return PaperRef(f"flip {lo}-{hi}", f"section 5.2, GPT-2: anger {d['anger']['before']} -> {d['anger']['after']}, "
                                       f"joy {d['joy']['before']} -> {d['joy']['after']}")


def dose_table(records: list[ClaimRecord], kinds: dict[str, str]) -> str:
    d0 = paper_values()["dose_response_gpt2"]
    rows = [["gpt2 (paper)", "—", "—", "—", "—", "—", "—", f"anger {d0['anger']['before']} -> {d0['anger']['after']}, joy "
             f"{d0['joy']['before']} -> {d0['joy']['after']} between {d0['flip_between'][0]} and "
             f"{d0['flip_between'][1]}", "—", "—"]]
    recs = sorted((r for r in records if r.claim == "C7"), key=lambda r: (r.model, str(r.method), r.metric))
    for r in recs:
        d = parse_details(DoseDetails, r.details)
        if d is None:
            continue
        over = (f"{d.direction} over {d.judged}" if d.judged else f"{d.direction} over the paper's sweep") \
            + readable_tag(r.metric, r.details)
        rows.append([r.model, r.method, d.classifier, over, fmt_ci(r.value, d.rho_interval, 2),
                     (f"{fmt(d.random_rho, 2)} vs {fmt(d.emotion_rho_same_strengths, 2)} over {d.n_pairs} "
                      f"({p_text(d.p_beats_random)})" if d.n_pairs is not None
                      else f"{fmt(d.random_rho, 2)} ({p_text(d.p_beats_random)})"), fmt(d.rho_all_texts, 2),
                     ", ".join(f"{k}: {fmt(v)}" for k, v in d.flip_points.items()) or "—",
                     ", ".join(f"{k}: {fmt(v)}" for k, v in d.random_flip_points.items()) or "—", r.verdict])
    return "\n".join([table(rows, ["model", "prompting", "classifier", "vectors over strengths",
                                   "mean per-prompt rho [95%]",
                                   "random direction rho", "rho reading collapsed texts as texts", "flip points",
                                   "random direction flip points", "verdict"]), "",
                      steering_caption(recs, "countable prompts: healthy unsteered text with words, recognised "
                                       "target; per prompt: Spearman over the strengths named in the row (the paper's sweep "
                                       f"{list(th.PAPER_SWEEP)} unless named) of the paired "
                                       "delta (steered - unsteered of the same prompt, signed), on its healthy steered "
                                       "texts (three or more); interval: bootstrap "
                                       "over prompts; the random direction is compared at the strengths its reason "
                                       f"names ({list(th.RANDOM_STRENGTHS)} on the paper's sweep; inside a readable "
                                       "range, the strengths there where both ran), over the prompts that keep three "
                                       "healthy texts under both: its mean rho vs the steering vector's there, over "
                                       "that many prompts, paired permutation test); flip point = lowest strength at which most of a scenario's "
                                       "prompts flip and still do at the next")])


def dose_response_plots(records: list[ClaimRecord], out: Path) -> dict[str, str]:
    """Per scenario: the healthy texts' target score and signed readout vs strength (log axis, the
    unsteered text at its own tick), the random direction beside, collapse, flip point and the
    readable range marked."""
    tops = {(r.model, r.method): r.details.get("readable_range_top") for r in records
            if r.claim == C7.id and r.metric == f"{C7.metric} {READABLE_LABEL}"}

    def draw(r: ClaimRecord, d: DoseDetails):
        from matplotlib.ticker import NullFormatter

        per, sweep = d.per_scenario, d.sweep
        positive = [a for a in sweep if a > 0]
        zero_at = min(positive) / 2  # strength 0 on a log axis: its own tick, left of the smallest strength

        def x(values: Sequence[float]) -> list[float]:
            return [a if a > 0 else zero_at for a in values]

        def dots(ax: Any, ys: Sequence[float], few: Sequence[bool], marker: str, color: str, label: str) -> None:
            """Solid where the mean rests on three texts or more, hollow on one or two."""
            for hollow, suffix in ((False, ""), (True, ", 1-2 texts")):
                pts = [(a, v) for a, v, f in zip(x(sweep), ys, few, strict=True) if f == hollow]
                ax.plot([a for a, _ in pts], [v for _, v in pts], marker, color=color, ms=5 if marker == "o" else 3.5,
                        mfc="white" if hollow else color, ls="none", label=label + suffix)

        fig, axes = pyplot().subplots(1, len(per), figsize=(3.0 * len(per), 4.0), sharey=True, squeeze=False)
        axes = list(axes[0])
        top = tops.get((r.model, r.method))
        twins = []
        for ax, (sid, curves) in zip(axes, per.items(), strict=True):
            tw = ax.twinx()
            twins.append(tw)
            if "n_read" in curves:
                few = [0 < n < 3 for n in curves["n_read"]]
                ax.plot(x(sweep), curves["target_read"], "-", color="tab:blue", lw=1)
                dots(ax, curves["target_read"], few, "o", "tab:blue", "target score")
                rnd = curves.get("random_target_read", {})
                ax.plot(x([float(a) for a in rnd]), list(rnd.values()), "x", color="grey", label="random direction")
                tw.plot(x(sweep), curves["readout_delta_read"], "--", color="tab:orange", lw=1)
                dots(tw, curves["readout_delta_read"], few, "s", "tab:orange", "readout delta (right axis)")
                collapsed = curves["newly_collapsed"]
            else:  # older records: every text's means, the readout unsigned
                ax.plot(x(sweep), curves.get("target_healthy", curves["target"]), "o-", color="tab:blue",
                        label="target score")
                rnd = curves.get("random_target", {})
                ax.plot(x([float(a) for a in rnd]), list(rnd.values()), "x", color="grey", label="random direction")
                tw.plot(x(sweep), curves["readout"], "s--", color="tab:orange", ms=3,
                        label="readout projection, every text (right axis)")
                collapsed = curves.get("collapsed", [])
            broken = [a for a, c in zip(x(sweep), collapsed, strict=False) if c > 0.5]
            ax.plot(broken, [0.03] * len(broken), "v", color="tab:red", ms=5, transform=ax.get_xaxis_transform(),
                    ls="none", label="most texts collapsed")
            tw.tick_params(labelsize=6)
            ax.set_xscale("log")
            ticks = [zero_at, *(t for t in (0.001, 0.01, 0.1) if min(positive) <= t <= max(positive) * 1.01)]
            ax.set_xticks(ticks, ["0", *(f"{t:g}" for t in ticks[1:])], fontsize=7)
            ax.xaxis.set_minor_formatter(NullFormatter())
            ax.set_title(sid + (" (left out: target not recognised)" if sid in d.excluded else ""), fontsize=8)
            ax.set_xlabel("strength alpha", fontsize=8)
            fp = d.flip_points.get(sid)
            if fp is not None:
                ax.axvline(fp, color="green", ls=":", label="flip point (paper's sweep)")
            ax.axvspan(min(th.PAPER_SWEEP), max(th.PAPER_SWEEP), color="grey", alpha=0.06, lw=0)
            if top is not None:
                ax.plot([min(positive), top], [0.97, 0.97], "-", color="tab:green", lw=4, alpha=0.6,
                        transform=ax.get_xaxis_transform(), solid_capstyle="butt", label="readable range")
        axes[0].set_ylabel("classifier target score")
        twins[-1].set_ylabel("readout delta vs unsteered, signed" if "n_read" in next(iter(per.values()), {})
                             else "readout projection", fontsize=7)
        legend: dict[str, Any] = {}
        for a in (*axes, *twins):  # every entry once, whichever panel drew it
            for h, label in zip(*a.get_legend_handles_labels(), strict=True):
                legend.setdefault(label, h)
        fig.legend(list(legend.values()), list(legend), fontsize=6.5, loc="lower center", ncol=5, frameon=False)
        fig.subplots_adjust(bottom=0.25, top=0.84, wspace=0.45)
        read_only = "n_read" in next(iter(per.values()), {})
        fig.suptitle(f"{r.model}, {r.method} prompts: dose-response ({r.classifier})"
                     + (" over the prompts whose unsteered text is healthy" if read_only else "")
                     + "; shaded: the paper's sweep"
                     + ("" if top is not None else "; nothing readable" if (r.model, r.method) in tops else ""),
                     fontsize=9)
        return fig

    return per_record(records, C7, "dose", out, draw)


C7: Claim[DoseDetails] = Claim(
    id="C7", short="monotone dose-response", section="5.2 Figure 3, 5.4", statement="dose-response is monotone with a flip point",
    axis="prompting mode", axis_values=PROMPTINGS,
    metric="mean per-prompt Spearman(strength, paired target delta)", details=DoseDetails, check=_c7_check,
    applies=steering_applies, paper=_c7_paper, tables=(Table("Section 5.2 / 5.4: dose-response", dose_table),),
    plots=(Plot("dose", "dose-response", dose_response_plots),),
    test=("over prompts with a healthy unsteered text and a recognised target: mean over prompts of "
          "Spearman(strength, paired target delta) on the healthy steered texts of the paper's sweep, "
          "bootstrap interval above 0; flip points that persist at the next strength beside"),
    control=("the random direction's per-prompt Spearman at its own strengths, beaten in a paired "
             "permutation test"),
    thresholds=("PAPER_SWEEP", "RANDOM_STRENGTHS", "CONTROL_ALPHA", "MIN_PAIRS", "MOST"))


