"""C12 (a control the paper lacks): separation is emotion-specific: S below a label-shuffled
null, and held-out passages labelled above chance."""

from __future__ import annotations

from dataclasses import dataclass

from scipy import stats

from harness import thresholds as th
from harness.claims.base import (
    Check,
    Claim,
    ControlReading,
    Evidence,
    Finding,
    Table,
    decide,
)
from harness.claims.geometry_judging import (
    RANDOM_COPY,
    GeometryResult,
    caption,
    extraction_applies,
    geometry_findings,
    no_paper_number,
)
from harness.claims.markdown import fmt, fmt_ci, table
from harness.claims.record import ClaimRecord
from harness.claims.ruling import Bound, all_of
from harness.errors import HarnessError
from harness.experiments.extraction import METHODS
from harness.experiments.geometry_run import Geometry
from harness.metrics.paired import mcnemar_greater


@dataclass(frozen=True)
class SpecificityDetails:
    S: float
    null_mean: float
    null_sd: float
    null_p05: float
    null_k: int  # shuffles with S at or below the observed
    n_permutations: int
    p: float  # (k + 1) / (N + 1)
    p_mc_interval: list[float]
    strata: str
    heldout_kind: str
    heldout_top1: float
    heldout_n: int
    heldout_ci: list[float]
    heldout_p: float
    heldout_best_block: int
    heldout_best_top1: float
    transfer_top1: float | None  # generation vectors labelling held-out passages
    baseline: str
    layer: int
    null_p05_per_block: list[float]


CHANCE = 1 / 20


def heldout_bound(top1: float, interval: tuple[float, float]) -> Bound:
    """Held-out top-1 above 20-way chance: shown when its exact interval lies above chance,
    ruled out when it lies below chance plus the equivalence margin."""
    edge = CHANCE + th.HELDOUT_EQUIVALENCE_MARGIN
    return Bound("held-out top-1", top1, interval, {"gt": edge}, shows={"gt": CHANCE},
                 how=f"shown above chance {CHANCE:g}; ruled out by equivalence: HELDOUT_EQUIVALENCE_MARGIN = "
                     f"{th.HELDOUT_EQUIVALENCE_MARGIN} above chance")


def c12_test(g: Geometry, block: int | None) -> GeometryResult[SpecificityDetails]:
    r = g.at(block)
    t = r.null
    below = t.below(th.SPECIFICITY_ALPHA)
    hits = round(r.heldout_top1 * r.n_heldout)
    binom = stats.binomtest(hits, r.n_heldout, 1 / 20, alternative="greater")
    held_ci = stats.binomtest(hits, r.n_heldout).proportion_ci(th.BOOTSTRAP_CONFIDENCE, method="exact")
    margin = th.SPECIFICITY_EQUIVALENCE_SD * t.null_sd
    bounds = (Bound("emotion-specific separation (null mean - S)", r.specific, r.specific_ci, {"gt": margin},
                    uses_shown=True, shown=below,
                    how=f"shown by the permutation p; ruled out by equivalence: margin SPECIFICITY_EQUIVALENCE_SD = "
                        f"{th.SPECIFICITY_EQUIVALENCE_SD} null sd = {margin:.4g}"),
              heldout_bound(hits / r.n_heldout, (held_ci.low, held_ci.high)))
    mc = t.mc_interval
    best = max(range(g.n_layers), key=lambda i: g.heldout_top1[i])
    reason = (f"S {t.observed:.3f} vs label-shuffled null mean {t.null_mean:.3f} (sd {t.null_sd:.3f}) at block "
              f"{r.block}: permutation p = ({t.k}+1)/({t.n}+1) = {t.p:.4g}"
              + (" (no shuffle as low: the smallest p this many shuffles can give)" if t.at_floor else "")
              + f", Monte-Carlo 95% [{mc[0]:.4g}, {mc[1]:.4g}] (needs < {th.SPECIFICITY_ALPHA}); null mean - S "
              f"{r.specific:.4f} [{r.specific_ci[0]:.4f}, {r.specific_ci[1]:.4f}] (ruled out below {margin:.4f}); "
              f"{g.heldout_kind} "
              f"top-1 {r.heldout_top1:.3f} of {r.n_heldout} [{held_ci.low:.3f}, {held_ci.high:.3f}] (its interval must "
              f"lie above chance 0.05, ruled out below {CHANCE + th.HELDOUT_EQUIVALENCE_MARGIN:g}; binomial "
              f"p={binom.pvalue:.3g})"
              + (f"; transfer to held-out passages {r.transfer_top1:.3f}" if r.transfer_top1 is not None else ""))
    note = f"floor: no shuffle of {t.n} as low" if t.at_floor else None
    return GeometryResult(bounds, t.p, mc, reason, note=note, details=SpecificityDetails(
        S=t.observed, null_mean=t.null_mean, null_sd=t.null_sd, null_p05=t.null_p05, null_k=t.k,
        n_permutations=t.n, p=t.p, p_mc_interval=list(mc), strata=g.strata, heldout_kind=g.heldout_kind,
        heldout_top1=r.heldout_top1, heldout_n=r.n_heldout, heldout_ci=[held_ci.low, held_ci.high],
        heldout_p=binom.pvalue, heldout_best_block=best, heldout_best_top1=g.heldout_top1[best],
        transfer_top1=r.transfer_top1, baseline="neutral", layer=r.block, null_p05_per_block=g.null_p05))


def c12_null(g: Geometry, block: int | None, control: Geometry | None) -> ControlReading:
    return ControlReading("label-shuffled null mean S (the test's reference)", g.at(block).null.null_mean, None)


@dataclass(frozen=True)
class TransferDetails:
    transfer: dict[str, float]
    layer: int
    chance: float


@dataclass(frozen=True)
class HeldoutDetails:
    heldout_kind: str
    heldout_n: int
    heldout_p: float
    heldout_best_block: int
    heldout_best_top1: float
    transfer_top1: float | None
    layer: int
    right_only_model: int  # held-out items the model labels right and its random-weight copy wrong
    right_only_copy: int
    p_beats_copy: float  # exact one-sided McNemar


def _heldout_reading(d: SpecificityDetails, copy: SpecificityDetails, model_hits: tuple[bool, ...],
                     copy_hits: tuple[bool, ...]) -> Check[HeldoutDetails]:
    """C12's second half on its own row: held-out top-1 at the middle block vs 20-way chance,
    against the random-weight copy labelling the same items (exact one-sided McNemar: a copy at
    chance straddles 0.05 at any size, so "the copy passes too" is decided pair by pair)."""
    side, ruled = all_of([heldout_bound(d.heldout_top1, (d.heldout_ci[0], d.heldout_ci[1]))])
    if len(model_hits) != len(copy_hits) or not model_hits:
        raise HarnessError(f"C12: the model labelled {len(model_hits)} held-out items and its random-weight copy "
                           f"{len(copy_hits)}; rerun both from the same extraction")
    only_model, only_copy, p = mcnemar_greater(model_hits, copy_hits)
    control = ControlReading(RANDOM_COPY, f"top-1 {copy.heldout_top1:.3f}; the model beats it p={p:.2g} (exact "
                             f"McNemar: {only_model} items right only for the model, {only_copy} only for the copy)",
                             p >= th.CONTROL_ALPHA)
    verdict = decide(side, [control])
    return Check(verdict == "holds", d.heldout_top1, f"{d.heldout_kind} top-1 {d.heldout_top1:.3f} of {d.heldout_n} "
                 f"[{d.heldout_ci[0]:.3f}, {d.heldout_ci[1]:.3f}] vs chance 0.05 at block {d.layer} (one half of "
                 f"C12; best block {d.heldout_best_block}: {d.heldout_best_top1:.3f}); random-weight copy on the same "
                 f"items {copy.heldout_top1:.3f}, beaten p={p:.2g} (needs < {th.CONTROL_ALPHA})",
                 HeldoutDetails(heldout_kind=d.heldout_kind, heldout_n=d.heldout_n, heldout_p=d.heldout_p,
                                heldout_best_block=d.heldout_best_block, heldout_best_top1=d.heldout_best_top1,
                                transfer_top1=d.transfer_top1, layer=d.layer, right_only_model=only_model,
                                right_only_copy=only_copy, p_beats_copy=p),
                 outcome=verdict, interval=(d.heldout_ci[0], d.heldout_ci[1]), controls=(control,), ruled_out=ruled)


def _c12_check(ev: Evidence, method: str) -> list[Finding]:
    out = geometry_findings(C12, ev, method, c12_test, c12_null)
    hits = [ev.geometry(method, "primary", w).at().heldout_hits for w in ("trained", "random")]
    out.append(C12.finding(ev, _heldout_reading(out[0].check.details, out[1].check.details, *hits),
                           ev.context(method), "heldout_top1"))
    if ev.replication is not None and method == "comprehension":
        acc = ev.cross_set_transfer()
        g = ev.geometry(method)
        out.append(C12.finding(ev, Check(None, min(acc.values()), "cross-set transfer: comprehension vectors of one "
                                         "stimulus set labelling the other set's held-out passages: "
                                         + ", ".join(f"{k} {v:.3f}" for k, v in acc.items()),
                                         TransferDetails(transfer=acc, layer=g.middle, chance=1 / 20)),
                               ev.context(method), "cross_set_transfer_top1"))
    return out


def specificity_table(records: list[ClaimRecord], kinds: dict[str, str]) -> str:
    recs = C12.read(records)
    rows = [[r.model, r.method, fmt(d.S), f"{fmt(d.null_mean)} (sd {fmt(d.null_sd, 2)})",
             (f"<= {fmt(d.p, 2)} (floor: no shuffle as low of {d.n_permutations})" if d.null_k == 0 else
              f"{fmt(d.p, 3)} [{fmt(d.p_mc_interval[0], 2)}, {fmt(d.p_mc_interval[1], 2)}] of {d.n_permutations}"),
             d.heldout_kind, fmt_ci(d.heldout_top1, d.heldout_ci), fmt(d.transfer_top1), r.verdict]
            for r, d in recs]
    return "\n".join([table(rows, ["model", "method", "S", "null mean", "permutation p [MC 95%]",
                                   "held-out", "held-out top-1 (chance 0.05)", "transfer to passages", "C12"]), "",
                      caption([r for r, _ in recs], (
                          "neutral baseline; null: emotion labels shuffled (generation: within each story index, "
                          "so every shuffled class keeps one story per topic); p = (k+1)/(N+1) with its "
                          "Monte-Carlo interval; generation's held-out is leave-one-story-out, its labelling of "
                          "held-out passages is transfer; the paper has no such control"))])


def controls_table(records: list[ClaimRecord], kinds: dict[str, str]) -> str:
    """Every geometry verdict beside the random-weight copy's and the second stimulus set's."""
    rows = []
    sets: set[str] = set()
    from harness.claims import CLAIMS  # every geometry claim's records, read at render time

    for claim in (c for c in CLAIMS if c.axis == "extraction method"):
        for r in sorted((r for r in records if r.claim == claim.id and r.metric == claim.metric
                         and r.verdict != "not applicable"), key=lambda r: (r.model, r.method)):
            copy = next((x for x in records if x.claim == claim.id and x.model == r.model and x.method == r.method
                         and x.metric == f"{claim.metric} ({RANDOM_COPY})"), None)
            rep = next((x for x in records if x.claim == claim.id and x.model == r.model and x.method == r.method
                        and x.metric.startswith(f"{claim.metric} (stimuli ")), None)
            if rep is not None:
                sets.add(str(rep.details.get("stimulus_set")))
            adj = r.details.get("adjacent_blocks") or {}
            vals = r.details.get("adjacent_values") or {}
            agree = ("—" if rep is None else "agrees" if rep.verdict == r.verdict else "stimulus-dependent")
            rows.append([claim.id, r.model, r.method, r.verdict,
                         ", ".join(f"{b}: {adj[b]} ({fmt(vals.get(b))})" for b in sorted(adj, key=int)) or "—",
                         copy.verdict if copy else "—", rep.verdict if rep else "—", agree])
    transfer = [[r.model, ", ".join(f"{k} {fmt(v)}" for k, v in r.details.get("transfer", {}).items())]
                for r in records if r.claim == "C12" and r.metric == "cross_set_transfer_top1"]
    out = [table(rows, ["claim", "model", "method", "verdict", "verdicts at middle-1, middle, middle+1",
                        f"on the {RANDOM_COPY}", f"on stimuli {', '.join(sorted(sets)) or '(none)'}",
                        "between stimulus sets"]), "",
           caption([r for r in records if r.claim == "C12"], (
               "the random-weight copy has the model's architecture and tokenizer with seeded random weights (it "
               "re-reads the model's own stories for generation); the second stimulus set is a comprehension set "
               "drafted from randomly drawn scenes by a writer who had not read the first, so generation rows have "
               "no replication"))]
    if transfer:
        out += ["", table(transfer, ["model", "cross-set transfer: top-1 on the other set's held-out passages "
                                     "(middle block, chance 0.05)"])]
    return "\n".join(out)


C12: Claim[SpecificityDetails] = Claim(
    id="C12", short="emotion-specific (our control)", section="control the paper lacks",
    statement="separation is emotion-specific: below a label-shuffled null, and held-out passages above chance",
    axis="extraction method", axis_values=METHODS,
    metric="permutation_p", details=SpecificityDetails, check=_c12_check,
    applies=extraction_applies, paper=no_paper_number,
    tables=(Table("Control: emotion specificity (C12)", specificity_table),
            Table("Controls and replication: every geometry verdict", controls_table)),
    test=("S below the label-shuffled null (generation: shuffled within story topic), permutation"
          " p = (k+1)/(N+1) below alpha with its Monte-Carlo interval, and held-out top-1 at the "
          "same block above 20-way chance (exact 95% interval; generation: leave-one-story-out)"),
    control=("the random-weight copy under the same test; on the held-out row, the copy labelling"
             " the same items (exact one-sided McNemar)"),
    thresholds=("SPECIFICITY_ALPHA", "MAX_PERMUTATIONS", "HELDOUT_ALPHA", "CONTROL_ALPHA"))
