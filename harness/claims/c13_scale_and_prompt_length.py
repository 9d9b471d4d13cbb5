"""C13 (not in the paper): under the paper's scale the collapse point moves with prompt
length (the attention sink's norm dominates s_l); under a sink-robust scale it moves less."""

from __future__ import annotations

import math
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
from harness.claims.markdown import fmt, fmt_ci, steering_caption, table
from harness.claims.record import ClaimRecord
from harness.claims.ruling import above, all_of
from harness.claims.steering_rows import (
    Key,
    key_of,
    rows_by_prompt,
    share_of,
    shown,
)
from harness.claims.text_health import (
    healthy_keys,
    is_degenerate,
)
from harness.experiments.extraction import supports
from harness.experiments.steering_grid import SteeringRun
from harness.metrics.paired import (
    bootstrap_interval,
)
from harness.models.loading import ModelHandle


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
        rows = rows_by_prompt(run, "emotion", a, rule=rule, length=length)  # type: ignore[arg-type]
        flags.append(key in rows and is_degenerate(rows[key]))
    for i, a in enumerate(th.SCALE_STRENGTHS):
        if all(flags[i:]):
            return a
    return None


def _set_collapse(run: SteeringRun, keys: Sequence[Key], rule: str, length: str,
                  strengths: Sequence[float] = th.SCALE_STRENGTHS) -> float | None:
    """The lowest of ``strengths`` at which most of ``keys`` give degenerate text (None: none)."""
    for a in strengths:
        rows = rows_by_prompt(run, "emotion", a, rule=rule, length=length)  # type: ignore[arg-type]
        if keys and share_of([k in rows and is_degenerate(rows[k]) for k in keys]) >= th.DEGENERATE_SHARE:
            return a
    return None


def scale_and_length(run: SteeringRun) -> Check[ScaleDetails]:
    """C13: abs(log2 collapse(long) - log2 collapse(short)) per prompt, paper's rule minus the
    sink-robust rule, paired over prompts; holds when its bootstrap interval lies above 0."""
    diag = run.diagnostics
    keys_all = sorted({key_of(r) for r in run.rows if r.length == "long"})
    healthy = set(healthy_keys(run)) & set(healthy_keys(run, length="long"))
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
                        and r.direction == "emotion" and r.strength > 0 and key_of(r) in set(keys_all)})
        c = _set_collapse(run, sorted(set(healthy_keys(run)) & set(keys_all)), rule, "short", swept)
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
    passes, ruled = (all_of([above("mean abs log2 shift, paper's scale minus sink-robust", mean, ci, 0.0)])
                     if len(diff) >= th.SCALE_MIN_PROMPTS else (None, None))
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
                 controls=shown(passes, [ctrl]), ruled_out=ruled)


def _c13_check(ev: Evidence, prompting: str) -> list[Finding]:
    run = ev.steering(prompting)
    return [C13.finding(ev, scale_and_length(run), ev.steering_context(run))]


def _c13_applies(handle: ModelHandle, prompting: str) -> str | None:
    return supports(handle, "comprehension")


def _c13_paper(model: str, family: str, axis_value: str = "") -> PaperRef:
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
                                                          "length", scale_table),),
    test=("per prompt healthy unsteered, abs(log2 collapse(long) - log2 collapse(short)) under the"
          " paper's scale minus the same under the sink-robust scale; bootstrap interval above 0 "
          "over at least the minimum number of prompts"),
    control=("the sink-robust scale on the same prompts"),
    thresholds=("SCALE_STRENGTHS", "SCALE_PROMPTS_PER_SCENARIO", "SCALE_MIN_PROMPTS", "DEGENERATE_SHARE"))

