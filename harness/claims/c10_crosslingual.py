"""C10 (paper 6.1): strong steering leaks Chinese tokens in Qwen, not in other families."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
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
from harness.claims.markdown import fmt, provenance, table
from harness.claims.record import ClaimRecord
from harness.claims.steering_rows import (
    Key,
    key_of,
    p_text,
    shown,
    steering_applies,
)
from harness.experiments.steering_grid import PROMPTINGS, SteeringRun, SteerRow
from harness.metrics.paired import (
    paired_greater,
)
from harness.metrics.textstats import SCRIPTS
from harness.stimuli.loading import paper_values

REPORTED_SCRIPTS = (*SCRIPTS, "other")  # Han, kana, Hangul, and other non-Latin letters


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
        prompts[s] = min(len({key_of(r) for r in having}), len({r.text for r in having}))
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
            out.setdefault(key_of(r), []).append((r.stats.get("script_chars") or {}).get("han", 0))
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
            f"the same text counted once, and more than the unsteered texts: {p_text(p_u)}); random direction {counts['random'][0]['han']} from "
            f"{counts['random'][1]['han']} prompts (emotion more: {p_text(p_r)}); {other}")
    rnd_reading = ControlReading("random direction", f"Han {counts['random'][0]['han']} from "
                                 f"{counts['random'][1]['han']} prompts; beaten {p_text(p_r)}",
                                 p_r >= th.CONTROL_ALPHA if expects_leak else None)
    if expects_leak:
        passes: bool | None = {"leak": True, "unclear": None, "none": False}[evidence]
        return Check(passes, _han_share(emo), f"leak expected (Qwen): {desc}", details,
                     outcome=decide(passes, [rnd_reading]), controls=shown(passes, [rnd_reading]))
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
    metric="Han share of strongly steered text", details=CrossLingualDetails, check=_c10_check, applies=steering_applies,
    paper=_c10_paper, tables=(Table("Section 6.1: cross-lingual leakage", cjk_table),),
    test=("Han characters in strongly steered texts: a leak needs enough characters from enough "
          "prompts (texts word for word the same count once) and more than the unsteered texts of"
          " the same prompts; Qwen must leak, other families must not; Han short of the rule is "
          "inconclusive"),
    control=("the unsteered texts of the same prompts (paired permutation test) and, for Qwen, "
             "the random direction at the same strengths"),
    thresholds=("STRONG_STRENGTH", "CJK_MIN_CHARS", "CJK_MIN_PROMPTS", "CONTROL_ALPHA"))


