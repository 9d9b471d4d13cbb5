"""C5 (paper 5.1, Table 4): steering moves the target emotion in every model.

The readout (the unsteered model re-reading the steered text, projected on the target
vector) against the same prompt's unsteered text, beside a random direction and the
opposite emotion's vector on the same prompts."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Any

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
    parse_details,
)
from harness.claims.markdown import fmt, fmt_ci, steering_caption, table
from harness.claims.readable_strength import LABEL as READABLE_LABEL
from harness.claims.readable_strength import at_readable, has_readable_grid, readable_tag
from harness.claims.record import ClaimRecord
from harness.claims.ruling import Bound, above, whatever_the_unread
from harness.claims.steering_rows import (
    Key,
    p_text,
    refusal_share,
    rows_by_prompt,
    share_of,
    shown,
    signed,
    steering_applies,
    vector_context,
    zero_if_missing,
)
from harness.claims.text_health import healthy_keys, is_degenerate
from harness.experiments.steering_grid import PROMPTINGS, Direction, SteeringRun
from harness.metrics.paired import (
    bootstrap_interval,
    finite_pairs,
    mcnemar_greater,
    paired_greater,
    proportion_interval,
)
from harness.stimuli.loading import paper_values

SCENARIO_COLUMNS = (("calm", "Calm"), ("hostile", "Hostile"), ("happy", "Happy"), ("desperate", "Desperate"),
                    ("anti_calm", "Anti-Calm"))



@dataclass(frozen=True)
class PairedControl:
    """A control direction under the claim's test, and whether the emotion vector beats it."""

    name: str
    moved: int
    n: int
    moved_share: float  # moved / n (records before 2026-12-05 named it mean_delta)
    p_beaten: float  # one-sided paired p that the emotion vector does more than this control


@dataclass(frozen=True)
class MovesDetails:
    strength: float
    direction: str  # which vectors steered: emotion (neutral baseline) or centred
    moved: int
    n: int  # prompts healthy unsteered whose steered text is healthy too
    mean_delta: float
    mean_delta_interval: list[float]
    paired_controls: list[dict[str, Any]]
    per_scenario: dict[str, dict[str, float]]
    rate_by_strength: dict[str, float]
    centred_readout: dict[str, Any]  # the same deltas read on the target's centred (emotion-specific) v_hat
    refusal_share: float | None = None
    random_rate: float | None = None
    moved_any_text: int | None = None  # readout delta > 0 over every prompt, degenerate texts read as texts
    degenerate_steered: int | None = None  # steered texts that collapsed, of the prompts healthy unsteered
    n_readable: int | None = None  # prompts whose unsteered text is healthy: the ones C5 reads
    collapse_interval: list[float] | None = None  # Clopper-Pearson interval of the collapsed share


def moved_flags(run: SteeringRun, direction: Direction, strength: float, keys: list[Key],
                attr: str = "readout") -> dict[Key, bool | None]:
    """Per prompt: did the readout (``attr``) move the scenario's way? None where the steered text
    is degenerate: a collapse is its own outcome, never "not moved"."""
    rows = rows_by_prompt(run, direction, strength)
    return {k: None if k not in rows or is_degenerate(rows[k]) else zero_if_missing(signed(run, rows[k], attr)) > 0
            for k in keys}


def _paired_control(name: str, emo: dict[Key, bool | None], ctrl: dict[Key, bool | None]
                    ) -> tuple[dict[str, Any], ControlReading]:
    """The control's moved flags on the prompts where both texts are healthy, exact McNemar
    that the emotion vector moves more of them; under MIN_PAIRS such prompts: not measured."""
    pairs = [k for k in emo if emo[k] is not None and ctrl.get(k) is not None]
    moved = sum(bool(ctrl[k]) for k in pairs)
    if len(pairs) < th.MIN_PAIRS:
        pc = PairedControl(name, moved, len(pairs), math.nan, math.nan)
        return pc.__dict__, ControlReading(name, f"{moved}/{len(pairs)} moved; not measured (needs {th.MIN_PAIRS} "
                                                 "prompts with both texts healthy)", None, undecided=True)
    _, _, p = mcnemar_greater([bool(emo[k]) for k in pairs], [bool(ctrl[k]) for k in pairs])
    pc = PairedControl(name, moved, len(pairs), moved / len(pairs), p)
    return pc.__dict__, ControlReading(name, f"{moved}/{len(pairs)} moved; beaten {p_text(p)}", p >= th.CONTROL_ALPHA)


def moves_check(run: SteeringRun, strength: float = th.SCENARIO_STRENGTH,
                direction: Direction = "emotion") -> Check[MovesDetails]:
    """C5 over the prompts whose unsteered text is healthy: among those whose steered text is
    healthy too, the readout delta (unsteered re-read of the steered text on the target v_hat,
    signed) is > 0 in most (Clopper-Pearson interval above one half; wholly at or below it
    rules C5 out), and the steering vector moves more of them than the random direction and the
    opposite emotion's vector do (exact McNemar on the prompts where both texts are healthy).
    Steered texts that collapse are counted apart, with their interval. Platform vectors are read
    out on themselves at their own block, and so are their controls."""
    attr = READOUT_OF[direction]
    keys = healthy_keys(run)
    emo = moved_flags(run, direction, strength, keys, attr)
    read = [k for k in keys if emo[k] is not None]
    moved, n = sum(bool(emo[k]) for k in read), len(read)
    collapsed = len(keys) - n
    rate = moved / n if n else math.nan
    ci = proportion_interval(moved, n)
    collapse_ci = proportion_interval(collapsed, len(keys))
    def moved_bound(k: int, m: int) -> Bound:
        return above("share of readable prompts moved", k / m, proportion_interval(k, m), th.MOST)

    # A collapsed text is neither moved nor not: the verdict must hold however the collapsed would have read.
    passes, ruled, unread = (whatever_the_unread(moved_bound, moved, n, collapsed, ("moved", "not moved")) if n
                             else (None, None, ""))
    ctrl_dirs: list[tuple[str, Direction]] = [("random direction", "random")]
    opposite = OPPOSITE_OF.get(direction)
    if opposite and run.select(opposite, strength):
        ctrl_dirs.append(("opposite emotion", opposite))
    controls, readings = [], []
    for name, cdir in ctrl_dirs:
        pc, reading_ = _paired_control(name, emo, moved_flags(run, cdir, strength, keys, attr))
        controls.append(pc)
        readings.append(reading_)
    deltas = [signed(run, r, attr) for k, r in rows_by_prompt(run, direction, strength).items() if k in read]

    # The centred (emotion-specific) readout on the same readable prompts (a pair with a
    # collapsed text is dropped).
    def centred_deltas(d: Direction) -> dict[Key, float]:
        return {k: math.nan if is_degenerate(r) else signed(run, r, "readout_centred")
                for k, r in rows_by_prompt(run, d, strength).items() if k in set(keys)}

    cen = centred_deltas(direction)
    ce = [cen.get(k, math.nan) for k in keys]
    ce_ok = [v for v in ce if not math.isnan(v)]
    centred = {"mean_delta": statistics.fmean(ce_ok) if ce_ok else math.nan,
               "interval": list(bootstrap_interval(ce_ok)),
               "moved": sum(v > 0 for v in ce_ok), "n": len(ce_ok)}
    for _, cdir in ctrl_dirs:
        c = centred_deltas(cdir)
        cv = [c.get(k, math.nan) for k in keys]
        centred[f"p_beats_{cdir}"] = paired_greater(ce, cv) if finite_pairs(ce, cv) >= th.MIN_PAIRS else math.nan
    per_scenario = {s.id: {
        "readout_delta": statistics.fmean(zero_if_missing(signed(run, r, attr))
                                          for r in run.select(direction, strength, s.id)),
        "activation_delta": statistics.fmean(signed(run, r, "activation")
                                             for r in run.select(direction, strength, s.id))}
        for s in run.scenarios if run.select(direction, strength, s.id)}
    by_strength = {}
    for a in run.strengths(direction):
        if a > 0:
            flags = [f for f in moved_flags(run, direction, a, keys, attr).values() if f is not None]
            by_strength[str(a)] = share_of(flags)
    refusals = refusal_share(run)
    any_text = sum(zero_if_missing(signed(run, r, attr)) > 0 for r in run.select(direction, strength))
    verdict = decide(passes, readings)
    reason = (f"{direction} vectors at strength {strength}, over the {len(keys)} prompts whose unsteered text is "
              f"healthy: {collapsed} steered texts collapsed ({fmt(collapse_ci[0], 2)}-{fmt(collapse_ci[1], 2)}), and "
              f"the readout delta is > 0 in {moved}/{n} of the rest (95% interval {fmt(ci[0], 2)}-{fmt(ci[1], 2)}, "
              f"needs > {th.MOST:.0%}; {any_text}/{len(run.select(direction, strength))} of every prompt reading "
              "collapsed texts as texts); "
              + "; ".join(f"{c['name']} {c['moved']}/{c['n']} ({direction} vectors beat it: {p_text(c['p_beaten'])})"
                          for c in controls)
              + (f"; unsteered chat refusals {refusals:.0%}"
                 + (" (above 25%: the baseline is a refusal, not a text)" if refusals > th.REFUSAL_FLAG else "")
                 if refusals is not None else "") + unread)
    return Check(passes, rate, reason, MovesDetails(
        strength=strength, direction=direction, moved=moved, n=n,
        mean_delta=statistics.fmean(deltas) if deltas else math.nan,
        mean_delta_interval=list(bootstrap_interval(deltas)), paired_controls=controls, per_scenario=per_scenario,
        rate_by_strength=by_strength, centred_readout=centred, refusal_share=refusals,
        random_rate=controls[0]["moved"] / controls[0]["n"] if controls[0]["n"] else None,
        moved_any_text=any_text, degenerate_steered=collapsed, n_readable=len(keys),
        collapse_interval=list(collapse_ci)),
        outcome=verdict, interval=ci if n else None, controls=shown(passes, readings), ruled_out=ruled)


def _c5_check(ev: Evidence, prompting: str) -> list[Finding]:
    run = ev.steering(prompting)
    ctx = ev.steering_context(run)
    out = [C5.finding(ev, moves_check(run), ctx)]
    for a in th.CENTRED_STRENGTHS:
        out.append(C5.finding(ev, moves_check(run, a, "centred"), vector_context(ctx, run, "centred"),
                              metric=f"{CENTRED_METRIC_C5} at {a}"))
    if not has_readable_grid(run):
        return out
    arms: list[tuple[Direction, str]] = [("emotion", C5.metric)]
    if "platform" in run.vectors:
        arms.append(("platform", PLATFORM_METRIC_C5))
        out.append(C5.finding(ev, moves_check(run, th.SCENARIO_STRENGTH, "platform"),
                              vector_context(ctx, run, "platform"), metric=PLATFORM_METRIC_C5))
    for direction, metric in arms:
        check, extra = at_readable(run, direction, ("random", OPPOSITE_OF[direction]),
                                   lambda a, d=direction: moves_check(run, a, d))
        out.append(C5.finding(ev, check, {**vector_context(ctx, run, direction), **extra},
                              metric=f"{metric} {READABLE_LABEL}"))
    return out


CENTRED_METRIC_C5 = "share of prompts with readout delta > 0 (centred vectors)"
PLATFORM_METRIC_C5 = "share of prompts with readout delta > 0 (platform vectors)"
# Which re-read a direction's verdict uses (its controls are read the same way), and its
# wrong-emotion control.
READOUT_OF: dict[str, str] = {"emotion": "readout", "centred": "readout", "platform": "readout_platform"}
OPPOSITE_OF: dict[str, Direction] = {"emotion": "opposite", "platform": "platform_opposite"}


def _c5_paper(model: str, family: str, axis_value: str = "") -> PaperRef:
    row = paper_values()["table4_activation_delta"].get(model)
    if row:
        return PaperRef(min(row.values()), f"Table 4, {model}: smallest activation delta (all 5 scenarios > 0)")
    return PaperRef(1.0, "Table 4: every scenario of all 9 models moves the expected way (share 1.0)")


def table4_deltas(records: list[ClaimRecord], kinds: dict[str, str]) -> str:
    pv = paper_values()
    t4, ids = pv["table4_activation_delta"], pv["table4_scenarios"]
    recs = C5.read(records)
    ran = {r.model for r, _ in recs}
    rows = [[m, "paper", *[v[c] for c, _ in SCENARIO_COLUMNS]] for m, v in t4.items() if m not in ran]
    rows += [[m, "paper", *[v[c] for c, _ in SCENARIO_COLUMNS]] for m, v in t4.items() if m in ran]
    for r, d in recs:
        rows.append([r.model, r.method, *[
            f"{fmt(d.per_scenario[ids[c]]['activation_delta'], 3)} ({fmt(d.per_scenario[ids[c]]['readout_delta'], 2)})"
            if ids[c] in d.per_scenario else "—" for c, _ in SCENARIO_COLUMNS]])
    note = ("measured: activation delta (last prompt token, hooks on) with the readout delta (unsteered "
            "re-read of the steered text) in brackets, mean over the scenario's prompts at strength "
            f"{recs[0][1].strength if recs else '?'}; paper rows list models it ran (strength "
            "not stated; the readout here counts degenerate texts too, unlike C5's verdict); paper models absent "
            "from this run are not run. Paper 5.5, instruct/base delta ratio: "
            + ", ".join(f"{k} {v}" for k, v in pv["rlhf_steering_ratio"].items())
            + " (not measured here: no base/instruct pair among the embedded models)")
    return "\n".join([table(rows, ["model", "source / prompting", *[h for _, h in SCENARIO_COLUMNS]]), "",
                      steering_caption([r for r, _ in recs], note)])


def c5_controls_table(records: list[ClaimRecord], kinds: dict[str, str]) -> str:
    rows = []
    for r in sorted((r for r in records if r.claim == "C5" and r.verdict != "not applicable"),
                    key=lambda r: (r.model, str(r.method), r.metric)):
        d = parse_details(MovesDetails, r.details)
        if d is None:
            continue
        ctrl = {c["name"]: c for c in d.paired_controls}
        cell = {name: (f"{c['moved']}/{c['n']} (beaten {p_text(c['p_beaten'])})" if name in ctrl else "—")
                for name, c in ((n, ctrl.get(n, {})) for n in ("random direction", "opposite emotion"))}
        cen = d.centred_readout
        collapsed = (f"{d.degenerate_steered}/{d.n_readable} {fmt_ci(d.degenerate_steered / d.n_readable, d.collapse_interval, 2)}"
                     if d.n_readable else "—")
        rows.append([r.model, r.method, f"{d.direction} @ {d.strength}" + readable_tag(r.metric, r.details), collapsed,
                     f"{d.moved}/{d.n} {fmt_ci(r.value, r.details.get('interval'), 2)}",
                     cell["random direction"], cell["opposite emotion"],
                     f"{fmt(cen['mean_delta'], 3)} (vs random {p_text(cen.get('p_beats_random', math.nan))}"
                     + (f", vs opposite {p_text(cen['p_beats_opposite'])}" if "p_beats_opposite" in cen else "") + ")",
                     ", ".join(f"{a}: {fmt(v, 2)}" for a, v in d.rate_by_strength.items()),
                     str(d.moved_any_text) if d.moved_any_text is not None else "—",
                     fmt(d.refusal_share, 2), r.verdict])
    return "\n".join([table(rows, ["model", "prompting", "vectors @ strength",
                                   "collapsed, of prompts healthy unsteered [95%]", "moved, of the rest [95%]",
                                   "random direction", "opposite emotion", "centred readout delta",
                                   "moved at each strength", "moved, every prompt with collapsed texts read as texts",
                                   "unsteered refusals", "verdict"]), "",
                      steering_caption(records, "C5 reads the prompts whose unsteered text is healthy; a steered text "
                                       "that collapses (degenerate) is its own outcome, counted apart, never 'not "
                                       "moved'; readout delta = unsteered re-read of the steered text projected on "
                                       "the target v_hat, signed, minus the unsteered text's; 'beaten' = one-sided "
                                       "McNemar over the prompts where both texts are healthy, that the steering "
                                       "vector moves the readout in more of them than the control (uninformative at "
                                       f"p >= {th.CONTROL_ALPHA}; fewer than {th.MIN_PAIRS} such prompts: not "
                                       "measured); refusals: share of unsteered chat replies that decline (flagged "
                                       f"above {th.REFUSAL_FLAG:.0%})")])


C5: Claim[MovesDetails] = Claim(
    id="C5", short="steering moves the target", section="5.1, Table 4", statement="steering moves the target emotion in every model",
    axis="prompting mode", axis_values=PROMPTINGS,
    metric="share of prompts with readout delta > 0", details=MovesDetails, check=_c5_check, applies=steering_applies,
    paper=_c5_paper, tables=(Table("Table 4: steering activation deltas", table4_deltas),
                             Table("C5 against its controls (random direction, opposite emotion, centred vectors)",
                                   c5_controls_table)),
    test=("over the prompts whose unsteered text is healthy, with collapsed steered texts counted apart: "
          "readout delta (the unsteered model re-reads the steered text, projected on the target "
          "vector, minus the same prompt's unsteered text, signed) above 0 in most prompts at the "
          "scenario strength: Clopper-Pearson interval above one half"),
    control=("the random direction and the opposite emotion's vector on the same prompts, each "
             "beaten by an exact one-sided McNemar test; centred vectors as an ablation and the "
             "centred readout beside"),
    thresholds=("SCENARIO_STRENGTH", "MOST", "CONTROL_ALPHA", "MIN_PAIRS", "REFUSAL_FLAG"),
    count=lambda d: f"{d.moved}/{d.n}" + (f", {d.degenerate_steered} collapsed" if d.degenerate_steered else ""))


