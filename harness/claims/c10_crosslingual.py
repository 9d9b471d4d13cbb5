"""C10 (paper 6.1): strong steering leaks Chinese tokens in Qwen, not in other families."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

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
from harness.claims.markdown import fmt, provenance, table
from harness.claims.record import ClaimRecord
from harness.claims.ruling import Bound, all_of
from harness.claims.steering_rows import key_of, p_text, rows_by_prompt, shown, steering_applies
from harness.experiments.script_control import ScriptControl
from harness.experiments.steering_grid import PROMPTINGS, SteeringRun, SteerRow
from harness.metrics.paired import paired_greater, proportion_interval
from harness.metrics.textstats import SCRIPTS
from harness.stimuli.loading import paper_values

REPORTED_SCRIPTS = (*SCRIPTS, "other")  # Han, kana, Hangul, and other non-Latin letters


@dataclass(frozen=True)
class CrossLingualDetails:
    strengths: list[float]
    scripts: dict[str, dict[str, int]]  # source (emotion/unsteered/random) -> script -> characters
    prompts_with: dict[str, dict[str, int]]  # source -> script -> prompts whose texts contain it
    evidence: str  # none / unclear / leak (at any strength, after Holm)
    by_strength: dict[str, dict[str, Any]]  # strength -> Han counts, paired interval, Holm p, leak
    expects_leak: bool
    control_han: int  # Han characters the model writes continuing Chinese prose (positive control)
    control_texts: list[str]
    examples: list[str]
    emoji: int
    unsteered: float
    random: float
    prompts_with_han: list[int]  # [distinct prompts whose emotion-steered texts carry Han, prompts]


def _script_counts(rows: Sequence[SteerRow]) -> tuple[dict[str, int], dict[str, int]]:
    """Characters per script, and the number of prompts whose texts contain it: a prompt counts
    once, whatever its strengths, and prompts whose texts are word for word the same count once
    (a vector that writes one string whatever the prompt is one observation, not several)."""
    chars = {s: sum((r.stats.get("script_chars") or {}).get(s, 0) for r in rows) for s in REPORTED_SCRIPTS}
    prompts = {}
    for s in REPORTED_SCRIPTS:
        having = [r for r in rows if (r.stats.get("script_chars") or {}).get(s, 0) > 0]
        prompts[s] = min(len({key_of(r) for r in having}), len({r.text for r in having}))
    return chars, prompts


def _han(r: SteerRow) -> int:
    return (r.stats.get("script_chars") or {}).get("han", 0)


def _han_share(rows: Sequence[SteerRow]) -> float:
    total = sum(r.stats.get("n_chars", 0) for r in rows)
    return sum(_han(r) for r in rows) / total if total else 0.0


def expects_cjk_leak(family: str) -> bool:
    """Section 6.1: steering Qwen2.5 produces Chinese tokens; no other family was reported to."""
    return family in paper_values()["cross_lingual"]["families_leaking"]


def leak_evidence(chars: int, prompts: int, shown: bool) -> str:
    """"none" (fewer Han characters than the minimum), "leak" (enough characters from enough
    prompts, and more than the unsteered texts of the same prompts: ``shown``), else "unclear"."""
    if chars < th.CJK_MIN_CHARS:
        return "none"
    if prompts >= th.CJK_MIN_PROMPTS and shown:
        return "leak"
    return "unclear"


def _boot_means(d: np.ndarray) -> np.ndarray:
    """Bootstrap means of the per-prompt differences (resampling prompts)."""
    rng = np.random.default_rng(th.SEED)
    return d[rng.integers(0, len(d), size=(LEAK_RESAMPLES, len(d)))].mean(1)


LEAK_RESAMPLES = 9999


def _by_strength(run: SteeringRun, strengths: Sequence[float]) -> dict[float, dict[str, Any]]:
    """Per strength: Han in the emotion-steered texts against the unsteered text of the same prompt
    (per-prompt difference, bootstrap over prompts), Holm over the strengths: the strength with the
    k-th smallest bootstrap p is read at level alpha / (m - k + 1) and leaks when every strength
    before it did, its interval's lower end at that level lies above 0, and it has the minimum
    characters and prompts."""
    base = {key_of(r): _han(r) for r in run.select("emotion", 0.0)}
    out: dict[float, dict[str, Any]] = {}
    for a in strengths:
        emo, rnd = rows_by_prompt(run, "emotion", a), rows_by_prompt(run, "random", a)
        keys = sorted(k for k in emo if k in base)
        d = np.array([_han(emo[k]) - base[k] for k in keys], float)
        boot = _boot_means(d) if len(d) else np.array([0.0])
        chars, prompts = _script_counts([emo[k] for k in keys])
        rchars, rprompts = _script_counts(list(rnd.values()))
        p_random = paired_greater([_han(emo[k]) for k in keys if k in rnd], [_han(rnd[k]) for k in keys if k in rnd])
        out[a] = {"han": chars["han"], "prompts": prompts["han"], "mean_difference": float(d.mean()) if len(d) else 0.0,
                  "p": float((np.sum(boot <= 0) + 1) / (len(boot) + 1)), "random_han": rchars["han"],
                  "random_prompts": rprompts["han"], "p_beats_random": p_random, "_boot": boot}
    m, going = len(out), True
    for rank, a in enumerate(sorted(out, key=lambda x: out[x]["p"])):
        level = th.CONTROL_ALPHA / (m - rank)
        lo, hi = np.quantile(out[a]["_boot"], [level, 1 - level])
        shown = going and bool(lo > 0)
        going = shown
        s = out[a]
        s.update(interval=[float(lo), float(hi)], level=1 - level,
                 p_holm=min(1.0, max([s["p"] * (m - rank), *(out[b]["p_holm"] for b in out if "p_holm" in out[b])])),
                 leaks=shown and s["han"] >= th.CJK_MIN_CHARS and s["prompts"] >= th.CJK_MIN_PROMPTS)
    for s in out.values():
        del s["_boot"]
    return out


def cross_lingual(run: SteeringRun, expects_leak: bool, control: ScriptControl) -> Check[CrossLingualDetails]:
    """C10: Han characters in the emotion-steered texts at every strength where the random
    direction also runs, judged by one rule for every family (leak_evidence, _by_strength).
    Qwen: a leak that the random direction does not match holds; no Han (too few prompts with
    any, by their interval) rules it out. Other families: a leak rules "no leak" out; no Han
    holds. An absence counts only where the positive control shows the count sees Han on this
    model (it continues Chinese prose with Han): otherwise it is not applicable."""
    strengths = list(th.RANDOM_STRENGTHS)
    emo = [r for a in strengths for r in run.select("emotion", a)]
    rnd = [r for a in strengths for r in run.select("random", a)]
    base = run.select("emotion", 0.0)
    counts = {name: _script_counts(rows) for name, rows in (("emotion", emo), ("unsteered", base), ("random", rnd))}
    by = _by_strength(run, strengths)
    leaking = [a for a in strengths if by[a]["leaks"]]
    han, han_prompts = counts["emotion"][0]["han"], counts["emotion"][1]["han"]
    evidence = leak_evidence(han, han_prompts, bool(leaking))
    n_prompts = len({key_of(r) for r in base})
    sees_han = control.han_chars >= th.CJK_MIN_CHARS
    details = CrossLingualDetails(
        strengths=strengths, scripts={k: v[0] for k, v in counts.items()},
        prompts_with={k: v[1] for k, v in counts.items()}, evidence=evidence,
        by_strength={str(a): v for a, v in by.items()}, expects_leak=expects_leak, control_han=control.han_chars,
        control_texts=list(control.texts), examples=[r.text for r in emo if any((r.stats.get("script_chars") or {}).values())][:3],
        emoji=sum(r.stats["emoji"] for r in emo), unsteered=_han_share(base), random=_han_share(rnd),
        prompts_with_han=[han_prompts, n_prompts])
    per = "; ".join(f"{a}: Han {v['han']} chars from {v['prompts']} prompts, {fmt(v['mean_difference'], 2)} per prompt "
                    f"over unsteered [{fmt(v['interval'][0], 2)}, {fmt(v['interval'][1], 2)}] at {v['level']:.3f} "
                    f"(Holm p {fmt(v['p_holm'], 2)}){' LEAK' if v['leaks'] else ''}; random {v['random_han']} from "
                    f"{v['random_prompts']}" for a, v in by.items())
    other = ", ".join(f"{s} {counts['emotion'][0][s]} chars from {counts['emotion'][1][s]} prompts"
                      for s in REPORTED_SCRIPTS if s != "han")
    positive = ControlReading("positive control: the model continuing Chinese prose",
                              f"{control.han_chars} Han characters in {len(control.texts)} continuations",
                              False if sees_han else None)
    desc = (f"Han {han} chars from {han_prompts} of {n_prompts} prompts at strengths {strengths} -> {evidence} (a leak "
            f"needs >= {th.CJK_MIN_CHARS} chars from >= {th.CJK_MIN_PROMPTS} prompts at one strength, texts word for word "
            f"the same counted once, and more Han than the unsteered text of the same prompt by an interval at the "
            f"Holm level); {per}; positive control {control.han_chars} Han chars; {other}")
    blind = (f"the count never saw Han on this model: continuing {len(control.texts)} openings of Chinese prose it "
             f"wrote {control.han_chars} Han characters (needs {th.CJK_MIN_CHARS}), so an absence of Han says nothing")
    value = _han_share(emo)
    if evidence == "unclear":
        return Check(None, value, f"Han short of the leak rule: {desc}", details, outcome="inconclusive",
                     controls=(positive,))
    if expects_leak:
        if evidence == "leak":
            a = min(leaking, key=lambda x: by[x]["p_holm"])
            p_r = by[a]["p_beats_random"]
            rnd_reading = ControlReading(f"random direction at {a}", f"Han {by[a]['random_han']} from "
                                         f"{by[a]['random_prompts']} prompts; beaten {p_text(p_r)}", p_r >= th.CONTROL_ALPHA)
            bound = Bound(f"Han per prompt over the unsteered text at {a}", by[a]["mean_difference"],
                          tuple(by[a]["interval"]), {"gt": 0}, how=f"interval at the Holm level {by[a]['level']:.3f}")
            passes, _ = all_of([bound])
            return Check(passes, value, f"leak expected (Qwen): {desc}", details,
                         outcome=decide(passes, [rnd_reading]), controls=(rnd_reading, positive))
        if not sees_han:
            return Check(None, value, f"leak expected (Qwen), none seen, but {blind}", details, controls=(positive,))
        ci = proportion_interval(han_prompts, n_prompts)
        bound = Bound("share of prompts whose steered texts carry Han", han_prompts / n_prompts, ci,
                      {"ge": th.CJK_MIN_PROMPTS / n_prompts},
                      how=f"Clopper-Pearson; a leak needs {th.CJK_MIN_PROMPTS} of the {n_prompts} prompts")
        passes, ruled = all_of([bound])
        return Check(passes, value, f"leak expected (Qwen): {desc}", details, outcome=decide(passes, [positive]),
                     interval=ci, controls=shown(passes, [positive]), ruled_out=ruled)
    # "Not in other families" is an absence: shown only where the positive control sees Han.
    rnd_reading = ControlReading("random direction", f"Han {counts['random'][0]['han']} from "
                                 f"{counts['random'][1]['han']} prompts", None)
    if evidence == "leak":
        a = min(leaking, key=lambda x: by[x]["p_holm"])
        bound = Bound(f"Han per prompt over the unsteered text at {a}", by[a]["mean_difference"],
                      tuple(by[a]["interval"]), {"le": 0}, how=f"interval at the Holm level {by[a]['level']:.3f}")
        passes, ruled = all_of([bound])
        return Check(passes, value, f"no leak expected (not Qwen): {desc}", details,
                     outcome=decide(passes, []), controls=(rnd_reading, positive), ruled_out=ruled)
    if not sees_han:
        return Check(None, value, f"no leak expected (not Qwen), none seen, but {blind}", details,
                     controls=(rnd_reading, positive))
    return Check(True, value, f"no leak expected (not Qwen): {desc}", details, outcome=decide(True, [positive]),
                 controls=(rnd_reading, positive))


def _c10_check(ev: Evidence, prompting: str) -> list[Finding]:
    run = ev.steering(prompting)
    check = cross_lingual(run, expects_cjk_leak(ev.handle.family), ev.script_control())
    return [C10.finding(ev, check, ev.steering_context(run))]


def _c10_paper(model: str, family: str, axis_value: str = "") -> PaperRef:
    return PaperRef("leak" if expects_cjk_leak(family) else "no leak",
                    "section 6.1: Chinese tokens under steering in Qwen2.5 only")


def cjk_table(records: list[ClaimRecord], kinds: dict[str, str]) -> str:
    recs = C10.read(records)
    rows = []
    for r, d in recs:
        cell = {src: ", ".join(f"{s} {d.scripts[src][s]} ({d.prompts_with[src][s]})" for s in REPORTED_SCRIPTS)
                for src in ("emotion", "unsteered", "random")}
        per = "; ".join(f"{a}: {v['han']} ({v['prompts']}), {fmt(v['mean_difference'], 2)} "
                        f"[{fmt(v['interval'][0], 2)}, {fmt(v['interval'][1], 2)}]" + (" leak" if v["leaks"] else "")
                        for a, v in d.by_strength.items())
        rows.append([r.model, r.method, cell["emotion"], cell["unsteered"], cell["random"], per, d.evidence,
                     str(d.control_han), f"{r.paper_value}", r.verdict])
    return "\n".join([table(rows, ["model", "prompting", "steered: chars (prompts) by script", "unsteered",
                                   "random direction", "per strength: Han chars (prompts), per-prompt excess over "
                                   "unsteered [Holm-level interval]", "Han evidence",
                                   "positive control: Han chars continuing Chinese prose", "paper", "C10"]), "",
                      provenance([r for r, _ in recs], "Paper: Chinese tokens appear under steering in Qwen2.5 only "
                                 f"(6.1). Emotion-steered and random-direction texts at every strength the random "
                                 f"direction runs at ({list(th.RANDOM_STRENGTHS)}); one rule for every family: a Han "
                                 f"leak needs >= {th.CJK_MIN_CHARS} characters from >= {th.CJK_MIN_PROMPTS} prompts "
                                 "(prompts whose texts are word for word the same count once) at one strength, and "
                                 "more Han than the unsteered text of the same prompt: the bootstrap interval over "
                                 "prompts of the per-prompt excess lies above 0 at its Holm level over the strengths; "
                                 "some Han short of that is 'unclear' (inconclusive); for Qwen a leak must also beat "
                                 "the random direction, and no Han rules it out when too few prompts carry any "
                                 "(Clopper-Pearson); an absence counts only where the model writes Han when it "
                                 "continues Chinese prose (the positive control), else C10 is not applicable; kana, "
                                 "Hangul and other non-Latin letters are counted beside")])


C10: Claim[CrossLingualDetails] = Claim(
    id="C10", short="Chinese tokens in Qwen only", section="6.1",
    statement="steering leaks Chinese tokens in Qwen, not in other families",
    axis="prompting mode", axis_values=PROMPTINGS,
    metric="Han share of steered text", details=CrossLingualDetails, check=_c10_check, applies=steering_applies,
    paper=_c10_paper, tables=(Table("Section 6.1: cross-lingual leakage", cjk_table),),
    test=("Han characters in emotion-steered texts at every strength the random direction runs at: a leak "
          "needs enough characters from enough prompts (texts word for word the same count once) and more "
          "Han than the unsteered text of the same prompt (bootstrap interval over prompts at its Holm "
          "level); Qwen must leak, other families must not; an absence needs the positive control"),
    control=("the unsteered texts of the same prompts, the random direction at the same strengths (Qwen), "
             "and a positive control: the model continuing Chinese prose must write Han, or an absence is "
             "not applicable"),
    thresholds=("RANDOM_STRENGTHS", "CJK_MIN_CHARS", "CJK_MIN_PROMPTS", "CONTROL_ALPHA"))
