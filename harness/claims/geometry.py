"""The geometry claims C1-C4, C11, C12: declared once each, with check, paper values and tables.

Each check states the paper's claim as a test over the numbers of one extraction
(harness.experiments.geometry_run.Geometry), using only the thresholds in harness.thresholds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from harness import thresholds as th
from harness.claims.base import Check, Claim, Evidence, Finding, PaperRef, Table
from harness.claims.markdown import NOT_RUN, fmt, measured_models, provenance, table
from harness.claims.record import ClaimRecord
from harness.errors import HarnessError
from harness.experiments.extraction import METHODS, supports
from harness.experiments.geometry_run import Geometry
from harness.metrics.geometry import block_at_depth, cosine_matrix, pc_scores
from harness.metrics.stats import compare_lower, heldout_pvalue
from harness.models.loading import ModelHandle
from harness.protocol import middle_block
from harness.stimuli.loading import paper_values


def _depth(layer: int, n_layers: int) -> float:
    return round((layer + 1) / n_layers, 3)


def _extraction_applies(handle: ModelHandle, method: str) -> str | None:
    return supports(handle, method)  # type: ignore[arg-type]


# ---------------------------------------------------------------- C1: the U-curve


@dataclass(frozen=True)
class UCurveDetails:
    best_block: int
    best_value: float
    arm_blocks: dict[str, int]
    arm_gaps: dict[str, float]
    baseline: str
    layer: str


@dataclass(frozen=True)
class UCurveCurves(UCurveDetails):
    """The decisive C1 record also carries every per-block curve behind it."""

    separation_per_block: dict[str, list[float]]
    separation_post_final_norm: dict[str, float]
    null_mean_per_block: list[float]
    null_p05_per_block: list[float]
    heldout_top1_per_block: list[float]
    heldout_top3_per_block: list[float]
    heldout5_top1_per_block: list[float]


def u_curve(curve: list[float], lower_is_better: bool = True) -> Check[UCurveDetails]:
    """C1 on one per-block curve: best block in the accepted depth band, arms worse by a margin."""
    n = len(curve)
    sign = 1.0 if lower_is_better else -1.0
    best = min(range(n), key=lambda i: sign * curve[i])
    arms = {d: block_at_depth(n, d) for d in th.UCURVE_ARMS}
    gaps = {d: sign * (curve[b] - curve[best]) for d, b in arms.items()}
    lo, hi = th.UCURVE_BEST_DEPTH
    depth = _depth(best, n)
    holds = lo <= depth <= hi and all(g > th.UCURVE_MARGIN for g in gaps.values())
    reason = (f"best depth {depth} (block {best}, value {curve[best]:.3f}); accepted [{lo}, {hi}]; "
              + ", ".join(f"gap at depth {d} = {g:.3f}" for d, g in gaps.items())
              + f" (needs > {th.UCURVE_MARGIN})")
    return Check(holds, depth, reason, UCurveDetails(
        best_block=best, best_value=curve[best], arm_blocks={str(d): b for d, b in arms.items()},
        arm_gaps={str(d): g for d, g in gaps.items()}, baseline="neutral", layer="every block"))


def _c1_check(ev: Evidence, method: str) -> list[Finding]:
    g = ev.geometry(method)
    ctx = ev.context(method)
    main = u_curve(g.separation["neutral"])
    curves = UCurveCurves(**vars(main.details), separation_per_block=g.separation,
                          separation_post_final_norm=g.separation_post_norm, null_mean_per_block=g.null_mean,
                          null_p05_per_block=g.null_p05, heldout_top1_per_block=g.heldout_top1,
                          heldout_top3_per_block=g.heldout_top3, heldout5_top1_per_block=g.heldout5_top1)
    # Raw S can track the label-shuffled null; the curve is also read off the emotion-specific
    # part and off held-out accuracy, recorded beside the paper's reading.
    specific = u_curve([n - x for n, x in zip(g.null_mean, g.separation["neutral"], strict=True)],
                       lower_is_better=False)
    heldout = u_curve(g.heldout_top1, lower_is_better=False)
    return [C1.finding(ev, Check(main.holds, main.value, main.reason, curves), ctx),
            C1.finding(ev, specific, ctx, "best_depth_null_minus_separation"),
            C1.finding(ev, heldout, ctx, "best_depth_heldout_top1")]


def _c1_paper(model: str, family: str) -> PaperRef:
    t1 = paper_values()["table1_layer_sweep"]
    return PaperRef(t1["best_depth"], f"Table 1, {t1['model']} (best of layers 6/12/18/24)")


def table1_layer_sweep(records: list[ClaimRecord], kinds: dict[str, str]) -> str:
    t1 = paper_values()["table1_layer_sweep"]
    recs = C1.read(records)
    headers = ["depth", f"paper ({t1['model']}, layer)"] + [f"{r.model} {r.method}" for r, _ in recs]
    rows = []
    for layer, s in sorted((int(k), v) for k, v in t1["layers"].items()):
        depth = layer / 24
        row = [f"{depth:.0%}", f"{s} (L{layer})"]
        for _, d in recs:
            curve = d.separation_per_block["neutral"]
            b = block_at_depth(len(curve), depth)
            row.append(f"{fmt(curve[b])} (block {b})")
        rows.append(row)
    rows.append(["best", f"{t1['best_depth']:.0%}"] + [f"{r.value:.0%} (block {d.best_block})" for r, d in recs])
    return "\n".join([table(rows, headers), "",
                      provenance([r for r, _ in recs], "S = mean pairwise cosine of the 20 vectors, neutral "
                                 "baseline, block nearest each depth")])


C1: Claim[UCurveCurves] = Claim(
    id="C1", section="4.1", statement="separation is best near 50% depth and poor at 25% and 100% (a U-curve)",
    axis="extraction method", axis_values=METHODS,
    metric="best_depth_separation", details=UCurveCurves, check=_c1_check,
    applies=_extraction_applies, paper=_c1_paper,
    tables=(Table("Table 1: layer sweep (separation S by depth)", table1_layer_sweep),))


# ---------------------------------------------------------------- C2: generation vs comprehension


@dataclass(frozen=True)
class GenVsCompDetails:
    s_generation: float
    s_comprehension: float
    u: float
    p_value: float
    ci_low: float
    ci_high: float
    cohens_d: float
    loo_generation: list[float]
    loo_comprehension: list[float]
    baseline: str
    layer: int


def gen_beats_comp(gen: Geometry, comp: Geometry, seed: int = th.SEED) -> Check[GenVsCompDetails]:
    """C2: S_gen < S_comp at the middle block, and LOO Mann-Whitney p < alpha."""
    s_gen = gen.separation["neutral"][gen.middle]
    s_comp = comp.separation["neutral"][comp.middle]
    cmp = compare_lower(gen.loo_middle, comp.loo_middle, seed=seed, resamples=th.BOOTSTRAP_RESAMPLES,
                        confidence=th.BOOTSTRAP_CONFIDENCE)
    holds = s_gen < s_comp and cmp.p_value < th.GEN_VS_COMP_ALPHA
    reason = (f"S_gen {s_gen:.3f} vs S_comp {s_comp:.3f} at block {gen.middle}; LOO Mann-Whitney "
              f"U={cmp.u:.1f} p={cmp.p_value:.4f} (needs < {th.GEN_VS_COMP_ALPHA}); "
              f"diff CI [{cmp.ci_low:.3f}, {cmp.ci_high:.3f}], d={cmp.cohens_d:.2f}")
    return Check(holds, s_comp - s_gen, reason, GenVsCompDetails(
        s_generation=s_gen, s_comprehension=s_comp, u=cmp.u, p_value=cmp.p_value, ci_low=cmp.ci_low,
        ci_high=cmp.ci_high, cohens_d=cmp.cohens_d, loo_generation=gen.loo_middle,
        loo_comprehension=comp.loo_middle, baseline="neutral", layer=gen.middle))


def _c2_check(ev: Evidence, method: str) -> list[Finding]:
    gen, comp = ev.geometry("generation"), ev.geometry("comprehension")
    return [C2.finding(ev, gen_beats_comp(gen, comp), ev.context("generation vs comprehension"))]


def _c2_paper(model: str, family: str) -> PaperRef:
    t2 = paper_values()["table2_separation"]
    row = t2.get(model, {})
    if "generation" in row and "comprehension" in row:
        return PaperRef(round(row["comprehension"] - row["generation"], 3), f"Table 2, {model}")
    ref = t2["smollm2-1.7b-instruct"]
    return PaperRef(round(ref["comprehension"] - ref["generation"], 3), "Table 2, smollm2-1.7b-instruct")


def _s_middle(records: list[ClaimRecord], model: str, method: str) -> float | None:
    for r, d in C1.read(records):
        if r.model == model and r.method == method:
            curve = d.separation_per_block["neutral"]
            return curve[middle_block(len(curve))]
    return None


def table2_separation(records: list[ClaimRecord], kinds: dict[str, str]) -> str:
    t2 = paper_values()["table2_separation"]
    ran_models = measured_models(records)
    rows = []
    for m in list(t2) + [m for m in ran_models if m not in t2]:
        p = t2.get(m, {})
        pg, pc = p.get("generation"), p.get("comprehension")
        ran = m in ran_models
        g, c = (_s_middle(records, m, "generation"), _s_middle(records, m, "comprehension")) if ran else (None, None)
        c2 = [d for r, d in C2.read(records) if r.model == m]
        rows.append([m, kinds.get(m, "?"), fmt(pg), fmt(pc), fmt(round(pc - pg, 3)) if pg and pc else "—",
                     fmt(g) if ran else NOT_RUN, fmt(c) if ran else NOT_RUN,
                     fmt(c - g) if g is not None and c is not None else ("—" if ran else NOT_RUN),
                     fmt(c2[0].p_value) if c2 else "—"])
    headers = ["model", "type", "paper gen", "paper comp", "paper C-G", "measured gen", "measured comp",
               "measured C-G", "LOO Mann-Whitney p"]
    return "\n".join([table(rows, headers), "", provenance(
        [r for r, _ in C1.read(records)], "S at the middle block L//2, neutral "
        "baseline; generation applies to instruct models only")])


def rlhf_table(records: list[ClaimRecord], kinds: dict[str, str]) -> str:
    rows = []
    for base, p in paper_values()["rlhf_generation"].items():
        g_i, g_b = _s_middle(records, f"{base}-instruct", "generation"), _s_middle(records, base, "generation")
        rows.append([base, p["instruct"], p["base"], p["delta"], fmt(g_i) if g_i is not None else NOT_RUN,
                     fmt(g_b) if g_b is not None else NOT_RUN,
                     fmt(g_b - g_i) if g_i is not None and g_b is not None else NOT_RUN])
    return "\n".join([table(rows, ["family (base key)", "paper instruct gen", "paper base gen", "paper delta",
                                   "measured instruct gen", "measured base gen", "measured delta"]), "",
                      "_Generation S at the middle block, neutral baseline; needs a base and an instruct "
                      "model of one family in the run (base models cannot be asked for stories here)._"])


C2: Claim[GenVsCompDetails] = Claim(
    id="C2", section="4.2", statement="generation-based vectors separate better than comprehension-based ones",
    axis="extraction method", axis_values=("generation",),
    metric="s_comp_minus_s_gen", details=GenVsCompDetails, check=_c2_check,
    applies=_extraction_applies, paper=_c2_paper,
    tables=(Table("Table 2: generation vs comprehension", table2_separation),
            Table("Section 4.3: instruction tuning (generation S)", rlhf_table)))


# ---------------------------------------------------------------- C3: opposite pairs


@dataclass(frozen=True)
class OppositePairsDetails:
    neutral: dict[str, float]
    centred: dict[str, float]
    baseline: str
    layer: int
    cosine_matrix: list[list[float]]


def opposite_pairs_positive(g: Geometry) -> Check[OppositePairsDetails]:
    """C3: every opposite-pair cosine > 0 under the neutral baseline (middle block)."""
    cos = g.opposite["neutral"]
    holds = all(c > th.OPPOSITE_MIN_COSINE for c in cos.values())
    reason = ", ".join(f"{k} {v:.3f}" for k, v in cos.items()) + f" (all must be > {th.OPPOSITE_MIN_COSINE})"
    return Check(holds, min(cos.values()), reason, OppositePairsDetails(
        neutral=cos, centred=g.opposite["centred"], baseline="neutral (centred beside)", layer=g.middle,
        cosine_matrix=cosine_matrix(g.vectors["neutral"][g.middle]).tolist()))


def _c3_check(ev: Evidence, method: str) -> list[Finding]:
    return [C3.finding(ev, opposite_pairs_positive(ev.geometry(method)), ev.context(method))]


def _c3_paper(model: str, family: str) -> PaperRef:
    low = min(paper_values()["opposite_pairs"].items(), key=lambda kv: kv[1]["cosine"])
    return PaperRef(low[1]["cosine"], f"section 4.5, lowest reported ({low[0]}, {low[1]['model']})")


def opposite_pairs_table(records: list[ClaimRecord], kinds: dict[str, str]) -> str:
    recs = C3.read(records)
    pv = paper_values()["opposite_pairs"]
    pairs = list(recs[0][1].neutral) if recs else ["happy-sad", "calm-desperate", "loving-hostile", "proud-guilty"]
    rows = [["paper (lowest reported)", "—"] + [
        fmt(pv[p]["cosine"]) + f" ({pv[p]['model']})" if p in pv else "—" for p in pairs] + ["—"]]
    for r, d in recs:
        rows.append([r.model, r.method] + [fmt(d.neutral[p]) for p in pairs]
                    + [", ".join(f"{p} {fmt(v)}" for p, v in d.centred.items())])
    return "\n".join([table(rows, ["model", "method", *pairs, "centred baseline"]), "",
                      provenance([r for r, _ in recs], "cosine at the middle block, neutral baseline (centred "
                                 "beside)")])


C3: Claim[OppositePairsDetails] = Claim(
    id="C3", section="4.5", statement="no opposite pair has a negative cosine under the neutral baseline",
    axis="extraction method", axis_values=METHODS,
    metric="min_opposite_pair_cosine", details=OppositePairsDetails, check=_c3_check,
    applies=_extraction_applies, paper=_c3_paper,
    tables=(Table("Section 4.5: opposite pairs", opposite_pairs_table),))


# ---------------------------------------------------------------- C4: below the anisotropy baseline


@dataclass(frozen=True)
class AnisotropyDetails:
    B: float
    S: float
    gap_per_block: list[float]
    baseline: str
    layer: int
    anisotropy_per_block: list[float]
    anisotropy_post_final_norm: float


@dataclass(frozen=True)
class AnisotropyBaselineDetails:
    baseline: str
    layer: str
    depths: list[float]
    post_final_norm: float


def below_anisotropy(g: Geometry) -> Check[AnisotropyDetails]:
    """C4: gap B - S > 0 at the middle block."""
    b, s = g.anisotropy[g.middle], g.separation["neutral"][g.middle]
    gap = b - s
    return Check(gap > th.ANISOTROPY_MIN_GAP, gap,
                 f"B {b:.3f} - S {s:.3f} = {gap:.3f} at block {g.middle} (needs > {th.ANISOTROPY_MIN_GAP})",
                 AnisotropyDetails(
                     B=b, S=s, gap_per_block=[bb - ss for bb, ss in zip(g.anisotropy, g.separation["neutral"],
                                                                         strict=True)],
                     baseline="neutral; B from raw last-token states of 20 neutral sentences", layer=g.middle,
                     anisotropy_per_block=g.anisotropy, anisotropy_post_final_norm=g.anisotropy_post_norm))


def anisotropy_baseline(ev: Evidence) -> Finding:
    """B itself at every block (decides nothing; recorded once per model beside the C4 gap)."""
    from harness.metrics.geometry import depths, mean_pairwise_cosine

    neutral = ev.neutral_sentence_states()
    per_block = mean_pairwise_cosine(neutral.data.states).tolist()
    if len(per_block) != ev.handle.n_layers or not all(math.isfinite(b) and -1 <= b <= 1 for b in per_block):
        raise HarnessError(f"{ev.handle.key}: anisotropy baseline is not one cosine per block: {per_block}")
    return Finding("anisotropy_baseline", Check(None, per_block, "B alone decides nothing; the gap B - S is the "
                                                "C4 verdict", AnisotropyBaselineDetails(
        baseline="raw last-token residual, 20 neutral factual sentences", layer="every block",
        depths=depths(ev.handle.n_layers), post_final_norm=float(mean_pairwise_cosine(neutral.post_norm)))),
        {"profile": ev.profile.name})


def _c4_check(ev: Evidence, method: str) -> list[Finding]:
    return [C4.finding(ev, below_anisotropy(ev.geometry(method)), ev.context(method))]


def _c4_paper(model: str, family: str) -> PaperRef:
    pv = paper_values()["anisotropy"]
    src = model if model in pv else "smollm2-1.7b-instruct"
    return PaperRef(pv[src].get("gap"), f"section 4.5 anisotropy table, {src}")


def anisotropy_table(records: list[ClaimRecord], kinds: dict[str, str]) -> str:
    pv, labels = paper_values()["anisotropy"], paper_values()["anisotropy_labels"]
    rows = [[m, f"paper ({labels.get(m, '?')})", fmt(pv.get(m, {}).get("B")), fmt(pv.get(m, {}).get("S")),
             fmt(pv.get(m, {}).get("gap"))] for m in labels]
    recs = C4.read(records)
    rows += [[r.model, r.method, fmt(d.B), fmt(d.S), fmt(r.value)] for r, d in recs]
    return "\n".join([table(rows, ["model", "method", "B (neutral sentences)", "S (emotion vectors)", "gap B - S"]),
                      "", provenance([r for r, _ in recs], "middle block; B = mean pairwise cosine of raw "
                                     "last-token states of 20 neutral sentences; S neutral baseline")])


C4: Claim[AnisotropyDetails] = Claim(
    id="C4", section="4.5", statement="emotion vectors sit below the anisotropy baseline (gap B - S > 0)",
    axis="extraction method", axis_values=METHODS,
    metric="anisotropy_gap", details=AnisotropyDetails, check=_c4_check,
    applies=_extraction_applies, paper=_c4_paper,
    tables=(Table("Section 4.5: anisotropy baseline", anisotropy_table),))


# ---------------------------------------------------------------- C11: weak valence


@dataclass(frozen=True)
class ValenceDetails:
    valence: dict[str, float]
    arousal: dict[str, float]
    baseline: str
    layer: int
    pc_scores: list[list[float]]
    valences: list[float]
    arousals: list[float]


def valence_weak(g: Geometry, valences: list[float], arousals: list[float]) -> Check[ValenceDetails]:
    """C11: valence organisation is weak: |Spearman(PC1, valence)| < bound (neutral baseline)."""
    rho = g.valence["neutral"]
    return Check(rho < th.VALENCE_WEAK_BELOW, rho,
                 f"|rho(PC1, valence)| {rho:.3f} neutral, {g.valence['centred']:.3f} centred; "
                 f"weak means < {th.VALENCE_WEAK_BELOW}",
                 ValenceDetails(valence=g.valence, arousal=g.arousal, baseline="neutral (centred beside)",
                                layer=g.middle, pc_scores=pc_scores(g.vectors["neutral"][g.middle]).tolist(),
                                valences=valences, arousals=arousals))


def _c11_check(ev: Evidence, method: str) -> list[Finding]:
    emotions = ev.stimuli.emotions
    check = valence_weak(ev.geometry(method), [e.valence for e in emotions], [e.arousal for e in emotions])
    return [C11.finding(ev, check, ev.context(method))]


def _no_paper_number(model: str, family: str) -> PaperRef:
    return PaperRef(None, "the paper reports no number for this")


def valence_table(records: list[ClaimRecord], kinds: dict[str, str]) -> str:
    recs = C11.read(records)
    rows = [[r.model, r.method, fmt(d.valence["neutral"]), fmt(d.valence["centred"]),
             fmt(d.arousal["neutral"]), r.verdict] for r, d in recs]
    return "\n".join([table(rows, ["model", "method", "abs Spearman(PC1, valence), neutral", "centred",
                                   "abs Spearman(PC2, arousal), neutral", "C11 (weak < 0.5)"]), "",
                      provenance([r for r, _ in recs], "middle block; paper: valence structure weak, compressed "
                                 "by anisotropy")])


C11: Claim[ValenceDetails] = Claim(
    id="C11", section="4.5, 7.1", statement="valence organisation of the emotion space is weak in small models",
    axis="extraction method", axis_values=METHODS,
    metric="valence_pc1_abs_spearman", details=ValenceDetails, check=_c11_check,
    applies=_extraction_applies, paper=_no_paper_number,
    tables=(Table("Section 4.5 / 7.1: valence organisation", valence_table),))


# ---------------------------------------------------------------- C12: emotion specificity (our control)


@dataclass(frozen=True)
class SpecificityDetails:
    S: float
    null_p05: float
    null_mean: float
    null_fraction_at_or_below: float
    heldout_best_block: int
    heldout_top1: float
    heldout_p: float
    baseline: str
    layer: int
    n_permutations: int
    null_p05_per_block: list[float]
    null_fraction_per_block: list[float]


def emotion_specific(g: Geometry, n_permutations: int) -> Check[SpecificityDetails]:
    """C12: S below the shuffled null's 5th percentile at the middle block, and held-out top-1
    accuracy at its best block above 20-way chance (one-sided binomial p < alpha)."""
    m = g.middle
    s, p05 = g.separation["neutral"][m], g.null_p05[m]
    best = max(range(g.n_layers), key=lambda i: g.heldout_top1[i])
    acc = g.heldout_top1[best]
    # The best block is picked after looking, so the binomial p is Bonferroni-corrected.
    p = min(1.0, heldout_pvalue(acc, g.n_heldout, 1 / 20) * g.n_layers)
    holds = s < p05 and p < th.HELDOUT_ALPHA
    reason = (f"S {s:.3f} vs null 5th pct {p05:.3f} (null mean {g.null_mean[m]:.3f}) at block {m}; "
              f"held-out top-1 {acc:.3f} at block {best} (chance 0.05, Bonferroni binomial p={p:.4f})")
    return Check(holds, s - p05, reason, SpecificityDetails(
        S=s, null_p05=p05, null_mean=g.null_mean[m], null_fraction_at_or_below=g.null_fraction_at_or_below[m],
        heldout_best_block=best, heldout_top1=acc, heldout_p=p, baseline="neutral", layer=m,
        n_permutations=n_permutations, null_p05_per_block=g.null_p05,
        null_fraction_per_block=g.null_fraction_at_or_below))


def _c12_check(ev: Evidence, method: str) -> list[Finding]:
    return [C12.finding(ev, emotion_specific(ev.geometry(method), ev.profile.n_permutations), ev.context(method))]


def specificity_table(records: list[ClaimRecord], kinds: dict[str, str]) -> str:
    recs = C12.read(records)
    rows = [[r.model, r.method, fmt(d.S), fmt(d.null_p05), fmt(d.null_mean), fmt(d.heldout_top1),
             r.verdict] for r, d in recs]
    return "\n".join([table(rows, ["model", "method", "S", "null 5th pct", "null mean",
                                   "held-out top-1 (chance 0.05)", "C12"]), "",
                      provenance([r for r, _ in recs], "middle block, neutral baseline, label-shuffled null; the "
                                 "paper has no such control")])


C12: Claim[SpecificityDetails] = Claim(
    id="C12", section="control the paper lacks",
    statement="separation is emotion-specific: below a label-shuffled null, and held-out passages above chance",
    axis="extraction method", axis_values=METHODS,
    metric="s_minus_null_p05", details=SpecificityDetails, check=_c12_check,
    applies=_extraction_applies, paper=_no_paper_number,
    tables=(Table("Control: emotion specificity (C12)", specificity_table),))

GEOMETRY_CLAIMS: tuple[Claim[Any], ...] = (C1, C2, C3, C4, C11, C12)
