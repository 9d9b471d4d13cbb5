"""What the paper reported for a claim, for a given model where it has that model.

Returns ``(value, source)``; for a model the paper did not test, the paper's headline
number and the model it came from, so the report can say exactly what is compared.
"""

from __future__ import annotations

from typing import Any

from harness.stimuli.loading import paper_values


def regime_label(model: str, family: str) -> tuple[str | None, str]:
    """The paper's regime for a model: its Table 5 row, else its architecture's label."""
    pv = paper_values()
    if model in pv["table5_regimes"]:
        return pv["table5_regimes"][model]["regime"], f"Table 5, {model}"
    label = pv["regime_by_family"].get(family)
    return label, (f"section 5.3 (regime follows architecture): {family} models in Table 5" if label
                   else f"Table 5 has no {family} model")


def expects_cjk_leak(family: str) -> bool:
    """Section 6.1: steering Qwen2.5 produces Chinese tokens; no other family was reported to."""
    return family in paper_values()["cross_lingual"]["families_leaking"]


def reference(claim: str, model: str, method: str = "", family: str = "") -> tuple[Any, str]:
    pv = paper_values()
    t2 = pv["table2_separation"]
    if claim == "C1":
        t1 = pv["table1_layer_sweep"]
        return t1["best_depth"], f"Table 1, {t1['model']} (best of layers 6/12/18/24)"
    if claim == "C2":
        row = t2.get(model, {})
        if "generation" in row and "comprehension" in row:
            return round(row["comprehension"] - row["generation"], 3), f"Table 2, {model}"
        ref = t2["smollm2-1.7b-instruct"]
        return round(ref["comprehension"] - ref["generation"], 3), "Table 2, smollm2-1.7b-instruct"
    if claim == "C3":
        low = min(pv["opposite_pairs"].items(), key=lambda kv: kv[1]["cosine"])
        return low[1]["cosine"], f"section 4.5, lowest reported ({low[0]}, {low[1]['model']})"
    if claim == "C4":
        row = pv["anisotropy"].get(model) or pv["anisotropy"]["smollm2-1.7b-instruct"]
        src = model if model in pv["anisotropy"] else "smollm2-1.7b-instruct"
        return row.get("gap"), f"section 4.5 anisotropy table, {src}"
    if claim == "C5":
        row = pv["table4_activation_delta"].get(model)
        if row:
            return min(row.values()), f"Table 4, {model}: smallest activation delta (all 5 scenarios > 0)"
        return 1.0, "Table 4: every scenario of all 9 models moves the expected way (share 1.0)"
    if claim == "C6":
        f = pv["classifier_flips"]
        return f["rate"], f"section 5.2: {f['flips']}/{f['pairs']} scenario pairs, {f['classifier']}"
    if claim == "C7":
        d = pv["dose_response_gpt2"]
        lo, hi = d["flip_between"]
        return f"flip {lo}-{hi}", (f"section 5.2, GPT-2: anger {d['anger']['before']} -> {d['anger']['after']}, "
                                   f"joy {d['joy']['before']} -> {d['joy']['after']}")
    if claim == "C8":
        return regime_label(model, family)
    if claim == "C9":
        return pv["safe_strength"], "section 5.4: universal safe starting strength"
    if claim == "C10":
        return ("> 0" if expects_cjk_leak(family) else "0"), "section 6.1: Chinese tokens under steering in Qwen2.5 only"
    return None, "the paper reports no number for this"
