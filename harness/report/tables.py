"""The paper's tables re-made from claim records: a paper column beside a measured one.

Rows for models the paper lists but this run did not measure say ``not run``; every
table says which baseline, layer, method, profile and stimulus set its numbers come from.
Input is records only (plus the paper's numbers), so ``harness report`` can rebuild it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tabulate import tabulate

from harness.metrics.geometry import block_at_depth
from harness.report.results import ClaimRecord, is_pooled
from harness.stimuli.loading import paper_values

NOT_RUN = "not run"
SCENARIO_COLUMNS = (("calm", "Calm"), ("hostile", "Hostile"), ("happy", "Happy"), ("desperate", "Desperate"),
                    ("anti_calm", "Anti-Calm"))


def _f(value: Any, digits: int = 3) -> str:
    from harness.report.summary import fmt

    return fmt(value, digits)


def _table(rows: list[list[Any]], headers: Iterable[str]) -> str:
    return tabulate(rows, headers=list(headers), tablefmt="github", disable_numparse=True)


# Details each table reads, per claim: records without them (other suites, older runs) are skipped.
NEEDS = {"C1": ("separation_per_block", "best_block"), "C2": ("p_value",), "C3": ("neutral", "centred"),
         "C4": ("B", "S"), "C11": ("valence", "arousal"), "C12": ("S", "null_p05"),
         "C5": ("per_scenario",), "C6": ("flips", "n"), "C7": ("flip_points", "p_value"),
         "C8": ("ppl_low", "ppl_high", "ppl_ratio", "degenerate_share", "regime_by_ppl_only"),
         "C9": ("degenerate_unsteered", "degenerate_safe"), "C10": ("random",)}


def _get(records: list[ClaimRecord], claim: str, metric: str | None = None, model: str | None = None,
         method: str | None = None) -> list[ClaimRecord]:
    return [r for r in records if r.claim == claim and r.verdict != "not applicable"
            and (metric is None or r.metric == metric) and (model is None or r.model == model)
            and (method is None or r.details.get("method") == method)
            and "method" in r.details and all(k in r.details for k in NEEDS.get(claim, ()))]


def _models(records: list[ClaimRecord]) -> list[str]:
    return sorted({r.model for r in records if not is_pooled(r.model)})


def _provenance(records: list[ClaimRecord], *extra: str) -> str:
    profiles = sorted({str(r.details["profile"]) for r in records if "profile" in r.details})
    stim = sorted({str(r.details["stimuli"]) for r in records if "stimuli" in r.details})
    parts = [*extra, f"profile {', '.join(profiles) or '?'}", f"stimuli {', '.join(stim) or '?'}"]
    return "_" + "; ".join(parts) + "._"


def table1_layer_sweep(records: list[ClaimRecord]) -> str:
    t1 = paper_values()["table1_layer_sweep"]
    recs = sorted(_get(records, "C1", "best_depth_separation"), key=lambda r: (r.model, r.details["method"]))
    headers = ["depth", f"paper ({t1['model']}, layer)"] + [f"{r.model} {r.details['method']}" for r in recs]
    rows = []
    for layer, s in sorted((int(k), v) for k, v in t1["layers"].items()):
        depth = layer / 24
        row = [f"{depth:.0%}", f"{s} (L{layer})"]
        for r in recs:
            curve = r.details["separation_per_block"]["neutral"]
            b = block_at_depth(len(curve), depth)
            row.append(f"{_f(curve[b])} (block {b})")
        rows.append(row)
    rows.append(["best", f"{t1['best_depth']:.0%}"] + [f"{r.value:.0%} (block {r.details['best_block']})"
                                                       for r in recs])
    return "\n".join([_table(rows, headers), "",
                      _provenance(recs, "S = mean pairwise cosine of the 20 vectors, neutral baseline, "
                                  "block nearest each depth")])


def _s_middle(records: list[ClaimRecord], model: str, method: str) -> float | None:
    for r in _get(records, "C1", "best_depth_separation", model, method):
        curve = r.details["separation_per_block"]["neutral"]
        return curve[len(curve) // 2]
    return None


def table2_separation(records: list[ClaimRecord], kinds: dict[str, str]) -> str:
    t2 = paper_values()["table2_separation"]
    models = list(t2) + [m for m in _models(records) if m not in t2]
    rows = []
    for m in models:
        p = t2.get(m, {})
        pg, pc = p.get("generation"), p.get("comprehension")
        ran = m in _models(records)
        g, c = (_s_middle(records, m, "generation"), _s_middle(records, m, "comprehension")) if ran else (None, None)
        c2 = _get(records, "C2", model=m)
        rows.append([m, kinds.get(m, "?"), _f(pg), _f(pc), _f(round(pc - pg, 3)) if pg and pc else "—",
                     _f(g) if ran else NOT_RUN, _f(c) if ran else NOT_RUN,
                     _f(c - g) if g is not None and c is not None else ("—" if ran else NOT_RUN),
                     _f(c2[0].details.get("p_value")) if c2 else "—"])
    headers = ["model", "type", "paper gen", "paper comp", "paper C-G", "measured gen", "measured comp",
               "measured C-G", "LOO Mann-Whitney p"]
    return "\n".join([_table(rows, headers), "", _provenance(
        _get(records, "C1", "best_depth_separation"), "S at the middle block L//2, neutral baseline; "
        "generation applies to instruct models only")])


def rlhf_table(records: list[ClaimRecord]) -> str:
    rows = []
    for base, p in paper_values()["rlhf_generation"].items():
        inst = f"{base}-instruct"
        g_i, g_b = _s_middle(records, inst, "generation"), _s_middle(records, base, "generation")
        rows.append([base, p["instruct"], p["base"], p["delta"], _f(g_i) if g_i is not None else NOT_RUN,
                     _f(g_b) if g_b is not None else NOT_RUN,
                     _f(g_b - g_i) if g_i is not None and g_b is not None else NOT_RUN])
    return "\n".join([_table(rows, ["family (base key)", "paper instruct gen", "paper base gen", "paper delta",
                                    "measured instruct gen", "measured base gen", "measured delta"]), "",
                      "_Generation S at the middle block, neutral baseline; needs a base and an instruct "
                      "model of one family in the run (base models cannot be asked for stories here)._"])


def opposite_pairs_table(records: list[ClaimRecord]) -> str:
    recs = sorted(_get(records, "C3"), key=lambda r: (r.model, r.details["method"]))
    pairs = list(recs[0].details["neutral"]) if recs else ["happy-sad", "calm-desperate", "loving-hostile",
                                                              "proud-guilty"]
    rows = [["paper (lowest reported)", "—"] + [
        _f(paper_values()["opposite_pairs"][p]["cosine"]) + f" ({paper_values()['opposite_pairs'][p]['model']})"
        if p in paper_values()["opposite_pairs"] else "—" for p in pairs] + ["—"]]
    for r in recs:
        rows.append([r.model, r.details["method"]] + [_f(r.details["neutral"][p]) for p in pairs]
                    + [", ".join(f"{p} {_f(v)}" for p, v in r.details["centred"].items())])
    return "\n".join([_table(rows, ["model", "method", *pairs, "centred baseline"]), "",
                      _provenance(recs, "cosine at the middle block, neutral baseline (centred beside)")])


def anisotropy_table(records: list[ClaimRecord]) -> str:
    pv, labels = paper_values()["anisotropy"], paper_values()["anisotropy_labels"]
    rows = [[m, f"paper ({labels.get(m, '?')})", _f(pv.get(m, {}).get("B")), _f(pv.get(m, {}).get("S")),
             _f(pv.get(m, {}).get("gap"))] for m in labels]
    recs = sorted(_get(records, "C4", "anisotropy_gap"), key=lambda r: (r.model, r.details["method"]))
    for r in recs:
        rows.append([r.model, r.details["method"], _f(r.details["B"]), _f(r.details["S"]), _f(r.value)])
    return "\n".join([_table(rows, ["model", "method", "B (neutral sentences)", "S (emotion vectors)",
                                    "gap B - S"]), "",
                      _provenance(recs, "middle block; B = mean pairwise cosine of raw last-token states of "
                                  "20 neutral sentences; S neutral baseline")])


def valence_table(records: list[ClaimRecord]) -> str:
    recs = sorted(_get(records, "C11"), key=lambda r: (r.model, r.details["method"]))
    rows = [[r.model, r.details["method"], _f(r.details["valence"]["neutral"]),
             _f(r.details["valence"]["centred"]), _f(r.details["arousal"]["neutral"]), r.verdict] for r in recs]
    return "\n".join([_table(rows, ["model", "method", "abs Spearman(PC1, valence), neutral", "centred",
                                    "abs Spearman(PC2, arousal), neutral", "C11 (weak < 0.5)"]), "",
                      _provenance(recs, "middle block; paper: valence structure weak, compressed by anisotropy")])


def specificity_table(records: list[ClaimRecord]) -> str:
    recs = sorted(_get(records, "C12"), key=lambda r: (r.model, r.details["method"]))
    rows = [[r.model, r.details["method"], _f(r.details.get("S")), _f(r.details.get("null_p05")),
             _f(r.details.get("null_mean")), _f(r.details.get("heldout_top1")), r.verdict] for r in recs]
    return "\n".join([_table(rows, ["model", "method", "S", "null 5th pct", "null mean", "held-out top-1 (chance 0.05)",
                                    "C12"]), "",
                      _provenance(recs, "middle block, neutral baseline, label-shuffled null; the paper has no "
                                  "such control")])


def _steering_caption(recs: list[ClaimRecord], what: str) -> str:
    cls = sorted({str(r.details.get("classifier")) for r in recs if r.details.get("classifier")})
    vm = sorted({str(r.details.get("vector_method")) for r in recs if r.details.get("vector_method")})
    return _provenance(recs, what, f"vectors: {', '.join(vm) or '?'} (neutral baseline, middle block)",
                       f"classifier {', '.join(cls) or '?'}")


def table4_deltas(records: list[ClaimRecord]) -> str:
    pv = paper_values()
    t4, ids = pv["table4_activation_delta"], pv["table4_scenarios"]
    recs = sorted(_get(records, "C5"), key=lambda r: (r.model, r.details["method"]))
    rows = [[m, "paper", *[v[c] for c, _ in SCENARIO_COLUMNS]] for m, v in t4.items()
            if m not in {r.model for r in recs}]
    rows += [[m, "paper", *[v[c] for c, _ in SCENARIO_COLUMNS]] for m, v in t4.items()
             if m in {r.model for r in recs}]
    for r in recs:
        per = r.details.get("per_scenario", {})
        rows.append([r.model, r.details["method"], *[
            f"{_f(per[ids[c]]['activation_delta'], 3)} ({_f(per[ids[c]]['readout_delta'], 2)})"
            if ids[c] in per else "—" for c, _ in SCENARIO_COLUMNS]])
    note = ("measured: activation delta (last prompt token, hooks on) with the readout delta (unsteered "
            "re-read of the steered text) in brackets, mean over the scenario's prompts at strength "
            f"{recs[0].details.get('strength') if recs else '?'}; paper rows list models it ran (strength "
            "not stated); paper models absent from this run are not run. Paper 5.5, instruct/base delta ratio: "
            + ", ".join(f"{k} {v}" for k, v in pv["rlhf_steering_ratio"].items())
            + " (not measured here: no base/instruct pair among the embedded models)")
    return "\n".join([_table(rows, ["model", "source / prompting", *[h for _, h in SCENARIO_COLUMNS]]), "",
                      _steering_caption(recs, note)])


def table5_regimes(records: list[ClaimRecord]) -> str:
    t5 = paper_values()["table5_regimes"]
    recs = sorted(_get(records, "C8"), key=lambda r: (r.model, r.details["method"]))
    rows = [[m, "paper", v["ppl_low"], v["ppl_high"], v["ratio"], "—", v["regime"], "—", "—"] for m, v in t5.items()]
    for r in recs:
        d = r.details
        rows.append([r.model, d["method"], _f(d["ppl_low"], 3), _f(d["ppl_high"], 3), _f(d["ppl_ratio"], 3),
                     _f(d["degenerate_share"], 2), f"{r.value} (paper: {r.paper_value})",
                     d["regime_by_ppl_only"], _f(d["collapse_point"])])
    return "\n".join([_table(rows, ["model", "source / prompting", "PPL(0.005)", "PPL(0.05)", "ratio",
                                    "degenerate at 0.05", "regime", "by ratio alone", "collapse point"]), "",
                      _steering_caption(recs, "median perplexity over scenario prompts, scored by the unsteered "
                                        "model; regime rule and cuts in harness/thresholds.py")])


def flips_table(records: list[ClaimRecord]) -> str:
    f = paper_values()["classifier_flips"]
    recs = sorted(_get(records, "C6"), key=lambda r: (is_pooled(r.model), r.model, r.details["method"]))
    rows = [["paper (9 models)", "—", f["classifier"], f"{f['flips']}/{f['pairs']}", f["rate"], "—", "—"]]
    for r in recs:
        d = r.details
        by = d.get("rate_by_strength", {})
        rows.append([r.model, d["method"], d.get("classifier", "?"), f"{d['flips']}/{d['n']}", _f(r.value, 3),
                     _f(d.get("random_rate"), 3), ", ".join(f"{a}: {_f(v, 2)}" for a, v in by.items()) or "—"])
    return "\n".join([_table(rows, ["model", "prompting", "classifier", "flips", "rate", "random direction",
                                    "rate at each strength"]), "",
                      _steering_caption(recs, "flip = the target labels' score moves the scenario's way from the "
                                        "unsteered continuation of the same prompt, at strength 0.02")])


def dose_table(records: list[ClaimRecord]) -> str:
    d = paper_values()["dose_response_gpt2"]
    recs = sorted(_get(records, "C7"), key=lambda r: (r.model, r.details["method"]))
    rows = [["gpt2 (paper)", "—", "—", "—", f"anger {d['anger']['before']} -> {d['anger']['after']}, joy "
             f"{d['joy']['before']} -> {d['joy']['after']} between {d['flip_between'][0]} and {d['flip_between'][1]}"]]
    for r in recs:
        rows.append([r.model, r.details["method"], _f(r.value, 3), _f(r.details["p_value"], 3),
                     ", ".join(f"{k}: {_f(v)}" for k, v in r.details["flip_points"].items())])
    return "\n".join([_table(rows, ["model", "prompting", "Spearman rho", "p (one-sided)", "flip points"]), "",
                      _steering_caption(recs, "Spearman over strengths 0 + 0.005..0.05, signed target score; "
                                        "flip point = lowest strength at which most of a scenario's prompts flip")])


def safety_table(records: list[ClaimRecord]) -> str:
    rows = []
    for r in sorted(_get(records, "C9"), key=lambda r: (r.model, r.details["method"])):
        c10 = _get(records, "C10", model=r.model, method=r.details["method"])
        rows.append([r.model, r.details["method"], _f(r.value, 3), f"{_f(r.details['degenerate_unsteered'], 2)} -> "
                     f"{_f(r.details['degenerate_safe'], 2)}", r.verdict,
                     _f(c10[0].value, 3) if c10 else "—", _f(c10[0].details["random"], 3) if c10 else "—",
                     c10[0].verdict if c10 else "—"])
    return "\n".join([_table(rows, ["model", "prompting", "PPL(0.005)/PPL(0)", "degenerate share 0 -> 0.005",
                                    "C9", "CJK share (>= 0.05)", "CJK, random direction", "C10"]), "",
                      "_Paper: 0.005 is the universal safe starting strength (5.4); Chinese tokens appear under "
                      "steering in Qwen2.5 only (6.1)._"])


SECTIONS = (
    ("Table 1: layer sweep (separation S by depth)", table1_layer_sweep),
    ("Table 2: generation vs comprehension", None),
    ("Section 4.3: instruction tuning (generation S)", rlhf_table),
    ("Section 4.5: opposite pairs", opposite_pairs_table),
    ("Section 4.5: anisotropy baseline", anisotropy_table),
    ("Section 4.5 / 7.1: valence organisation", valence_table),
    ("Control: emotion specificity (C12)", specificity_table),
    ("Table 4: steering activation deltas", table4_deltas),
    ("Section 5.2: classifier flips", flips_table),
    ("Section 5.2 / 5.4: dose-response", dose_table),
    ("Table 5: perplexity and regimes", table5_regimes),
    ("Sections 5.4 and 6.1: safe strength and cross-lingual leakage", safety_table),
)


def render_tables(records: list[ClaimRecord], kinds: dict[str, str]) -> list[str]:
    out = []
    for title, fn in SECTIONS:
        body = table2_separation(records, kinds) if fn is None else fn(records)
        out += [f"### {title}", "", body, ""]
    return out
