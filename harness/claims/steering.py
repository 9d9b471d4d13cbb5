"""The steering claims C5-C10 and C13: declared once each, with check, controls, paper values
and tables.

Each check reads one (model, prompting mode) steering run
(harness.experiments.steering_grid.SteeringRun). The unit of inference is the scenario
prompt: every steered continuation is compared with a control continuation of the same
prompt (unsteered, random direction, the opposite emotion's vector), and a verdict holds
only when the emotion vector passes its test and beats each control (docs/protocol.md,
How a steering claim is decided). Thresholds come from harness.thresholds only.
"""

from __future__ import annotations

import math
import statistics
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy import stats as sps

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
    interval_side,
    parse_details,
    to_record,
)
from harness.claims.markdown import fmt, fmt_ci, provenance, steering_caption, table
from harness.claims.record import ClaimRecord, is_pooled, pooled_key
from harness.experiments.extraction import supports
from harness.experiments.steering_grid import (
    PROMPTINGS,
    Direction,
    SteeringRun,
    SteerRow,
    supports_prompting,
)
from harness.metrics.paired import (
    bootstrap_interval,
    finite_pairs,
    mcnemar_greater,
    mcnemar_p,
    paired_greater,
    proportion_interval,
)
from harness.metrics.recognition import Recognition
from harness.metrics.textstats import DEGENERATION_KINDS, SCRIPTS, degeneration, is_refusal
from harness.models.loading import ModelHandle
from harness.stimuli.loading import paper_values

REGIMES = ("surgical", "repetitive", "explosive")
REPORTED_SCRIPTS = (*SCRIPTS, "other")  # Han, kana, Hangul, and other non-Latin letters
Key = tuple[str, int]  # (scenario, prompt index): one independent sample


def _key(r: SteerRow) -> Key:
    return (r.scenario, r.prompt_index)


def _z(v: float) -> float:
    """A missing reading (a continuation without tokens) counts as no movement."""
    return 0.0 if v is None or math.isnan(v) else v


def _signed(run: SteeringRun, row: SteerRow, attr: str) -> float:
    """sign * (steered - unsteered) of a row attribute: > 0 means it moved the scenario's way."""
    return row.sign * (getattr(row, attr) - getattr(run.baseline(row), attr))


def signed_target(run: SteeringRun, row: SteerRow, classifier: str | None = None) -> float:
    """sign * (target score - unsteered target score) of the same prompt under one classifier
    (nan when either text has no words)."""
    return row.sign * (run.target_of(row, classifier) - run.target_of(run.baseline(row), classifier))


def _mean_finite(values: Sequence[float]) -> float:
    vals = [v for v in values if not math.isnan(v)]
    return statistics.fmean(vals) if vals else math.nan


def _ratio(k: int, n: int) -> float:
    return k / n if n else math.nan


def _share(flags: Sequence[bool]) -> float:
    return sum(flags) / len(flags) if flags else math.nan


def row_degeneration(row: SteerRow) -> str | None:
    """Why a steered text is degenerate (its words, or its perplexity: incoherent), or None."""
    return degeneration(row.stats, row.perplexity)


def is_degenerate(row: SteerRow) -> bool:
    return row_degeneration(row) is not None


def degenerate_share(rows: Sequence[SteerRow]) -> float:
    return _share([is_degenerate(r) for r in rows])


def _ppl(r: SteerRow) -> float:
    """A continuation's perplexity, or nan when it has no words (nothing a reader could score)."""
    return math.nan if r.stats.get("blank") else r.perplexity


def median_ppl(rows: Sequence[SteerRow]) -> float:
    vals = [_ppl(r) for r in rows if not math.isnan(_ppl(r))]
    return statistics.median(vals) if vals else math.nan


def _applies(handle: ModelHandle, prompting: str) -> str | None:
    return supports_prompting(handle, prompting) or supports(handle, "comprehension")  # type: ignore[arg-type]


def _rows(run: SteeringRun, direction: Direction, strength: float, **sel: Any) -> dict[Key, SteerRow]:
    return {_key(r): r for r in run.select(direction, strength, **sel)}


def refusal_share(run: SteeringRun) -> float | None:
    """Share of unsteered chat continuations that decline instead of writing (None for raw prompts)."""
    if run.prompting != "chat":
        return None
    return _share([is_refusal(r.text) for r in run.select("emotion", 0.0)])


def _shown(passes: bool | None, readings: Sequence[ControlReading]) -> tuple[ControlReading, ...]:
    """The controls as recorded: when the test itself fails, whether a control passes decides
    nothing, so it is not marked (a control is never "passing too" beside a failed test)."""
    if passes is False:
        return tuple(ControlReading(c.name, c.value, None) for c in readings)
    return tuple(readings)


def _p(p: float) -> str:
    return f"p={fmt(p, 2)}"


SCENARIO_COLUMNS = (("calm", "Calm"), ("hostile", "Hostile"), ("happy", "Happy"), ("desperate", "Desperate"),
                    ("anti_calm", "Anti-Calm"))


# ---------------------------------------------------------------- C5: steering moves the target


@dataclass(frozen=True)
class PairedControl:
    """A control direction under the claim's test, and whether the emotion vector beats it."""

    name: str
    moved: int
    n: int
    mean_delta: float
    p_beaten: float  # one-sided paired p that the emotion vector does more than this control


@dataclass(frozen=True)
class MovesDetails:
    strength: float
    direction: str  # which vectors steered: emotion (neutral baseline) or centred
    moved: int
    n: int
    mean_delta: float
    mean_delta_interval: list[float]
    paired_controls: list[dict[str, Any]]
    per_scenario: dict[str, dict[str, float]]
    rate_by_strength: dict[str, float]
    centred_readout: dict[str, Any]  # the same deltas read on the target's centred (emotion-specific) v_hat
    refusal_share: float | None = None
    random_rate: float | None = None
    moved_any_text: int | None = None  # readout delta > 0 counting degenerate texts too
    degenerate_steered: int | None = None


def _readout_deltas(run: SteeringRun, direction: Direction, strength: float, attr: str,
                    healthy: bool = True) -> dict[Key, float]:
    """Signed readout deltas per prompt; with ``healthy``, a degenerate steered text counts as no
    movement (0): a collapsed text carries no emotion a reader could see."""
    return {k: 0.0 if healthy and is_degenerate(r) else _z(_signed(run, r, attr))
            for k, r in _rows(run, direction, strength).items()}


def moves_check(run: SteeringRun, strength: float = th.SCENARIO_STRENGTH,
                direction: Direction = "emotion") -> Check[MovesDetails]:
    """C5: the readout delta (unsteered re-read of the steered text on the target v_hat, signed)
    is > 0 in most prompts (Clopper-Pearson interval above one half), and the steering vector
    beats the random direction and the opposite emotion's vector in paired tests over prompts."""
    emo = _readout_deltas(run, direction, strength, "readout")
    keys = sorted(emo)
    e = [emo[k] for k in keys]
    moved = sum(v > 0 for v in e)
    n = len(e)
    rate = moved / n if n else math.nan
    ci = proportion_interval(moved, n)
    passes = interval_side(ci, th.MOST, above=True) if n else None
    ctrl_dirs: list[tuple[str, Direction]] = [("random direction", "random")]
    if direction == "emotion" and run.select("opposite", strength):
        ctrl_dirs.append(("opposite emotion", "opposite"))
    controls, readings = [], []
    for name, cdir in ctrl_dirs:
        # The same yes/no reading on the control's text of the same prompt (moved, text healthy),
        # compared by exact McNemar: a collapsed text is "not moved" on both sides alike.
        c = _readout_deltas(run, cdir, strength, "readout")
        cv = [c.get(k, 0.0) for k in keys]
        _, _, p = mcnemar_greater([v > 0 for v in e], [v > 0 for v in cv])
        pc = PairedControl(name, sum(v > 0 for v in cv), len(c), statistics.fmean(cv) if cv else math.nan, p)
        controls.append(pc.__dict__)
        readings.append(ControlReading(name, f"{pc.moved}/{pc.n} moved; beaten {_p(p)}", p >= th.CONTROL_ALPHA))
    # The centred (emotion-specific) readout, on healthy texts only (a pair with a collapsed
    # text is dropped, not pinned at 0).
    def centred_deltas(d: Direction) -> dict[Key, float]:
        return {k: math.nan if is_degenerate(r) else _signed(run, r, "readout_centred")
                for k, r in _rows(run, d, strength).items()}

    cen = centred_deltas(direction)
    ce = [cen[k] for k in keys]
    ce_ok = [v for v in ce if not math.isnan(v)]
    centred = {"mean_delta": statistics.fmean(ce_ok) if ce_ok else math.nan,
               "interval": list(bootstrap_interval(ce_ok)),
               "moved": sum(v > 0 for v in ce_ok), "n": len(ce_ok)}
    for _, cdir in ctrl_dirs:
        c = centred_deltas(cdir)
        cv = [c.get(k, math.nan) for k in keys]
        centred[f"p_beats_{cdir}"] = paired_greater(ce, cv) if finite_pairs(ce, cv) >= th.MIN_PAIRS else math.nan
    per_scenario = {s.id: {
        "readout_delta": statistics.fmean(_z(_signed(run, r, "readout")) for r in run.select(direction, strength, s.id)),
        "activation_delta": statistics.fmean(_signed(run, r, "activation")
                                             for r in run.select(direction, strength, s.id))}
        for s in run.scenarios if run.select(direction, strength, s.id)}
    strengths = th.STRENGTHS if direction == "emotion" else th.CENTRED_STRENGTHS
    by_strength = {str(a): _share([v > 0 for v in _readout_deltas(run, direction, a, "readout").values()])
                   for a in strengths if a > 0}
    refusals = refusal_share(run)
    any_text = sum(v > 0 for v in _readout_deltas(run, direction, strength, "readout", healthy=False).values())
    n_deg = sum(is_degenerate(r) for r in run.select(direction, strength))
    verdict = decide(passes, readings)
    reason = (f"{direction} vectors: readout delta > 0 in {moved}/{n} prompts with a non-degenerate text at "
              f"strength {strength} (95% interval {fmt(ci[0], 2)}-{fmt(ci[1], 2)}, needs > {th.MOST:.0%}; "
              f"{any_text}/{n} counting the {n_deg} degenerate texts); "
              + "; ".join(f"{c['name']} {c['moved']}/{c['n']} (emotion beats it: {_p(c['p_beaten'])})"
                          for c in controls)
              + (f"; unsteered chat refusals {refusals:.0%}"
                 + (" (above 25%: the baseline is a refusal, not a text)" if refusals > th.REFUSAL_FLAG else "")
                 if refusals is not None else ""))
    return Check(passes, rate, reason, MovesDetails(
        strength=strength, direction=direction, moved=moved, n=n, mean_delta=statistics.fmean(e) if e else math.nan,
        mean_delta_interval=list(bootstrap_interval(e)), paired_controls=controls, per_scenario=per_scenario,
        rate_by_strength=by_strength, centred_readout=centred, refusal_share=refusals,
        random_rate=controls[0]["moved"] / controls[0]["n"] if controls[0]["n"] else None,
        moved_any_text=any_text, degenerate_steered=n_deg),
        outcome=verdict, interval=ci, controls=_shown(passes, readings))


def _c5_check(ev: Evidence, prompting: str) -> list[Finding]:
    run = ev.steering(prompting)
    ctx = ev.steering_context(run)
    out = [C5.finding(ev, moves_check(run), ctx)]
    for a in th.CENTRED_STRENGTHS:
        out.append(C5.finding(ev, moves_check(run, a, "centred"), ctx, metric=f"{CENTRED_METRIC_C5} at {a}"))
    return out


CENTRED_METRIC_C5 = "share of prompts with readout delta > 0 (centred vectors)"


def _c5_paper(model: str, family: str) -> PaperRef:
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
        cell = {name: (f"{c['moved']}/{c['n']} (beaten {_p(c['p_beaten'])})" if name in ctrl else "—")
                for name, c in ((n, ctrl.get(n, {})) for n in ("random direction", "opposite emotion"))}
        cen = d.centred_readout
        rows.append([r.model, r.method, f"{d.direction} @ {d.strength}",
                     f"{d.moved}/{d.n} {fmt_ci(r.value, r.details.get('interval'), 2)}",
                     cell["random direction"], cell["opposite emotion"],
                     f"{fmt(cen['mean_delta'], 3)} (vs random {_p(cen.get('p_beats_random', math.nan))}"
                     + (f", vs opposite {_p(cen['p_beats_opposite'])}" if "p_beats_opposite" in cen else "") + ")",
                     ", ".join(f"{a}: {fmt(v, 2)}" for a, v in d.rate_by_strength.items()),
                     f"{d.moved_any_text}/{d.n} ({d.degenerate_steered} degenerate)"
                     if d.moved_any_text is not None else "—",
                     fmt(d.refusal_share, 2), r.verdict])
    return "\n".join([table(rows, ["model", "prompting", "vectors @ strength", "moved (share [95%])",
                                   "random direction", "opposite emotion", "centred readout delta",
                                   "moved at each strength", "moved, degenerate texts included",
                                   "unsteered refusals", "verdict"]), "",
                      steering_caption(records, "readout delta = unsteered re-read of the steered text projected on "
                                       "the target v_hat, signed, minus the unsteered text's; a degenerate steered text "
                                       "counts as not moved; 'beaten' = one-sided "
                                       "McNemar over prompts that the steering vector moves the readout (healthy text) in more prompts "
                                       f"than the control (uninformative at p >= {th.CONTROL_ALPHA}); refusals: share "
                                       f"of unsteered chat replies that decline (flagged above {th.REFUSAL_FLAG:.0%})")])


C5: Claim[MovesDetails] = Claim(
    id="C5", short="steering moves the target", section="5.1, Table 4", statement="steering moves the target emotion in every model",
    axis="prompting mode", axis_values=PROMPTINGS,
    metric="share of prompts with readout delta > 0", details=MovesDetails, check=_c5_check, applies=_applies,
    paper=_c5_paper, tables=(Table("Table 4: steering activation deltas", table4_deltas),
                             Table("C5 against its controls (random direction, opposite emotion, centred vectors)",
                                   c5_controls_table)))


# ---------------------------------------------------------------- C6: classifier-confirmed flips


@dataclass(frozen=True)
class FlipsDetails:
    strength: float
    flips: int
    n: int
    random_flips: int
    random_n: int
    classifier: str
    mcnemar: dict[str, float]  # emotion-only flips, random-only flips, one-sided exact p
    random_rate: float | None = None


@dataclass(frozen=True)
class ModelFlipsDetails(FlipsDetails):
    direction: str = "emotion"
    rate_by_strength: dict[str, float] = field(default_factory=dict)
    rate_by_scenario: dict[str, float] = field(default_factory=dict)
    excluded: dict[str, str] = field(default_factory=dict)  # scenario -> why it is not counted
    recognition: dict[str, Any] = field(default_factory=dict)  # every emotion's recognition (this classifier)
    agreement: dict[str, Any] = field(default_factory=dict)  # the two classifiers' flips, primary record only
    flips_any_text: int | None = None  # counting flips of degenerate texts too


@dataclass(frozen=True)
class PooledFlipsDetails(FlipsDetails):
    models: list[str] = field(default_factory=list)
    excluded: dict[str, str] = field(default_factory=dict)


def _recognised(recog: dict[str, Recognition] | None, run: SteeringRun) -> dict[str, str]:
    """Scenarios left out because the classifier does not recognise their target: id -> reason."""
    if recog is None:
        return {}
    return {s.id: f"target '{s.target}' not recognised ({recog[s.target].reason})"
            for s in run.scenarios if s.target in recog and not recog[s.target].recognised}


def _flip_flags(run: SteeringRun, direction: Direction, strength: float, keys: Sequence[Key],
                classifier: str | None, healthy: bool = True) -> list[bool]:
    """Per prompt: does the steered text's target score move the scenario's way? With
    ``healthy``, a degenerate steered text cannot flip (nothing a reader could call that emotion)."""
    rows = _rows(run, direction, strength)
    return [k in rows and not (healthy and is_degenerate(rows[k]))
            and signed_target(run, rows[k], classifier) > 0 for k in keys]


def _flip_keys(run: SteeringRun, excluded: dict[str, str], classifier: str | None) -> list[Key]:
    """Prompts a flip is counted on: eligible scenario, and an unsteered text with words."""
    return sorted(_key(r) for r in run.select("emotion", 0.0)
                  if r.scenario not in excluded and not math.isnan(run.target_of(r, classifier)))


def flip_rate(run: SteeringRun, strength: float, direction: Direction = "emotion",
              classifier: str | None = None, excluded: dict[str, str] | None = None) -> tuple[float, int, int]:
    keys = _flip_keys(run, excluded or {}, classifier)
    flags = _flip_flags(run, direction, strength, keys, classifier)
    return _share(flags), sum(flags), len(flags)


def classifier_flips(run: SteeringRun, recog: dict[str, Recognition] | None = None,
                     strength: float = th.SCENARIO_STRENGTH, classifier: str | None = None,
                     direction: Direction = "emotion") -> Check[ModelFlipsDetails]:
    """C6: share of prompts whose target score moves the scenario's way (Clopper-Pearson interval
    against the paper's 92%), against the random direction's flips on the same prompts (exact
    McNemar). Scenarios whose target the classifier does not recognise are left out."""
    name = classifier or (run.classifiers[0] if run.classifiers else run.classifier.split()[0])
    excluded = _recognised(recog, run)
    keys = _flip_keys(run, excluded, classifier)
    e = _flip_flags(run, direction, strength, keys, classifier)
    r = _flip_flags(run, "random", strength, keys, classifier)
    k, n, rk = sum(e), len(e), sum(r)
    k_any = sum(_flip_flags(run, direction, strength, keys, classifier, healthy=False))
    only_e, only_r, p = mcnemar_greater(e, r)
    strengths = th.STRENGTHS if direction == "emotion" else th.CENTRED_STRENGTHS
    by_strength = {str(a): _share(_flip_flags(run, direction, a, keys, classifier)) for a in strengths if a > 0}
    by_scenario = {s.id: _share([f for f, key in zip(e, keys, strict=True) if key[0] == s.id])
                   for s in run.scenarios if s.id not in excluded}
    recog_d = {em: {"auc": x.auc, "auc_interval": list(x.auc_interval), "p": x.p_value, "top1": x.top1,
                    "top1_chance": x.top1_chance, "n": x.n, "labels": list(x.labels), "recognised": x.recognised}
               for em, x in (recog or {}).items()}
    details = ModelFlipsDetails(strength=strength, flips=k, n=n, random_flips=rk, random_n=n, classifier=name,
                                mcnemar={"emotion_only": only_e, "random_only": only_r, "p": p},
                                random_rate=rk / n if n else None, direction=direction,
                                rate_by_strength=by_strength, rate_by_scenario=by_scenario, excluded=excluded,
                                recognition=recog_d, flips_any_text=k_any)
    if n == 0:
        why = "; ".join(f"{s}: {w}" for s, w in excluded.items()) or "no prompt has an unsteered text with words"
        return Check(None, None, f"{name}: no countable prompt ({why})", details)
    ci = proportion_interval(k, n)
    passes = interval_side(ci, th.FLIP_RATE_MIN, above=True)
    ctrl = ControlReading("random direction", f"{rk}/{n} flips; beaten {_p(p)} (McNemar)", p >= th.CONTROL_ALPHA)
    reason = (f"{name} confirms {k}/{n} {direction}-vector flips of non-degenerate texts at strength {strength} "
              f"(95% interval {fmt(ci[0], 2)}-{fmt(ci[1], 2)}; paper's bar {th.FLIP_RATE_MIN:.0%}; {k_any}/{n} "
              f"counting degenerate texts); random direction {rk}/{n} "
              f"on the same prompts (emotion-only {only_e}, random-only {only_r}, {_p(p)})"
              + (f"; left out: {', '.join(excluded)} (target not recognised)" if excluded else ""))
    return Check(passes, k / n, reason, details, outcome=decide(passes, [ctrl]), interval=ci,
                 controls=_shown(passes, [ctrl]))


def flip_agreement(run: SteeringRun, strength: float = th.SCENARIO_STRENGTH) -> dict[str, Any]:
    """The two classifiers' flip calls on the same steered texts (every prompt with words)."""
    if len(run.classifiers) < 2:
        return {}
    a_name, b_name = run.classifiers[:2]
    pairs = []
    for r in run.select("emotion", strength):
        da, db = signed_target(run, r, a_name), signed_target(run, r, b_name)
        if not (math.isnan(da) or math.isnan(db)):
            pairs.append((da > 0, db > 0))
    if not pairs:
        return {"classifiers": [a_name, b_name], "n": 0}
    agree = sum(x == y for x, y in pairs) / len(pairs)
    pa, pb = _share([x for x, _ in pairs]), _share([y for _, y in pairs])
    chance = pa * pb + (1 - pa) * (1 - pb)
    kappa = (agree - chance) / (1 - chance) if chance < 1 else math.nan
    return {"classifiers": [a_name, b_name], "n": len(pairs), "agreement": agree, "kappa": kappa,
            "flips": [sum(x for x, _ in pairs), sum(y for _, y in pairs)]}


def _c6_check(ev: Evidence, prompting: str) -> list[Finding]:
    run = ev.steering(prompting)
    ctx = ev.steering_context(run)
    recog = ev.recognition()
    out = []
    for i, name in enumerate(run.classifiers or (run.classifier.split()[0],)):
        c = classifier_flips(run, recog.get(name), classifier=name)
        if i == 0:
            c = Check(c.holds, c.value, c.reason, ModelFlipsDetails(**{**c.details.__dict__,
                                                                      "agreement": flip_agreement(run)}),
                      c.outcome, c.interval, c.controls)
            out.append(C6.finding(ev, c, ctx))
            for a in th.CENTRED_STRENGTHS:
                out.append(C6.finding(ev, classifier_flips(run, recog.get(name), a, name, "centred"), ctx,
                                      metric=f"classifier flip rate (centred vectors) at {a}"))
        else:
            out.append(C6.finding(ev, c, ctx, metric=f"classifier flip rate ({name})"))
    return out


def pooled_flips(runs: Sequence[SteeringRun], prompting: str, profile: str,
                 recognition: dict[str, Recognition] | None = None,
                 strength: float = th.SCENARIO_STRENGTH) -> tuple[str, Finding]:
    """C6 pooled over models (the paper's 37/40 pools nine): the pooled record's model name and
    finding. Prompts of different models are independent samples; the McNemar pairs pool, so
    the pooled test is a function of each model's counts (:func:`pool_flips`)."""
    checks = {run.model: asdict(classifier_flips(run, recognition, strength).details) for run in runs}
    excluded = _recognised(recognition, runs[-1]) if runs else {}
    return pool_flips({m: _counts(d) for m, d in checks.items()}, prompting, profile,
                      runs[0].classifiers[0] if runs[0].classifiers else runs[0].classifier.split()[0],
                      excluded, strength)


def _counts(d: dict[str, Any]) -> dict[str, int]:
    """A model's flip counts from its C6 details (a record's, or a check's as a dict)."""
    mc = d.get("mcnemar") or {}
    return {"flips": int(d.get("flips") or 0), "n": int(d.get("n") or 0),
            "random_flips": int(d.get("random_flips") or 0), "emotion_only": int(mc.get("emotion_only", 0)),
            "random_only": int(mc.get("random_only", 0))}


def pool_flips(counts: dict[str, dict[str, int]], prompting: str, profile: str, classifier: str,
               excluded: dict[str, str], strength: float = th.SCENARIO_STRENGTH) -> tuple[str, Finding]:
    """The pooled C6 finding from each model's flip counts (flips, n, random_flips, and the
    McNemar discordant counts emotion_only / random_only): a live run and a merge of runs
    (:func:`pooled_records`) compute it the same way. The pooled value depends on which
    models are pooled, so the set is part of its name (and of its baseline and expected outcome)."""
    k, n, rk, only_e, only_r = (sum(c[f] for c in counts.values())
                                for f in ("flips", "n", "random_flips", "emotion_only", "random_only"))
    p = mcnemar_p(only_e, only_r)
    models = sorted(counts)
    excluded = dict(sorted(excluded.items()))  # as results.json stores it, so a merge words it alike
    details = PooledFlipsDetails(strength=strength, flips=k, n=n, random_flips=rk, random_n=n,
                                 classifier=classifier, random_rate=rk / n if n else None,
                                 mcnemar={"emotion_only": only_e, "random_only": only_r, "p": p}, models=models,
                                 excluded=excluded)
    name = pooled_key(models)
    if n == 0:
        check: Check[Any] = Check(None, None, "no countable prompt in any model", details)
    else:
        ci = proportion_interval(k, n)
        passes = interval_side(ci, th.FLIP_RATE_MIN, above=True)
        ctrl = ControlReading("random direction", f"{rk}/{n} flips; beaten {_p(p)} (McNemar)",
                              p >= th.CONTROL_ALPHA)
        check = Check(passes, k / n, f"{k}/{n} flips pooled over {', '.join(models)} at strength {strength} "
                      f"(95% interval {fmt(ci[0], 2)}-{fmt(ci[1], 2)}; paper's bar {th.FLIP_RATE_MIN:.0%}); random "
                      f"direction {rk}/{n} ({_p(p)})" + (f"; left out: {', '.join(excluded)} (target not "
                                                         "recognised)" if excluded else ""),
                      details, outcome=decide(passes, [ctrl]), interval=ci,
                      controls=_shown(passes, [ctrl]))
    return name, Finding(C6.metric, check, {"method": prompting, "profile": profile}, _c6_paper(name, ""))


def pooled_records(records: Sequence[ClaimRecord]) -> list[ClaimRecord]:
    """C6 pooled over every model with a primary-classifier C6 record, per prompting mode (two
    models or more): what a run over all of them records, rebuilt from the per-model records."""
    out = []
    per_model = [r for r in records if r.claim == C6.id and r.metric == C6.metric and not is_pooled(r.model)]
    for prompting in PROMPTINGS:
        recs = sorted((r for r in per_model if r.details.get("method") == prompting), key=lambda r: r.model)
        if len(recs) < 2:
            continue
        d = recs[0].details
        name, finding = pool_flips({r.model: _counts(r.details) for r in recs}, prompting, d.get("profile", ""),
                                   d.get("classifier", ""), d.get("excluded", {}), d.get("strength", th.SCENARIO_STRENGTH))
        out.append(to_record(C6.id, name, finding))
    return out


def _c6_paper(model: str, family: str) -> PaperRef:
    f = paper_values()["classifier_flips"]
    return PaperRef(f["rate"], f"section 5.2: {f['flips']}/{f['pairs']} scenario pairs, {f['classifier']}")


def flips_table(records: list[ClaimRecord], kinds: dict[str, str]) -> str:
    f = paper_values()["classifier_flips"]
    recs = sorted((r for r in records if r.claim == "C6"), key=lambda r: (is_pooled(r.model), r.model,
                                                                           str(r.method), r.metric))
    rows = [["paper (9 models)", "—", f["classifier"], "emotion", f"{f['flips']}/{f['pairs']}", f["rate"], "—", "—",
             "—", "—"]]
    for r in recs:
        d = parse_details(FlipsDetails, r.details)
        if d is None:
            continue
        m = parse_details(ModelFlipsDetails, r.details)
        direction = m.direction if m else "emotion"
        excluded = ", ".join(r.details.get("excluded") or {}) or "—"
        rows.append([r.model, r.method, d.classifier, f"{direction} @ {d.strength}", f"{d.flips}/{d.n}",
                     fmt_ci(r.value, r.details.get("interval"), 2), f"{d.random_flips}/{d.random_n}",
                     fmt(d.mcnemar.get("p"), 2), excluded, r.verdict])
    agree = [(r.model, r.method, parse_details(ModelFlipsDetails, r.details)) for r in recs if r.metric == C6.metric]
    lines = [f"- {m}, {p}: {a.agreement['classifiers'][0]} and {a.agreement['classifiers'][1]} agree on "
             f"{fmt(a.agreement['agreement'], 2)} of {a.agreement['n']} steered texts at 0.02 with words (every "
             "scenario, degenerate texts included, since nrclex recognises no target) (kappa "
             f"{fmt(a.agreement['kappa'], 2)}; flips {a.agreement['flips'][0]} vs {a.agreement['flips'][1]})"
             for m, p, a in agree if a and a.agreement.get("n")]
    return "\n".join([table(rows, ["model", "prompting", "classifier", "vectors @ strength", "flips", "rate [95%]",
                                   "random direction", "McNemar p", "left out (target not recognised)",
                                   "verdict"]), "", *lines, *([""] if lines else []),
                      steering_caption([r for r in recs if not is_pooled(r.model)],
                                       "flip = the target labels' score moves the scenario's way from the unsteered "
                                       "continuation of the same prompt; texts without words cannot flip; McNemar: "
                                       "exact one-sided test that the steering vector flips more prompts than the "
                                       "random direction on the same prompts")])


def recognition_table(records: list[ClaimRecord], kinds: dict[str, str]) -> str:
    """Each classifier's recognition of every emotion on passages whose emotion is known."""
    seen: dict[str, dict[str, Any]] = {}
    for r in records:
        if r.claim != "C6" or is_pooled(r.model):
            continue
        d = parse_details(ModelFlipsDetails, r.details)
        if d and d.recognition and d.direction == "emotion" and d.classifier not in seen:
            seen[d.classifier] = d.recognition
    if not seen:
        return "_No classifier validation in this run._"
    rows = []
    for clf, rec in sorted(seen.items()):
        for em, x in rec.items():
            rows.append([clf, em, "+".join(x["labels"]) or "—", x["n"], fmt(x["top1"], 2), fmt(x["top1_chance"], 2),
                         fmt_ci(x["auc"], x["auc_interval"], 2), fmt(x["p"], 2),
                         "yes" if x["recognised"] else "no"])
    return "\n".join([table(rows, ["classifier", "emotion", "labels", "texts", "top-1", "top-1 chance",
                                   "AUC [95%] (chance 0.5)", "p (one-sided)", "recognised"]), "",
                      "_Texts: the extraction and held-out passages of every stimulus set of the run (their emotion "
                      "is known). Top-1: share whose highest-scoring label is one of the emotion's labels (chance: "
                      "labels / all labels). AUC: the emotion's target score ranks its passages above the other "
                      f"emotions' passages (Mann-Whitney, one-sided); recognised = AUC > 0.5 with p < "
                      f"{th.RECOGNITION_ALPHA}. A scenario whose target is not recognised is left out of C6/C7 for "
                      "that classifier._"])


C6: Claim[FlipsDetails] = Claim(
    id="C6", short="classifier confirms >= 92% of flips", section="5.2", statement="the external classifier confirms >= 92% of flips (37/40)",
    axis="prompting mode", axis_values=PROMPTINGS,
    metric="classifier flip rate", details=FlipsDetails, check=_c6_check, applies=_applies,
    paper=_c6_paper, tables=(Table("Classifier validation: emotion recognised on known-emotion passages",
                                   recognition_table),
                             Table("Section 5.2: classifier flips", flips_table)))


# ---------------------------------------------------------------- C7: dose-response


@dataclass(frozen=True)
class DoseDetails:
    classifier: str
    n_prompts: int
    rho_interval: list[float]
    random_rho: float
    emotion_rho_same_strengths: float
    p_beats_random: float
    rho_healthy: float  # the same, degenerate texts left out (prompts with fewer than 3 left drop out)
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
    by = {a: _rows(run, direction, a) for a in strengths}

    def delta(k: Key, a: float) -> float:
        r = by[a].get(k)
        if r is None or (healthy_only and is_degenerate(r)):
            return math.nan
        return signed_target(run, r, classifier)

    return [_rho(list(strengths), [delta(k, a) for a in strengths]) for k in keys]


def flip_points(run: SteeringRun, direction: Direction = "emotion", strengths: Sequence[float] | None = None,
                classifier: str | None = None, excluded: dict[str, str] | None = None) -> dict[str, float | None]:
    """Per scenario: the lowest strength at which most of its prompts flip and still do at the
    next strength (None if none does)."""
    strengths = [a for a in (strengths or th.STRENGTHS) if a > 0]
    keys = _flip_keys(run, excluded or {}, classifier)
    out: dict[str, float | None] = {}
    for s in run.scenarios:
        if s.id in (excluded or {}):
            continue
        sk = [k for k in keys if k[0] == s.id]
        most = [bool(sk) and _share(_flip_flags(run, direction, a, sk, classifier)) > th.MOST for a in strengths]
        out[s.id] = next((a for a, now, nxt in zip(strengths, most, most[1:], strict=False) if now and nxt), None)
    return out


def dose_response(run: SteeringRun, recog: dict[str, Recognition] | None = None,
                  classifier: str | None = None) -> Check[DoseDetails]:
    """C7: per prompt, Spearman(strength, signed paired target delta) over the paper's sweep;
    the mean over prompts needs a bootstrap interval above 0, and must beat the random
    direction's (same strengths, paired permutation test)."""
    name = classifier or (run.classifiers[0] if run.classifiers else run.classifier.split()[0])
    excluded = _recognised(recog, run)
    keys = _flip_keys(run, excluded, classifier)
    sweep = list(th.PAPER_SWEEP)
    rhos = [v for v in _prompt_rhos(run, keys, "emotion", sweep, classifier) if not math.isnan(v)]
    healthy = [v for v in _prompt_rhos(run, keys, "emotion", sweep, classifier, healthy_only=True)
               if not math.isnan(v)]
    common = [a for a in th.RANDOM_STRENGTHS]
    e_same = _prompt_rhos(run, keys, "emotion", common, classifier)
    r_same = _prompt_rhos(run, keys, "random", common, classifier)
    n_pairs = finite_pairs(e_same, r_same)
    p_rand = paired_greater(e_same, r_same) if n_pairs >= th.MIN_PAIRS else math.nan
    xs, ys = [], []
    for a in sweep:
        for k, r in _rows(run, "emotion", a).items():
            if k in set(keys) and not math.isnan(signed_target(run, r, classifier)):
                xs.append(a)
                ys.append(signed_target(run, r, classifier))
    pooled = _rho(xs, ys) if xs else math.nan
    kept = set(keys)
    n_deg = sum(is_degenerate(r) for a in sweep for r in run.select("emotion", a) if _key(r) in kept)
    curve = {str(a): statistics.fmean(_z(r.sign * r.target) for r in run.select("emotion", a)) for a in th.STRENGTHS}
    readout_curve = {str(a): statistics.fmean(_z(r.sign * r.readout) for r in run.select("emotion", a))
                     for a in th.STRENGTHS}
    per_scenario = {s.id: {
        "target": [statistics.fmean(_z(r.target) for r in run.select("emotion", a, s.id)) for a in th.STRENGTHS],
        "readout": [statistics.fmean(_z(r.readout) for r in run.select("emotion", a, s.id)) for a in th.STRENGTHS],
        "random_target": {str(a): statistics.fmean(_z(r.target) for r in run.select("random", a, s.id))
                          for a in th.RANDOM_STRENGTHS}}
        for s in run.scenarios}
    points = flip_points(run, classifier=classifier, excluded=excluded)
    rnd_points = flip_points(run, "random", th.RANDOM_STRENGTHS, classifier, excluded)
    mean = statistics.fmean(rhos) if rhos else math.nan
    ci = bootstrap_interval(rhos)
    details = DoseDetails(
        classifier=name, n_prompts=len(rhos), rho_interval=list(ci), random_rho=_mean_finite(r_same),
        emotion_rho_same_strengths=_mean_finite(e_same),
        p_beats_random=p_rand, rho_healthy=statistics.fmean(healthy) if healthy else math.nan,
        degenerate_texts=n_deg, pooled_rho=pooled, flip_points=points, random_flip_points=rnd_points,
        excluded=excluded, target_curve=curve, readout_curve=readout_curve, strengths=list(th.DOSE_STRENGTHS),
        sweep=list(th.STRENGTHS), per_scenario=per_scenario)
    if not rhos:
        why = "; ".join(f"{s}: {w}" for s, w in excluded.items()) or "no prompt has three texts with words"
        return Check(None, None, f"{name}: no countable prompt ({why})", details)
    passes = interval_side(ci, 0.0, above=True)
    measured = not math.isnan(p_rand)
    ctrl = ControlReading("random direction", f"mean rho {fmt(details.random_rho, 2)} vs emotion "
                          f"{fmt(details.emotion_rho_same_strengths, 2)} at {common} over {n_pairs} prompts; "
                          + (f"beaten {_p(p_rand)}" if measured else f"not measured (needs {th.MIN_PAIRS} prompts "
                                                                      "with both)"),
                          p_rand >= th.CONTROL_ALPHA if measured else None)
    if passes and not measured:
        passes = None  # a pass its control could not be checked against decides nothing
    n_pts = sum(v is not None for v in points.values())
    reason = (f"mean per-prompt Spearman(strength, paired {name} target delta) = {mean:.3f} over {len(rhos)} prompts "
              f"(95% interval {fmt(ci[0], 2)}-{fmt(ci[1], 2)}, needs > 0); random direction: {ctrl.value}; "
              f"without degenerate texts {fmt(details.rho_healthy, 2)} over {len(healthy)} prompts ({n_deg} of "
              f"{len(keys) * len(sweep)} texts degenerate); persistent flip point "
              f"in {n_pts}/{len(points)} scenarios (random direction: "
              f"{sum(v is not None for v in rnd_points.values())}/{len(rnd_points)})"
              + (f"; left out: {', '.join(excluded)}" if excluded else ""))
    return Check(passes, mean, reason, details, outcome=decide(passes, [ctrl]), interval=ci,
                 controls=_shown(passes, [ctrl]))


def _c7_check(ev: Evidence, prompting: str) -> list[Finding]:
    run = ev.steering(prompting)
    ctx = ev.steering_context(run)
    recog = ev.recognition()
    names = run.classifiers or (run.classifier.split()[0],)
    out = [C7.finding(ev, dose_response(run, recog.get(names[0]), names[0]), ctx)]
    for name in names[1:]:
        out.append(C7.finding(ev, dose_response(run, recog.get(name), name), ctx, metric=f"{C7.metric} ({name})"))
    return out


def _c7_paper(model: str, family: str) -> PaperRef:
    d = paper_values()["dose_response_gpt2"]
    lo, hi = d["flip_between"]
    return PaperRef(f"flip {lo}-{hi}", f"section 5.2, GPT-2: anger {d['anger']['before']} -> {d['anger']['after']}, "
                                       f"joy {d['joy']['before']} -> {d['joy']['after']}")


def dose_table(records: list[ClaimRecord], kinds: dict[str, str]) -> str:
    d0 = paper_values()["dose_response_gpt2"]
    rows = [["gpt2 (paper)", "—", "—", "—", "—", "—", f"anger {d0['anger']['before']} -> {d0['anger']['after']}, joy "
             f"{d0['joy']['before']} -> {d0['joy']['after']} between {d0['flip_between'][0]} and "
             f"{d0['flip_between'][1]}", "—", "—"]]
    recs = sorted((r for r in records if r.claim == "C7"), key=lambda r: (r.model, str(r.method), r.metric))
    for r in recs:
        d = parse_details(DoseDetails, r.details)
        if d is None:
            continue
        rows.append([r.model, r.method, d.classifier, fmt_ci(r.value, d.rho_interval, 2),
                     f"{fmt(d.random_rho, 2)} ({_p(d.p_beats_random)})", fmt(d.rho_healthy, 2),
                     ", ".join(f"{k}: {fmt(v)}" for k, v in d.flip_points.items()) or "—",
                     ", ".join(f"{k}: {fmt(v)}" for k, v in d.random_flip_points.items()) or "—", r.verdict])
    return "\n".join([table(rows, ["model", "prompting", "classifier", "mean per-prompt rho [95%]",
                                   "random direction rho", "rho without degenerate texts", "flip points",
                                   "random direction flip points", "verdict"]), "",
                      steering_caption(recs, "per prompt: Spearman over the paper's sweep (0.005-0.05) of the paired "
                                       "delta (steered - unsteered of the same prompt, signed); interval: bootstrap "
                                       "over prompts; the random direction is compared on its own strengths "
                                       f"{list(th.RANDOM_STRENGTHS)} (the emotion vector's rho there, paired "
                                       "permutation test); flip point = lowest strength at which most of a scenario's "
                                       "prompts flip and still do at the next")])


C7: Claim[DoseDetails] = Claim(
    id="C7", short="monotone dose-response", section="5.2 Figure 3, 5.4", statement="dose-response is monotone with a flip point",
    axis="prompting mode", axis_values=PROMPTINGS,
    metric="mean per-prompt Spearman(strength, paired target delta)", details=DoseDetails, check=_c7_check,
    applies=_applies, paper=_c7_paper, tables=(Table("Section 5.2 / 5.4: dose-response", dose_table),))


# ---------------------------------------------------------------- C8: three regimes


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


def classify_regime(ppl_ratio: float, newly_degenerate: float) -> str:
    """explosive (PPL ratio at or above the cut), else repetitive (most healthy prompts turned
    degenerate), else surgical."""
    if not math.isnan(ppl_ratio) and ppl_ratio >= th.EXPLOSIVE_PPL_RATIO:
        return "explosive"
    return "repetitive" if newly_degenerate >= th.DEGENERATE_SHARE else "surgical"


def _healthy_keys(run: SteeringRun, **sel: Any) -> list[Key]:
    return sorted(_key(r) for r in run.select("emotion", 0.0, **sel) if not is_degenerate(r))


def newly_degenerate(run: SteeringRun, direction: Direction, strength: float, **sel: Any) -> tuple[int, int]:
    """(turned degenerate, healthy unsteered): prompts whose unsteered text is healthy and whose
    steered text at ``strength`` is degenerate."""
    healthy = _healthy_keys(run, **sel)
    rows = _rows(run, direction, strength, **sel)
    return sum(1 for k in healthy if k in rows and is_degenerate(rows[k])), len(healthy)


def _ratio_of_medians(pairs: np.ndarray) -> float:
    lo, hi = np.nanmedian(pairs[:, 0]), np.nanmedian(pairs[:, 1])
    return float(hi / lo) if lo > 0 else math.nan


def ppl_ratio(run: SteeringRun, low: float, high: float, direction_high: Direction = "emotion",
              score_blank: bool = False) -> tuple[float, tuple[float, float]]:
    """median PPL(high) / median PPL(low) over prompts, with a bootstrap interval over prompts
    (texts without words unscored, unless ``score_blank``)."""
    lo, hi = _rows(run, "emotion", low), _rows(run, direction_high, high)
    keys = sorted(set(lo) & set(hi))
    ppl = (lambda r: r.perplexity) if score_blank else _ppl
    pairs = np.array([[ppl(lo[k]), ppl(hi[k])] for k in keys], float)
    if not len(pairs):
        return math.nan, (math.nan, math.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return _ratio_of_medians(pairs), bootstrap_interval(pairs, _ratio_of_medians)


def regime_summary(run: SteeringRun) -> RegimeDetails:
    ratio, ratio_ci = ppl_ratio(run, th.REGIME_LOW, th.REGIME_HIGH)
    k, n = newly_degenerate(run, "emotion", th.REGIME_HIGH)
    newly = _ratio(k, n)
    newly_ci = proportion_interval(k, n)
    ppl_lo = median_ppl(run.select("emotion", th.REGIME_LOW))
    newly_at = {a: _ratio(*newly_degenerate(run, "emotion", a)) for a in th.STRENGTHS if a > 0}
    collapse = next((a for a, share in newly_at.items() if share >= th.DEGENERATE_SHARE
                     or median_ppl(run.select("emotion", a)) / ppl_lo >= th.EXPLOSIVE_PPL_RATIO), None)
    hi = run.select("emotion", th.REGIME_HIGH)
    kinds = {kind: sum(row_degeneration(r) == kind for r in hi) for kind in DEGENERATION_KINDS}
    r_ratio, _ = ppl_ratio(run, th.REGIME_LOW, th.REGIME_HIGH, "random")
    rk, rn = newly_degenerate(run, "random", th.REGIME_HIGH)
    return RegimeDetails(
        ppl_low=ppl_lo, ppl_high=median_ppl(hi), ppl_ratio=ratio, ppl_ratio_interval=list(ratio_ci),
        degenerate_unsteered=degenerate_share(run.select("emotion", 0.0)), degenerate_share=degenerate_share(hi),
        newly_degenerate=newly, newly_degenerate_interval=list(newly_ci), healthy_unsteered=n, kinds_high=kinds,
        blank_texts={str(a): sum(bool(r.stats.get("blank")) for r in run.select("emotion", a)) for a in th.STRENGTHS},
        regime=classify_regime(ratio, newly), regime_by_ppl_only=classify_regime(ratio, 0.0),
        ppl_ratio_blank_scored=ppl_ratio(run, th.REGIME_LOW, th.REGIME_HIGH, score_blank=True)[0],
        random_regime=classify_regime(r_ratio, _ratio(rk, rn)), collapse_point=collapse,
        ppl_by_strength={str(a): median_ppl(run.select("emotion", a)) for a in th.STRENGTHS},
        degenerate_by_strength={str(a): degenerate_share(run.select("emotion", a)) for a in th.STRENGTHS},
        newly_by_strength={str(a): share for a, share in newly_at.items()},
        scorer=run.scorer)


def regime(run: SteeringRun, paper_label: str | None) -> Check[RegimeDetails]:
    """C8: the regime (PPL ratio + degeneration in excess of the unsteered texts) equals the
    paper's label for this family; inconclusive when the label changes within the intervals."""
    s = regime_summary(run)
    corners = [(x, y) for x in (*s.ppl_ratio_interval, s.ppl_ratio) for y in (*s.newly_degenerate_interval,
                                                                              s.newly_degenerate)]
    ends = {classify_regime(x, y) for x, y in corners if not math.isnan(x) and not math.isnan(y)}
    if paper_label is None:
        passes: bool | None = None
    elif len(ends) > 1:
        passes = None if paper_label in ends else False
    else:
        passes = s.regime == paper_label
    # The unsteered text is inside the rule (newly degenerate); a random direction of the same
    # size that breaks the model into the same regime makes the label say nothing about
    # emotion steering: the regime is the architecture's response to any such perturbation.
    controls = (ControlReading("unsteered (strength 0)", f"degenerate {fmt(s.degenerate_unsteered, 2)}", None),
                ControlReading("random direction at 0.05", s.random_regime,
                               None if paper_label is None else s.random_regime == paper_label))
    reason = (f"PPL {fmt(s.ppl_low, 3)} (0.005) -> {fmt(s.ppl_high, 3)} (0.05) by {s.scorer}, ratio "
              f"{fmt(s.ppl_ratio, 3)} [{fmt(s.ppl_ratio_interval[0], 2)}, {fmt(s.ppl_ratio_interval[1], 2)}]; "
              f"newly degenerate at 0.05: {fmt(s.newly_degenerate, 2)} [{fmt(s.newly_degenerate_interval[0], 2)}, "
              f"{fmt(s.newly_degenerate_interval[1], 2)}] of the {s.healthy_unsteered} prompts healthy unsteered "
              f"(unsteered degenerate {fmt(s.degenerate_unsteered, 2)}) -> {s.regime} (paper: {paper_label}"
              f"{'; the label changes within the intervals: ' + ', '.join(sorted(ends)) if len(ends) > 1 else ''}); "
              f"random direction: {s.random_regime}; collapse point {s.collapse_point}; with the "
              f"{s.blank_texts.get(str(th.REGIME_HIGH), 0)} blank texts at 0.05 scored too, the ratio would be "
              f"{fmt(s.ppl_ratio_blank_scored, 3)}")
    verdict = "not applicable" if paper_label is None else decide(passes, controls)
    return Check(passes if paper_label is not None else None, s.regime, reason, s, outcome=verdict,
                 controls=_shown(passes, controls))


def _c8_check(ev: Evidence, prompting: str) -> list[Finding]:
    run = ev.steering(prompting)
    label = C8.paper(ev.handle.key, ev.handle.family).value
    return [C8.finding(ev, regime(run, label), ev.steering_context(run))]


def _c8_paper(model: str, family: str) -> PaperRef:
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


C8: Claim[RegimeDetails] = Claim(
    id="C8", short="regime follows architecture", section="5.3, Table 5", statement="steering breaks down in a regime (surgical / repetitive / explosive) "
    "told apart by the perplexity ratio, and the regime follows the architecture",
    axis="prompting mode", axis_values=PROMPTINGS,
    metric="regime", details=RegimeDetails, check=_c8_check, applies=_applies,
    paper=_c8_paper, tables=(Table("Table 5: perplexity and regimes", table5_regimes),))


# ---------------------------------------------------------------- C9: 0.005 is safe


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
    base, safe = _rows(run, "emotion", 0.0), _rows(run, "emotion", th.SAFE_STRENGTH)
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
    ctrl = ControlReading("unsteered (strength 0)", f"{new} prompts newly degenerate, {healed} healed ({_p(p)})", None)
    reason = (f"PPL ratio {th.SAFE_STRENGTH}/0 = {fmt(ratio, 3)} [{fmt(ci[0], 2)}, {fmt(ci[1], 2)}] by {run.scorer} "
              f"(needs inside [{1 / f:.2f}, {f:.2f}]); degenerate {degenerate_share(list(safe.values())):.0%} vs "
              f"{degenerate_share(list(base.values())):.0%} unsteered: {new} newly degenerate, {healed} healed "
              f"(rise {_p(p)}, must not be significant)")
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
             f"{_p(d.p_rise)})", r.verdict] for r, d in recs]
    return "\n".join([table(rows, ["model", "prompting", "PPL scorer", "PPL(0.005)/PPL(0) [95%]",
                                   "degenerate share 0 -> 0.005 (new/healed, McNemar)", "C9"]), "",
                      f"_Paper: 0.005 is the universal safe starting strength (5.4). Measured: the ratio's bootstrap "
                      f"interval over prompts must lie inside [{1 / th.SAFE_PPL_FACTOR:.2f}, {th.SAFE_PPL_FACTOR:.2f}] "
                      "and degenerate texts must not rise significantly over the unsteered texts of the same "
                      "prompts._"])


C9: Claim[SafeDetails] = Claim(
    id="C9", short="0.005 is safe", section="5.4", statement="0.005 is a safe starting strength",
    axis="prompting mode", axis_values=PROMPTINGS,
    metric="PPL(0.005) / PPL(0)", details=SafeDetails, check=_c9_check, applies=_applies,
    paper=_c9_paper, tables=(Table("Section 5.4: safe strength", safety_table),))


# ---------------------------------------------------------------- C10: Chinese tokens in Qwen


@dataclass(frozen=True)
class CrossLingualDetails:
    strengths: list[float]
    scripts: dict[str, dict[str, int]]  # source (emotion/unsteered/random) -> script -> characters
    prompts_with: dict[str, dict[str, int]]  # source -> script -> prompts whose texts contain it
    evidence: str  # none / unclear / leak (leak_evidence)
    p_beats_unsteered: float
    p_beats_random: float
    expects_leak: bool
    examples: list[str]
    emoji: int
    unsteered: float
    random: float


def _script_counts(rows: Sequence[SteerRow]) -> tuple[dict[str, int], dict[str, int]]:
    """Characters per script, and the number of prompts whose texts contain it: a prompt counts
    once, whatever its strengths, and prompts whose texts are word for word the same count once
    (a vector that writes one string whatever the prompt is one observation, not several)."""
    chars = {s: sum((r.stats.get("script_chars") or {}).get(s, 0) for r in rows) for s in REPORTED_SCRIPTS}
    prompts = {}
    for s in REPORTED_SCRIPTS:
        having = [r for r in rows if (r.stats.get("script_chars") or {}).get(s, 0) > 0]
        prompts[s] = min(len({_key(r) for r in having}), len({r.text for r in having}))
    return chars, prompts


def _han_share(rows: Sequence[SteerRow]) -> float:
    total = sum(r.stats.get("n_chars", 0) for r in rows)
    return sum((r.stats.get("script_chars") or {}).get("han", 0) for r in rows) / total if total else 0.0


def expects_cjk_leak(family: str) -> bool:
    """Section 6.1: steering Qwen2.5 produces Chinese tokens; no other family was reported to."""
    return family in paper_values()["cross_lingual"]["families_leaking"]


def leak_evidence(chars: int, prompts: int, p_unsteered: float) -> str:
    """"none" (fewer Han characters than the minimum), "leak" (enough characters from enough
    prompts, and more than the unsteered texts of the same prompts), else "unclear"."""
    if chars < th.CJK_MIN_CHARS:
        return "none"
    if prompts >= th.CJK_MIN_PROMPTS and p_unsteered < th.CONTROL_ALPHA:
        return "leak"
    return "unclear"


def cross_lingual(run: SteeringRun, expects_leak: bool) -> Check[CrossLingualDetails]:
    """C10: Han characters under strong steering (strengths >= 0.05 shared with the random
    control), judged by one rule for every family (leak_evidence). Qwen: a leak that the random
    direction does not match. Other families: no leak. Evidence short of the rule either way
    is inconclusive."""
    strengths = [a for a in th.RANDOM_STRENGTHS if a >= th.STRONG_STRENGTH]
    emo = [r for a in strengths for r in run.select("emotion", a)]
    rnd = [r for a in strengths for r in run.select("random", a)]
    base = run.select("emotion", 0.0)
    counts = {name: _script_counts(rows) for name, rows in (("emotion", emo), ("unsteered", base), ("random", rnd))}

    def per_prompt(rows: Sequence[SteerRow]) -> dict[Key, float]:
        out: dict[Key, list[int]] = {}
        for r in rows:
            out.setdefault(_key(r), []).append((r.stats.get("script_chars") or {}).get("han", 0))
        return {k: statistics.fmean(v) for k, v in out.items()}  # mean per text: unsteered has one per prompt

    e, u, rr = per_prompt(emo), per_prompt(base), per_prompt(rnd)
    keys = sorted(e)
    p_u = paired_greater([e[k] for k in keys], [u.get(k, 0.0) for k in keys])
    p_r = paired_greater([e[k] for k in keys], [rr.get(k, 0.0) for k in keys])
    han, han_prompts = counts["emotion"][0]["han"], counts["emotion"][1]["han"]
    evidence = leak_evidence(han, han_prompts, p_u)
    details = CrossLingualDetails(
        strengths=strengths, scripts={k: v[0] for k, v in counts.items()},
        prompts_with={k: v[1] for k, v in counts.items()}, p_beats_unsteered=p_u, p_beats_random=p_r,
        expects_leak=expects_leak, evidence=evidence,
        examples=[r.text for r in emo if any((r.stats.get("script_chars") or {}).values())][:3],
        emoji=sum(r.stats["emoji"] for r in emo), unsteered=_han_share(base), random=_han_share(rnd))
    other = ", ".join(f"{s} {counts['emotion'][0][s]} chars from {counts['emotion'][1][s]} prompts"
                      for s in REPORTED_SCRIPTS if s != "han")
    desc = (f"Han {han} chars from {han_prompts} of {len(keys)} prompts at strengths {strengths} -> {evidence} (a "
            f"leak needs >= {th.CJK_MIN_CHARS} chars from >= {th.CJK_MIN_PROMPTS} prompts, prompts with word-for-word "
            f"the same text counted once, and more than the unsteered texts: {_p(p_u)}); random direction {counts['random'][0]['han']} from "
            f"{counts['random'][1]['han']} prompts (emotion more: {_p(p_r)}); {other}")
    rnd_reading = ControlReading("random direction", f"Han {counts['random'][0]['han']} from "
                                 f"{counts['random'][1]['han']} prompts; beaten {_p(p_r)}",
                                 p_r >= th.CONTROL_ALPHA if expects_leak else None)
    if expects_leak:
        passes: bool | None = {"leak": True, "unclear": None, "none": False}[evidence]
        return Check(passes, _han_share(emo), f"leak expected (Qwen): {desc}", details,
                     outcome=decide(passes, [rnd_reading]), controls=_shown(passes, [rnd_reading]))
    # "Not in other families" is an absence: a random direction that leaks nothing either does
    # not speak against it, so it is shown, not used as a control.
    passes = {"leak": False, "unclear": None, "none": True}[evidence]
    return Check(passes, _han_share(emo), f"no leak expected (not Qwen): {desc}", details,
                 outcome=decide(passes, []), controls=(rnd_reading,))


def _c10_check(ev: Evidence, prompting: str) -> list[Finding]:
    run = ev.steering(prompting)
    return [C10.finding(ev, cross_lingual(run, expects_cjk_leak(ev.handle.family)), ev.steering_context(run))]


def _c10_paper(model: str, family: str) -> PaperRef:
    return PaperRef("leak" if expects_cjk_leak(family) else "no leak",
                    "section 6.1: Chinese tokens under steering in Qwen2.5 only")


def cjk_table(records: list[ClaimRecord], kinds: dict[str, str]) -> str:
    recs = C10.read(records)
    rows = []
    for r, d in recs:
        cell = {src: ", ".join(f"{s} {d.scripts[src][s]} ({d.prompts_with[src][s]})" for s in REPORTED_SCRIPTS)
                for src in ("emotion", "unsteered", "random")}
        rows.append([r.model, r.method, cell["emotion"], cell["unsteered"], cell["random"],
                     f"{fmt(d.p_beats_unsteered, 2)} / {fmt(d.p_beats_random, 2)}", d.evidence,
                     f"{r.paper_value}", r.verdict])
    return "\n".join([table(rows, ["model", "prompting", "steered: chars (prompts) by script", "unsteered",
                                   "random direction", "p: more than unsteered / random", "Han evidence", "paper",
                                   "C10"]), "",
                      provenance([r for r, _ in recs], "Paper: Chinese tokens appear under steering in Qwen2.5 only "
                                 "(6.1). Steered and random-direction texts at strengths "
                                 f"{[a for a in th.RANDOM_STRENGTHS if a >= th.STRONG_STRENGTH]}; one rule for every "
                                 f"family: a Han leak needs >= {th.CJK_MIN_CHARS} characters from >= "
                                 f"{th.CJK_MIN_PROMPTS} prompts (prompts whose texts are word for word the same "
                                 "count once) and more than the unsteered texts of the same prompts "
                                 "(one-sided paired permutation test); some Han short of that is 'unclear' "
                                 "(inconclusive); for Qwen the leak must also beat the random direction; kana, Hangul "
                                 "and other non-Latin letters are counted beside")])


C10: Claim[CrossLingualDetails] = Claim(
    id="C10", short="Chinese tokens in Qwen only", section="6.1", statement="strong steering leaks Chinese tokens in Qwen, not in other families",
    axis="prompting mode", axis_values=PROMPTINGS,
    metric="Han share of strongly steered text", details=CrossLingualDetails, check=_c10_check, applies=_applies,
    paper=_c10_paper, tables=(Table("Section 6.1: cross-lingual leakage", cjk_table),))


# ---------------------------------------------------------------- C13: the scale and prompt length


@dataclass(frozen=True)
class ScaleDetails:
    sink_ratio: list[float]  # per block: first-position norm / median norm of the others (median over prompts)
    first_norm_middle: float
    median_norm_middle: float
    scale_ratio: dict[str, list[float]]  # rule -> [mean s_l(short)/s_l(long), low, high] at the middle block
    collapse: dict[str, dict[str, float | None]]  # rule -> length -> set-level collapse point
    shift: dict[str, list[float]]  # rule -> [mean abs log2 shift (long vs short), low, high]
    difference_interval: list[float]
    n_prompts: int
    censored: dict[str, int]  # rule -> prompts that never collapsed in the sweep (short or long)
    safe_range: dict[str, list[float] | None]  # rule -> [lo, hi] swept strengths without collapse (short prompts)
    strengths: list[float]
    prompt_tokens: dict[str, list[int]]


def _prompt_collapse(run: SteeringRun, key: Key, rule: str, length: str) -> float | None:
    """The lowest swept strength from which this prompt's text stays degenerate (None: never)."""
    flags = []
    for a in th.SCALE_STRENGTHS:
        rows = _rows(run, "emotion", a, rule=rule, length=length)  # type: ignore[arg-type]
        flags.append(key in rows and is_degenerate(rows[key]))
    for i, a in enumerate(th.SCALE_STRENGTHS):
        if all(flags[i:]):
            return a
    return None


def _set_collapse(run: SteeringRun, keys: Sequence[Key], rule: str, length: str,
                  strengths: Sequence[float] = th.SCALE_STRENGTHS) -> float | None:
    """The lowest of ``strengths`` at which most of ``keys`` give degenerate text (None: none)."""
    for a in strengths:
        rows = _rows(run, "emotion", a, rule=rule, length=length)  # type: ignore[arg-type]
        if keys and _share([k in rows and is_degenerate(rows[k]) for k in keys]) >= th.DEGENERATE_SHARE:
            return a
    return None


def scale_and_length(run: SteeringRun) -> Check[ScaleDetails]:
    """C13: abs(log2 collapse(long) - log2 collapse(short)) per prompt, paper's rule minus the
    sink-robust rule, paired over prompts; holds when its bootstrap interval lies above 0."""
    diag = run.diagnostics
    keys_all = sorted({_key(r) for r in run.rows if r.length == "long"})
    healthy = set(_healthy_keys(run)) & set(_healthy_keys(run, length="long"))
    keys = [k for k in keys_all if k in healthy]
    censor = 2 * th.SCALE_STRENGTHS[-1]
    shifts: dict[str, list[float]] = {}
    censored: dict[str, int] = {}
    collapse: dict[str, dict[str, float | None]] = {}
    for rule in ("paper", "sink-robust"):
        pts = {length: [_prompt_collapse(run, k, rule, length) for k in keys] for length in ("short", "long")}
        censored[rule] = sum(1 for s, lg in zip(pts["short"], pts["long"], strict=True) if s is None or lg is None)
        shifts[rule] = [abs(math.log2(lg or censor) - math.log2(s or censor))
                        for s, lg in zip(pts["short"], pts["long"], strict=True)]
        collapse[rule] = {length: _set_collapse(run, keys, rule, length) for length in ("short", "long")}
    diff = [a - b for a, b in zip(shifts["paper"], shifts["sink-robust"], strict=True)]
    ci = bootstrap_interval(diff)
    mean = statistics.fmean(diff) if diff else math.nan
    shift = {rule: [statistics.fmean(v) if v else math.nan, *bootstrap_interval(v)] for rule, v in shifts.items()}
    scale_ratio = {}
    for rule, by_len in diag.get("middle_scales", {}).items():
        ratios = [s / lg for s, lg in zip(by_len["short"], by_len["long"], strict=True)]
        scale_ratio[rule] = [statistics.fmean(ratios), *bootstrap_interval(ratios)]
    safe: dict[str, list[float] | None] = {}
    for rule in ("paper", "sink-robust"):
        # Every strength run on these short prompts under the rule (the main grid's finer
        # sweep included), so the range is as fine as the run allows.
        swept = sorted({r.strength for r in run.rows if r.rule == rule and r.length == "short"
                        and r.direction == "emotion" and r.strength > 0 and _key(r) in set(keys_all)})
        c = _set_collapse(run, sorted(set(_healthy_keys(run)) & set(keys_all)), rule, "short", swept)
        below = [a for a in swept if c is None or a < c]
        safe[rule] = [below[0], below[-1]] if below else None
    middle = run.layer
    details = ScaleDetails(
        sink_ratio=diag.get("sink_ratio", []), first_norm_middle=diag.get("first_norm", [math.nan] * (middle + 1))[middle],
        median_norm_middle=diag.get("median_norm", [math.nan] * (middle + 1))[middle], scale_ratio=scale_ratio,
        collapse=collapse, shift=shift, difference_interval=list(ci), n_prompts=len(keys), censored=censored,
        safe_range=safe, strengths=list(th.SCALE_STRENGTHS), prompt_tokens=diag.get("prompt_tokens", {}))
    # Too few prompts (most are degenerate before any steering) and the interval speaks for a
    # handful of texts: inconclusive.
    passes = interval_side(ci, 0.0, above=True) if len(diff) >= th.SCALE_MIN_PROMPTS else None
    ctrl = ControlReading("sink-robust scale", f"mean abs log2 shift {fmt(shift['sink-robust'][0], 2)}", None)
    sr = scale_ratio.get("paper", [math.nan])[0], scale_ratio.get("sink-robust", [math.nan])[0]
    reason = (f"collapse point, short -> long prompts: paper's scale {collapse['paper']['short']} -> "
              f"{collapse['paper']['long']}, sink-robust {collapse['sink-robust']['short']} -> "
              f"{collapse['sink-robust']['long']}; mean abs log2 shift per prompt {fmt(shift['paper'][0], 2)} vs "
              f"{fmt(shift['sink-robust'][0], 2)}, difference {fmt(mean, 2)} [{fmt(ci[0], 2)}, {fmt(ci[1], 2)}] over "
              f"{len(keys)} prompts healthy unsteered, short and long (needs > 0 over >= {th.SCALE_MIN_PROMPTS}; censored "
              f"at {censor}: {censored}); s_l short/long at the middle block "
              f"{fmt(sr[0], 3)} (paper) vs {fmt(sr[1], 3)} (sink-robust); first-position norm "
              f"{fmt(details.first_norm_middle, 4)} vs median {fmt(details.median_norm_middle, 4)} there")
    return Check(passes, mean, reason, details, outcome=decide(passes, [ctrl]), interval=ci,
                 controls=_shown(passes, [ctrl]))


def _c13_check(ev: Evidence, prompting: str) -> list[Finding]:
    run = ev.steering(prompting)
    return [C13.finding(ev, scale_and_length(run), ev.steering_context(run))]


def _c13_applies(handle: ModelHandle, prompting: str) -> str | None:
    return supports(handle, "comprehension")


def _c13_paper(model: str, family: str) -> PaperRef:
    return PaperRef(None, "not in the paper: its s_l averages every prompt position, the attention sink included")


def scale_table(records: list[ClaimRecord], kinds: dict[str, str]) -> str:
    recs = C13.read(records)
    rows = []
    for r, d in recs:
        rows.append([r.model, f"{fmt(d.first_norm_middle, 4)} / {fmt(d.median_norm_middle, 4)} = "
                     f"{fmt(d.first_norm_middle / d.median_norm_middle, 3)}",
                     fmt(d.sink_ratio), *[f"{fmt(d.scale_ratio.get(rule, [math.nan])[0], 3)}" for rule in
                                          ("paper", "sink-robust")],
                     *[f"{fmt(d.collapse[rule]['short'])} -> {fmt(d.collapse[rule]['long'])}" for rule in
                       ("paper", "sink-robust")],
                     fmt_ci(r.value, d.difference_interval, 2),
                     ", ".join(f"{rule}: {fmt(v[0])}..{fmt(v[1])}" if v else f"{rule}: none"
                               for rule, v in d.safe_range.items()), r.verdict])
    return "\n".join([table(rows, ["model", "middle block: first-position / median norm", "that ratio per block",
                                   "s_l short/long (paper)", "s_l short/long (sink-robust)",
                                   "collapse short -> long (paper)", "collapse short -> long (sink-robust)",
                                   "abs shift, paper - sink-robust [95%]", "no-collapse range (short prompts)",
                                   "verdict"]), "",
                      steering_caption([r for r, _ in recs], "raw prompts, the first "
                                       f"{th.SCALE_PROMPTS_PER_SCENARIO} of each scenario, short and long (a neutral "
                                       f"lead-in before the same prompt), strengths {list(th.SCALE_STRENGTHS)}; "
                                       "paper's scale: s_l = mean residual norm over every prompt position; "
                                       "sink-robust: every position but the first; collapse point = lowest strength "
                                       "from which a prompt's text stays degenerate (set: most prompts; at the "
                                       "lowest swept strength it may lie lower still); shift = abs(log2 "
                                       "collapse(long) - log2 collapse(short)) per prompt, bootstrap over prompts")])


C13: Claim[ScaleDetails] = Claim(
    id="C13", short="scale vs prompt length (ours)", section="not in the paper", statement="under the paper's scale the collapse point moves with prompt "
    "length (the first position's norm dominates s_l); under a sink-robust scale it moves less",
    axis="prompting mode", axis_values=("raw",),
    metric="mean abs log2 collapse shift, paper's scale minus sink-robust", details=ScaleDetails, check=_c13_check,
    applies=_c13_applies, paper=_c13_paper, tables=(Table("C13 (not in the paper): the steering scale and prompt "
                                                          "length", scale_table),))

STEERING_CLAIMS: tuple[Claim[Any], ...] = (C5, C6, C7, C8, C9, C10, C13)

