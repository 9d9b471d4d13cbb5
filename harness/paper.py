"""What the paper reported for a claim, for a given model where it has that model.

Returns ``(value, source)``; for a model the paper did not test, the paper's headline
number and the model it came from, so the report can say exactly what is compared.
"""

from __future__ import annotations

from typing import Any

from .stimuli import paper_values


def reference(claim: str, model: str, method: str = "") -> tuple[Any, str]:
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
    return None, "the paper reports no number for this"
