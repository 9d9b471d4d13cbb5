"""C6 (paper 5.2): the external classifier confirms >= 92% of flips (37/40), per model and
pooled over models, against a random direction's flips on the same prompts."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
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
    to_record,
)
from harness.claims.flips import flip_flags, flip_keys, flip_outcomes, unrecognised_targets
from harness.claims.markdown import fmt, fmt_ci, steering_caption, table
from harness.claims.readable_strength import LABEL as READABLE_LABEL
from harness.claims.readable_strength import at_readable, has_readable_grid, readable_tag
from harness.claims.record import ClaimRecord, is_pooled, pooled_key
from harness.claims.ruling import Bound, whatever_the_unread
from harness.claims.steering_rows import (
    p_text,
    share_of,
    shown,
    signed_target,
    steering_applies,
    vector_context,
)
from harness.experiments.steering_grid import PROMPTINGS, Direction, SteeringRun
from harness.metrics.paired import (
    mcnemar_greater,
    mcnemar_p,
    proportion_interval,
)
from harness.metrics.recognition import Recognition
from harness.stimuli.loading import paper_values


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
    collapsed: int = 0  # countable prompts whose steered text collapsed (its own outcome, not counted)
    n_readable: int = 0  # countable prompts: healthy unsteered text with words, recognised target


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
    strengths: dict[str, float] = field(default_factory=dict)  # model -> its readable strength (readable pools)


def flip_rate(run: SteeringRun, strength: float, direction: Direction = "emotion",
              classifier: str | None = None, excluded: dict[str, str] | None = None) -> tuple[float, int, int]:
    """(share, flips, prompts) over the countable prompts whose steered text is healthy."""
    keys = flip_keys(run, excluded or {}, classifier)
    flags = [f for f in flip_outcomes(run, direction, strength, keys, classifier).values() if f is not None]
    return share_of(flags), sum(flags), len(flags)


def flip_bound(k: int, n: int) -> Bound:
    """The flip rate, ruled below the paper's rate when its interval lies wholly under it, shown
    when the interval reaches it and lies at or above the floor (thresholds.FLIP_RATE_FLOOR)."""
    return Bound("flip rate", k / n, proportion_interval(k, n), {"ge": th.FLIP_RATE_MIN},
                 shows={"ge": th.FLIP_RATE_FLOOR},
                 how=f"ruled out below the paper's {th.FLIP_RATE_MIN}; shown at or above FLIP_RATE_FLOOR = "
                     f"{th.FLIP_RATE_FLOOR} (the paper's own 37/40 clears it)")


def flip_ruling(k: int, n: int, collapsed: int = 0) -> tuple[Bound, bool | None, Bound | None, str]:
    """flip_bound's ruling, undecided where even n/n flips could not show the paper's rate (a
    count too small to reach "holds" does not earn "does not hold" either: with FLIP_RATE_FLOOR
    0.75, under 13 texts), and where the ``collapsed`` steered texts, read either way, would change
    it. Returns (bound, passes, ruled-out bound, note)."""
    bound = flip_bound(k, n)
    best = proportion_interval(n, n)[0]
    if best >= th.FLIP_RATE_FLOOR:
        passes, ruled, note = whatever_the_unread(flip_bound, k, n, collapsed, ("flips", "non-flips"))
        return bound, passes, ruled, note
    return bound, None, None, (f"; at {n} texts even {n}/{n} flips could not show the paper's rate (interval from "
                               f"{fmt(best, 2)}, under {th.FLIP_RATE_FLOOR:.0%}): neither answer is reachable")


def classifier_flips(run: SteeringRun, recog: dict[str, Recognition] | None = None,
                     strength: float = th.SCENARIO_STRENGTH, classifier: str | None = None,
                     direction: Direction = "emotion") -> Check[ModelFlipsDetails]:
    """C6 over the countable prompts (healthy unsteered text with words, a target the classifier
    recognises): among those whose steered text is healthy, the share whose target score moves the
    scenario's way (flip_bound: consistent with the paper's rate, or ruled below it), against the
    random direction's flips on the prompts where both texts are healthy (exact McNemar). Steered
    texts that collapse are counted apart."""
    name = classifier or (run.classifiers[0] if run.classifiers else run.classifier.split()[0])
    excluded = unrecognised_targets(recog, run)
    keys = flip_keys(run, excluded, classifier)
    emo = flip_outcomes(run, direction, strength, keys, classifier)
    rnd = flip_outcomes(run, "random", strength, keys, classifier)
    read = [key for key in keys if emo[key] is not None]
    pairs = [key for key in read if rnd[key] is not None]
    k, n = sum(bool(emo[key]) for key in read), len(read)
    rk, rn = sum(bool(rnd[key]) for key in pairs), len(pairs)
    collapsed = len(keys) - n
    k_any = sum(flip_flags(run, direction, strength, keys, classifier, healthy=False))
    only_e, only_r, p = mcnemar_greater([bool(emo[key]) for key in pairs], [bool(rnd[key]) for key in pairs])
    by_strength = {str(a): share_of([f for f in flip_outcomes(run, direction, a, keys, classifier).values()
                                     if f is not None]) for a in run.strengths(direction) if a > 0}
    by_scenario = {s.id: share_of([bool(emo[key]) for key in read if key[0] == s.id])
                   for s in run.scenarios if s.id not in excluded}
    recog_d = {em: {"auc": x.auc, "auc_interval": list(x.auc_interval), "p": x.p_value, "top1": x.top1,
                    "top1_chance": x.top1_chance, "n": x.n, "labels": list(x.labels), "recognised": x.recognised}
               for em, x in (recog or {}).items()}
    details = ModelFlipsDetails(strength=strength, flips=k, n=n, random_flips=rk, random_n=rn, classifier=name,
                                mcnemar={"emotion_only": only_e, "random_only": only_r, "p": p},
                                random_rate=rk / rn if rn else None, collapsed=collapsed, n_readable=len(keys),
                                direction=direction, rate_by_strength=by_strength, rate_by_scenario=by_scenario,
                                excluded=excluded, recognition=recog_d, flips_any_text=k_any)
    if n == 0:
        why = ("; ".join(f"{s}: {w}" for s, w in excluded.items()) or "no prompt has a healthy unsteered text with words"
               if not keys else f"all {len(keys)} countable prompts' steered texts collapsed")
        # Countable prompts whose steered texts all collapsed: an undecided test (protocol,
        # section 7); no countable prompt at all: the classifier cannot read the claim here.
        return Check(None, None, f"{name}: no readable steered text to count ({why})", details,
                     outcome="inconclusive" if keys else None)
    bound, passes, ruled, small = flip_ruling(k, n, collapsed)
    ctrl = _random_control(rk, rn, p)
    ci = bound.interval
    reason = (f"{name}, over the {len(keys)} countable prompts (healthy unsteered text with words, recognised "
              f"target): {collapsed} steered texts collapsed, and {k}/{n} of the rest flip at strength {strength} "
              f"({direction} vectors; 95% interval {fmt(ci[0], 2)}-{fmt(ci[1], 2)}: ruled out below the paper's "
              f"{th.FLIP_RATE_MIN:.0%}, shown from {th.FLIP_RATE_FLOOR:.0%}; {k_any}/{len(keys)} reading collapsed "
              f"texts as texts); random direction {rk}/{rn} on the prompts where both texts are healthy "
              f"(emotion-only {only_e}, random-only {only_r}, {p_text(p)})"
              + (f"; left out: {', '.join(excluded)} (target not recognised)" if excluded else "") + small)
    return Check(passes, k / n, reason, details, outcome=decide(passes, [ctrl]), interval=ci,
                 controls=shown(passes, [ctrl]), ruled_out=ruled)


def _random_control(rk: int, rn: int, p: float) -> ControlReading:
    if rn < th.MIN_PAIRS:
        return ControlReading("random direction", f"{rk}/{rn} flips; not measured (needs {th.MIN_PAIRS} prompts with "
                              "both texts healthy)", None, undecided=True)
    return ControlReading("random direction", f"{rk}/{rn} flips; beaten {p_text(p)} (McNemar)", p >= th.CONTROL_ALPHA)


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
    pa, pb = share_of([x for x, _ in pairs]), share_of([y for _, y in pairs])
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
            c = replace(c, details=ModelFlipsDetails(**{**c.details.__dict__, "agreement": flip_agreement(run)}))
            out.append(C6.finding(ev, c, ctx))
            for a in th.CENTRED_STRENGTHS:
                out.append(C6.finding(ev, classifier_flips(run, recog.get(name), a, name, "centred"),
                                      vector_context(ctx, run, "centred"),
                                      metric=f"classifier flip rate (centred vectors) at {a}"))
            out += _readable_and_platform(ev, run, recog.get(name), name, ctx)
        else:
            out.append(C6.finding(ev, c, ctx, metric=f"classifier flip rate ({name})"))
    return out


PLATFORM_METRIC_C6 = "classifier flip rate (platform vectors)"


def _readable_and_platform(ev: Evidence, run: SteeringRun, recog: dict[str, Recognition] | None, name: str,
                           ctx: dict[str, Any]) -> list[Finding]:
    """On a readable-grid run: the primary classifier's flips at the readable strength, and the
    platform vectors' at the judged and the readable strength, each against the random direction
    at the same strength."""
    if not has_readable_grid(run):
        return []
    arms: list[tuple[Direction, str]] = [("emotion", C6.metric)]
    out = []
    if "platform" in run.vectors:
        arms.append(("platform", PLATFORM_METRIC_C6))
        out.append(C6.finding(ev, classifier_flips(run, recog, th.SCENARIO_STRENGTH, name, "platform"),
                              vector_context(ctx, run, "platform"), metric=PLATFORM_METRIC_C6))
    for direction, metric in arms:
        check, extra = at_readable(run, direction, ("random",),
                                   lambda a, d=direction: classifier_flips(run, recog, a, name, d))
        out.append(C6.finding(ev, check, {**vector_context(ctx, run, direction), **extra},
                              metric=f"{metric} {READABLE_LABEL}"))
    return out


def pooled_flips(runs: Sequence[SteeringRun], prompting: str, profile: str,
                 recognition: dict[str, Recognition] | None = None,
                 strength: float = th.SCENARIO_STRENGTH) -> tuple[str, Finding]:
    """C6 pooled over models (the paper's 37/40 pools nine): the pooled record's model name and
    finding. Prompts of different models are independent samples; the McNemar pairs pool, so
    the pooled test is a function of each model's counts (:func:`pool_flips`)."""
    checks = {run.model: asdict(classifier_flips(run, recognition, strength).details) for run in runs}
    excluded = unrecognised_targets(recognition, runs[-1]) if runs else {}
    return pool_flips({m: _counts(d) for m, d in checks.items()}, prompting, profile,
                      runs[0].classifiers[0] if runs[0].classifiers else runs[0].classifier.split()[0],
                      excluded, strength)


def _counts(d: dict[str, Any]) -> dict[str, int]:
    """A model's flip counts from its C6 details (a record's, or a check's as a dict)."""
    mc = d.get("mcnemar") or {}
    return {"flips": int(d.get("flips") or 0), "n": int(d.get("n") or 0),
            "random_flips": int(d.get("random_flips") or 0), "random_n": int(d.get("random_n") or 0),
            "emotion_only": int(mc.get("emotion_only", 0)), "random_only": int(mc.get("random_only", 0)),
            "collapsed": int(d.get("collapsed") or 0), "n_readable": int(d.get("n_readable") or 0)}


def pool_flips(counts: dict[str, dict[str, int]], prompting: str, profile: str, classifier: str,
               excluded: dict[str, str], strength: float = th.SCENARIO_STRENGTH,
               strengths: dict[str, float] | None = None, metric: str | None = None) -> tuple[str, Finding]:
    """The pooled C6 finding from each model's flip counts (flips, n, random_flips, and the
    McNemar discordant counts emotion_only / random_only): a live run and a merge of runs
    (:func:`pooled_records`) compute it the same way. The pooled value depends on which
    models are pooled, so the set is part of its name (and of its baseline and expected outcome).
    ``strengths``: each model read at its own strength (the readable pool), named in the reason."""
    k, n, rk, rn, only_e, only_r, collapsed, readable = (
        sum(c.get(f, 0) for c in counts.values())
        for f in ("flips", "n", "random_flips", "random_n", "emotion_only", "random_only", "collapsed", "n_readable"))
    p = mcnemar_p(only_e, only_r)
    models = sorted(counts)
    excluded = dict(sorted(excluded.items()))  # as results.json stores it, so a merge words it alike
    details = PooledFlipsDetails(strength=strength, flips=k, n=n, random_flips=rk, random_n=rn,
                                 classifier=classifier, random_rate=rk / rn if rn else None,
                                 mcnemar={"emotion_only": only_e, "random_only": only_r, "p": p},
                                 collapsed=collapsed, n_readable=readable, models=models, excluded=excluded,
                                 strengths=dict(sorted((strengths or {}).items())))
    vectors = "the platform vectors at " if (metric or "").startswith(PLATFORM_METRIC_C6) else ""
    at = vectors + (f"each model's readable strength ({', '.join(f'{m} {a:g}' for m, a in details.strengths.items())})"
                    if strengths else f"strength {strength}")
    name = pooled_key(models)
    if n == 0:
        check: Check[Any] = Check(None, None, "no readable steered text to count in any model", details,
                                  outcome="inconclusive" if readable else None)
    else:
        bound, passes, ruled, small = flip_ruling(k, n, collapsed)
        ci = bound.interval
        ctrl = _random_control(rk, rn, p)
        check = Check(passes, k / n, f"{k}/{n} flips pooled over {', '.join(models)} at {at}, of "
                      f"{readable} countable prompts of which {collapsed} collapsed (95% interval {fmt(ci[0], 2)}-"
                      f"{fmt(ci[1], 2)}: ruled out below the paper's {th.FLIP_RATE_MIN:.0%}, shown from "
                      f"{th.FLIP_RATE_FLOOR:.0%}); random direction {rk}/{rn} ({p_text(p)})"
                      + (f"; left out: {', '.join(excluded)} (target not recognised)" if excluded else "") + small,
                      details, outcome=decide(passes, [ctrl]), interval=ci,
                      controls=shown(passes, [ctrl]), ruled_out=ruled)
    return name, Finding(metric or C6.metric, check, {"method": prompting, "profile": profile}, _c6_paper(name, ""))


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


def pooled_readable_records(records: Sequence[ClaimRecord]) -> list[ClaimRecord]:
    """C6 at the readable strength pooled over the models that have one, each model read at its
    own readable strength against the random direction there, per prompting mode and steering arm
    (two models or more). A reading beside the paper-strength pool, built from the per-model
    records alike by a live run and a merge; models with nothing readable stay out of it."""
    out = []
    for arm in (C6.metric, PLATFORM_METRIC_C6):
        metric = f"{arm} {READABLE_LABEL}"
        per_model = [r for r in records if r.claim == C6.id and r.metric == metric and not is_pooled(r.model)
                     and r.details.get("readable_strength") is not None]
        for prompting in PROMPTINGS:
            recs = sorted((r for r in per_model if r.details.get("method") == prompting), key=lambda r: r.model)
            if len(recs) < 2:
                continue
            d = recs[0].details
            excluded = {s: w for r in recs for s, w in (r.details.get("excluded") or {}).items()}
            name, finding = pool_flips({r.model: _counts(r.details) for r in recs}, prompting, d.get("profile", ""),
                                       d.get("classifier", ""), excluded, math.nan,
                                       {r.model: float(r.details["readable_strength"]) for r in recs}, metric)
            out.append(to_record(C6.id, name, finding))
    return out


def _c6_paper(model: str, family: str, axis_value: str = "") -> PaperRef:
    f = paper_values()["classifier_flips"]
    return PaperRef(f["rate"], f"section 5.2: {f['flips']}/{f['pairs']} scenario pairs, {f['classifier']}")


def flips_table(records: list[ClaimRecord], kinds: dict[str, str]) -> str:
    f = paper_values()["classifier_flips"]
    recs = sorted((r for r in records if r.claim == "C6"), key=lambda r: (is_pooled(r.model), r.model,
                                                                           str(r.method), r.metric))
    rows = [["paper (9 models)", "—", f["classifier"], "emotion", "—", f"{f['flips']}/{f['pairs']}", f["rate"], "—",
             "—", "—", "—"]]
    for r in recs:
        d = parse_details(FlipsDetails, r.details)
        if d is None:
            continue
        # A pooled record's details would parse as a model's too, with the default direction: its arm is in the metric.
        pooled, m = ((parse_details(PooledFlipsDetails, r.details), None) if is_pooled(r.model)
                     else (None, parse_details(ModelFlipsDetails, r.details)))
        direction = m.direction if m else "platform" if r.metric.startswith(PLATFORM_METRIC_C6) else "emotion"
        excluded = ", ".join(r.details.get("excluded") or {}) or "—"
        at = (f"{direction} @ each model's readable strength ("
              + ", ".join(f"{mm} {a:g}" for mm, a in pooled.strengths.items()) + ")"
              if pooled and pooled.strengths else f"{direction} @ {d.strength}" + readable_tag(r.metric, r.details))
        rows.append([r.model, r.method, d.classifier, at,
                     f"{d.collapsed}/{d.n_readable}" if d.n_readable else "—", f"{d.flips}/{d.n}",
                     fmt_ci(r.value, r.details.get("interval"), 2), f"{d.random_flips}/{d.random_n}",
                     fmt(d.mcnemar.get("p"), 2), excluded, r.verdict])
    agree = [(r.model, r.method, parse_details(ModelFlipsDetails, r.details)) for r in recs if r.metric == C6.metric]
    lines = [f"- {m}, {p}: {a.agreement['classifiers'][0]} and {a.agreement['classifiers'][1]} agree on "
             f"{fmt(a.agreement['agreement'], 2)} of {a.agreement['n']} steered texts at 0.02 with words (every "
             "scenario, degenerate texts included, since nrclex recognises no target) (kappa "
             f"{fmt(a.agreement['kappa'], 2)}; flips {a.agreement['flips'][0]} vs {a.agreement['flips'][1]})"
             for m, p, a in agree if a and a.agreement.get("n")]
    return "\n".join([table(rows, ["model", "prompting", "classifier", "vectors @ strength",
                                   "collapsed, of countable prompts", "flips, of the rest", "rate [95%]",
                                   "random direction", "McNemar p", "left out (target not recognised)",
                                   "verdict"]), "", *lines, *([""] if lines else []),
                      steering_caption([r for r in recs if not is_pooled(r.model)],
                                       "countable = healthy unsteered text with words and a target the classifier "
                                       "recognises; flip = the target labels' score moves the scenario's way from "
                                       "the unsteered continuation of the same prompt; a steered text that collapses "
                                       "is counted apart, never a flip or a non-flip; verdict: ruled out when the "
                                       f"rate's interval lies below the paper's {th.FLIP_RATE_MIN}, holds when it "
                                       f"reaches it and lies at or above {th.FLIP_RATE_FLOOR}; McNemar: exact "
                                       "one-sided test that the steering vector flips more prompts than the random "
                                       "direction, on the prompts where both texts are healthy")])


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
    id="C6", short="classifier confirms ~92% of flips", section="5.2", statement="the external classifier confirms about 92% of flips (37/40)",
    axis="prompting mode", axis_values=PROMPTINGS,
    metric="classifier flip rate", details=FlipsDetails, check=_c6_check, applies=steering_applies,
    paper=_c6_paper, tables=(Table("Classifier validation: emotion recognised on known-emotion passages",
                                   recognition_table),
                             Table("Section 5.2: classifier flips", flips_table)),
    test=("over prompts with a healthy unsteered text and a target the classifier recognises, "
          "collapsed steered texts counted apart: the share of the rest whose target score moves the "
          "scenario's way at the scenario strength; Clopper-Pearson interval wholly below the paper's "
          "rate rules it out, reaching it while at or above the floor shows it; per model and pooled"),
    control=("the random direction's flips on the same prompts (exact one-sided McNemar); the "
             "second classifier and the two classifiers' agreement beside"),
    thresholds=("FLIP_RATE_MIN", "FLIP_RATE_FLOOR", "SCENARIO_STRENGTH", "CONTROL_ALPHA", "MIN_PAIRS",
                "RECOGNITION_ALPHA"),
    count=lambda d: f"{d.flips}/{d.n}" + (f", {d.collapsed} collapsed" if d.collapsed else ""))


