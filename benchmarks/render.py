"""Render pytest-benchmark JSON files into reports/benchmarks.md (medians, ratios, targets).

    python benchmarks/render.py reports/benchmarks/*.json --out reports/benchmarks.md
"""

from __future__ import annotations

import argparse
import json
import platform
from pathlib import Path

from tabulate import tabulate

TARGETS = {"steering": 1.05, "capture": 1.10}


def load(paths: list[str]) -> tuple[list[dict], dict]:
    """Benchmarks of all files; a benchmark measured again in a later file replaces the earlier one.
    Each keeps the matmul speed measured in its own file (``_gflops``), so a throughput is set
    against the bound of the same run."""
    benches: dict[str, dict] = {}
    machine: dict = {}
    for p in paths:
        doc = json.loads(Path(p).read_text())
        if "benchmarks" not in doc:  # a measurement of another kind (fresh_clone.json: the README's)
            continue
        gflops = next((b["extra_info"]["gflops"] for b in doc["benchmarks"] if b["name"] == "test_matmul_gflops"), None)
        benches.update({b["fullname"]: {**b, "_gflops": gflops, "_file": Path(p).name,
                                        "_date": doc.get("datetime", "")[:10]} for b in doc["benchmarks"]})
        machine = doc.get("machine_info", machine)
    return list(benches.values()), machine


def flops_per_token(benches: list[dict]) -> dict[str, float]:
    return {b["extra_info"]["model"]: b["extra_info"]["flops_per_token"] for b in benches
            if b["name"].startswith("test_model_flops_per_token")}


def _of_bound(tokens_per_s: float | None, gflops: float | None, model: str, flops: dict[str, float]) -> str:
    """Generated tokens/s as a share of what the matmul rate ``gflops`` allows for ``model``."""
    if not tokens_per_s or not gflops or model not in flops:
        return "—"
    return f"{tokens_per_s / (gflops * 1e9 / flops[model]):.0%}"


def forward_tables(benches: list[dict]) -> list[str]:
    out = []
    for b in benches:
        if not b["name"].startswith("test_overhead_ratios_interleaved"):
            continue
        subj = b["extra_info"]["model"]
        med, ratio = b["extra_info"]["median_s"], b["extra_info"]["ratio_to_plain"]
        singles = {x["extra_info"].get("variant"): x["stats"]["median"] for x in benches
                   if x["name"].startswith("test_overhead_") and x["extra_info"].get("model") == subj
                   and "variant" in x["extra_info"]}
        rows = []
        for k in med:
            target = TARGETS.get(k)
            single = next((v for n, v in singles.items() if n.lower().startswith(k.split()[0].lower())), None)
            rows.append([k, f"{med[k] * 1e3:.2f}", f"{single * 1e3:.2f}" if single else "—", f"{ratio[k]:.3f}",
                         f"<= {target:.2f}: {'met' if ratio[k] <= target else 'MISSED'}" if target else "—"])
        out += [f"#### {subj} (batch 8 x 64 tokens, full forward with logits)", "",
                tabulate(rows, headers=["variant", "median ms (interleaved)", "median ms (own benchmark)",
                                        "ratio to plain HF", "target"], tablefmt="github"), ""]
    return out


def generation_tables(benches: list[dict]) -> list[str]:
    flops = flops_per_token(benches)
    gens = [b for b in benches if b["name"].startswith("test_generation[")]
    gflops = gens[0]["_gflops"] if gens else None  # measured in the same run as these generations
    out = []
    if gflops:
        out += [f"Machine: float32 matmul {gflops} GFLOP/s (2048^3, median of 10).", ""]
    by_subject: dict[str, list[dict]] = {}
    for b in gens:
        by_subject.setdefault(b["extra_info"]["model"], []).append(b)
    for subj, items in by_subject.items():
        bound = gflops * 1e9 / flops[subj] if gflops and subj in flops else None
        if bound:
            out += [f"#### {subj}: {flops[subj] / 1e9:.3f} GFLOP per token -> compute bound {bound:.0f} tokens/s", ""]
        rows = []
        for b in sorted(items, key=lambda b: (b["extra_info"]["new_tokens"], b["extra_info"]["variant"])):
            e = b["extra_info"]
            rows.append([e["new_tokens"], e["variant"], e["prompts"], e["tokens"], f"{b['stats']['median']:.1f}",
                         f"{e['tokens_per_s']:.1f}", f"{e['tokens_per_s'] / bound:.0%}" if bound else "—"])
        out += [tabulate(rows, headers=["new tokens", "variant", "prompts", "tokens", "seconds", "tokens/s",
                                        "of compute bound"], tablefmt="github"), ""]
        for n in sorted({b["extra_info"]["new_tokens"] for b in items}):
            pre = [b for b in items if b["extra_info"]["new_tokens"] == n and "steer_prefill" in b["extra_info"]["variant"]]
            per = [b for b in items if b["extra_info"]["new_tokens"] == n and "steer_per_step" in b["extra_info"]["variant"]]
            if pre and per:
                a, c = pre[0], per[0]
                oa, oc = a["extra_info"]["outputs"], c["extra_info"]["outputs"]
                agree = sum(sum(x == y for x, y in zip(p, q, strict=False)) for p, q in zip(oa, oc, strict=True))
                total = sum(max(len(p), len(q)) for p, q in zip(oa, oc, strict=True))
                same = sum(p == q for p, q in zip(oa, oc, strict=True))
                out += [f"- {n} new tokens, alpha 0.02, same prompts and batch: KV-cached (prefill-scaled) steering is "
                        f"{c['stats']['median'] / a['stats']['median']:.1f}x faster than the per-step loop (target >= 10x "
                        f"at 50 tokens); token agreement {agree}/{total} ({agree / max(total, 1):.0%}), "
                        f"identical continuations {same}/{len(oa)}.", ""]
    return out


def e2e_table(benches: list[dict]) -> list[str]:
    rows = []
    for b in benches:
        if b["name"].startswith("test_end_to_end["):
            e = b["extra_info"]
            subj = e["model"]
            ex = e["extraction_seconds"]
            rows.append([subj, ex["cold"].get("comprehension"), ex["warm"].get("comprehension"),
                         ex["cold"].get("generation", "n/a"), ex["warm"].get("generation", "n/a"),
                         e["claim_suite_seconds"]["cold"], e["claim_suite_seconds"]["warm"],
                         f"{b['_date']} ({b['_file']})"])
    if not rows:
        return ["_Not run in this report (pytest benchmarks -k end_to_end)._", ""]
    total = [sum(r[5] for r in rows), sum(r[6] for r in rows)]
    return [tabulate(rows, headers=["model", "comprehension cold s", "warm s", "generation cold s", "warm s",
                                    "claim suite cold s", "claim suite warm s", "measured"], tablefmt="github"), "",
            f"All models above together: cold {total[0]:.0f} s, warm {total[1]:.0f} s (rows may come from "
            "different runs; see the measured column).", ""]


def phase_tables(benches: list[dict]) -> list[str]:
    """Where a cold claim suite's time goes, phase by phase (the progress end lines of the
    end-to-end benchmark's cold run), generation set against the same run's compute bound."""
    flops = flops_per_token(benches)
    out = []
    for b in benches:
        if not b["name"].startswith("test_end_to_end[") or not b["extra_info"].get("cold_phases"):
            continue
        e = b["extra_info"]
        total = e["claim_suite_seconds"]["cold"]
        rows = [[p["model"], p["phase"], p["rows"] if p["rows"] is not None else "", p["seconds"],
                 f"{p['seconds'] / total:.0%}", p["tokens_per_s"] or "", _of_bound(p["tokens_per_s"], b.get("_gflops"), p["model"], flops)]
                for p in e["cold_phases"] if p["seconds"] >= 5]
        small = sum(p["seconds"] for p in e["cold_phases"] if p["seconds"] < 5)
        gf = f"; matmul {b['_gflops']} GFLOP/s in the same run" if b.get("_gflops") else ""
        out += [f"#### {e['model']}: cold claim suite {total:.0f} s{gf}", "",
                tabulate(rows, headers=["model", "phase", "rows", "seconds", "of the suite", "generated tok/s",
                                        "of compute bound"], tablefmt="github"), "",
                f"Phases under 5 s together: {small} s; the rest of the {total:.0f} s is loading and the claims' "
                "statistics between phases.", ""]
    return out or ["_Not run in this report (pytest benchmarks -k \"end_to_end or matmul or flops\")._", ""]


def _min(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds / 60:.1f}"


def fresh_clone_tables(doc: dict | None, benches: list[dict]) -> list[str]:
    """README command 1 in a fresh clone: per model and per kind of work, the latest run beside
    the one it replaced, then the latest run phase by phase (generation against the compute
    bound measured on the same machine right after it)."""
    if not doc:
        return ["_Not measured (benchmarks/fresh_clone.py)._", ""]
    before = doc.get("before") or {}
    now_t, old_t = doc.get("totals", {}), before.get("totals", {})
    rows = [["whole command (install + run)", _min(before.get("total_seconds")), _min(doc["total_seconds"])],
            ["install", _min(before.get("install_seconds")), _min(doc["install_seconds"])],
            ["run", _min(before.get("run_seconds")), _min(doc["run_seconds"])]]
    for axis in ("model", "kind"):
        for name in sorted(set(now_t.get(axis, {})) | set(old_t.get(axis, {}))):
            rows.append([f"{axis}: {name}", _min(old_t.get(axis, {}).get(name)), _min(now_t.get(axis, {}).get(name))])
    out = [tabulate(rows, headers=["minutes", f"before ({before.get('date', '—')}, {before.get('commit', '—')})",
                                   f"after ({doc['date']}, {doc['commit']})"], tablefmt="github"), "",
           f"_{doc['what']}. Per model and kind: the phases' own seconds summed (loading and the claims' statistics "
           "between phases are not in them)" + (f"; before: {before['totals_note']}" if before.get("totals_note") else "")
           + "._", ""]
    ph = doc.get("phases") or []
    if ph:
        flops = flops_per_token(benches)
        rows = [[p["model"], p["phase"], p["rows"] if p["rows"] is not None else "", p["seconds"],
                 f"{p['seconds'] / doc['run_seconds']:.0%}", p["tokens_per_s"] or "",
                 _of_bound(p["tokens_per_s"], doc.get("gflops"), p["model"].split("+")[0], flops)]
                for p in ph if p["seconds"] >= 30]
        small = sum(p["seconds"] for p in ph if p["seconds"] < 30)
        out += [f"#### After, phase by phase (phases of 30 s or more; matmul {doc.get('gflops') or '?'} GFLOP/s "
                "measured right after on the same machine)", "",
                tabulate(rows, headers=["model", "phase", "rows", "seconds", "of the run", "generated tok/s",
                                        "of compute bound"], tablefmt="github"), "",
                f"Phases under 30 s together: {small} s.", ""]
    return out


def llama_cpp_table(benches: list[dict]) -> list[str]:
    flops = flops_per_token(benches)
    rows = []
    for b in benches:
        if not b["name"].startswith("test_llama_cpp_vs_harness["):
            continue
        e = b["extra_info"]
        rows.append([e["model"], e["gguf"], f"{e['prompts']} x {e['new_tokens']}", e["llama_tokens_per_s"],
                     e["harness_tokens_per_s"], f"{e['harness_tokens_per_s'] / e['llama_tokens_per_s']:.2f}",
                     _of_bound(e["harness_tokens_per_s"], b.get("_gflops"), e["model"], flops)])
    if not rows:
        return ["_Not run (a benchmark-only install of llama-cpp-python, then pytest benchmarks -k llama_cpp)._", ""]
    return [tabulate(rows, headers=["model", "GGUF (llama.cpp reads it quantized)", "prompts x new tokens",
                                    "llama.cpp decode tok/s", "harness decode tok/s (float32)", "harness / llama.cpp",
                                    "harness of compute bound"], tablefmt="github"), ""]


def peer_table(benches: list[dict]) -> list[str]:
    rows = []
    for b in benches:
        e = b["extra_info"]
        if b["name"].startswith("test_peer_vectors_match"):
            rows.append(["vectors (comprehension mean difference, every block)",
                         f"cosine min {e['cos_min']}, mean {e['cos_mean']} (middle block min {e['cos_min_middle']})",
                         f"steering-vectors {e['peer_seconds']} s vs harness {e['ours_seconds']} s "
                         f"({e['time_ratio_peer_over_ours']}x)"])
        if b["name"].startswith("test_peer_steering_tokens_match"):
            rows.append([f"steering, alpha {e['alpha']}, 4 prompts x 40 tokens",
                         f"token agreement {e['token_agreement']:.0%} of {e['tokens']}", f"{e['peer_seconds']} s"])
    if not rows:
        return ["_Not run (pip install scikit-learn && pip install --no-deps steering-vectors==0.12.2, then "
                "pytest benchmarks -k peer)._", ""]
    return [tabulate(rows, headers=["what", "agreement", "time"], tablefmt="github"), ""]


def _model(b: dict) -> str:
    return b["name"].split("[", 1)[-1].rstrip("]")


def routes_table(benches: list[dict]) -> list[str]:
    rows = []
    for b in benches:
        e = b["extra_info"]
        if b["name"].startswith("test_static_kv_cache"):
            rows.append([_model(b), "static KV cache (64 chat prompts x 50 tokens)",
                         f"{e['static_tok_s']} vs {e['dynamic_tok_s']} tok/s ({e['static_tok_s'] / e['dynamic_tok_s']:.2f}x)",
                         f"{e['identical']} of {e['prompts']} continuations identical"])
        if b["name"].startswith("test_two_single_thread_workers"):
            rows.append([_model(b), "two 1-thread processes vs one 2-thread process",
                         f"{e['two_processes_one_thread_tok_s']} vs {e['one_process_two_threads_tok_s']} tok/s "
                         f"({e['ratio']}x)", "same texts (greedy, same model)"])
        if b["name"].startswith("test_external_scorer_cost"):
            rows.append([_model(b), "as the external scorer (256 texts, batch 16)",
                         f"{e['ms_per_pair']} ms per text, {e['scored_tokens_per_s']} scored tok/s", ""])
    if not rows:
        return ["_Not run (pytest benchmarks -k speed_routes --models embedded)._", ""]
    return [tabulate(rows, headers=["model", "route", "speed", "effect on results"], tablefmt="github"), ""]


def scorer_effect_table(benches: list[dict]) -> list[str]:
    rows = []
    for b in benches:
        if not b["name"].startswith("test_scorer_effect"):
            continue
        e = b["extra_info"]
        rows.append([e["model"], e["prompting"], e["rows"],
                     " vs ".join(e["scorers"]), e["ppl_spearman"], " vs ".join(map(str, e["median_ppl"])),
                     f"{e['labels_agree']:.1%}", " vs ".join(map(str, e["incoherent"])),
                     " vs ".join(map(str, e["c8_ratio"])), " vs ".join(e["c8_regime"]), " vs ".join(e["c9"])])
    if not rows:
        return ["_Not run (pytest benchmarks -k scorer_effect --models embedded, after pytest evals)._", ""]
    return [tabulate(rows, headers=["model", "prompting", "texts", "scorers", "ppl rank agreement (Spearman)",
                                    "median ppl", "degeneration labels equal", "incoherent",
                                    "C8 ratio", "C8 regime", "C9"], tablefmt="github"), ""]


def scale_modes_table(benches: list[dict]) -> list[str]:
    rows = []
    for b in benches:
        if not b["name"].startswith("test_scale_modes"):
            continue
        e = b["extra_info"]
        for mode, m in e["modes"].items():
            step = next(k for k in m if k.startswith("s_ratio_step") and k.endswith("_median"))
            rows.append([e["model"], mode, f"{m['s_rel_diff_median']:.2%}", f"{m['s_rel_diff_max']:.2%}",
                         f"{m[step]} ({m[step.replace('_median', '_n')]})" if m[step] is not None else "-",
                         f"{m['tokens_equal']:.0%}", f"{m['identical']:.0%}",
                         f"{m['seconds']} s vs {e['per_step_seconds']} s"])
    if not rows:
        return ["_Not run (pytest benchmarks -k scale_modes --models embedded)._", ""]
    e = next(b["extra_info"] for b in benches if b["name"].startswith("test_scale_modes"))
    return [f"Every scenario's raw prompts steered with the target's middle-block vector at "
            f"{', '.join(map(str, e['strengths']))} ({e['rows']} rows, {e['new_tokens']} new tokens), in each mode "
            "and in the paper's loop (`per_step`). s_l columns: |s_l / loop s_l - 1| over every block and step "
            "while the two texts still agree; the step-20 column is the median ratio there (and how many "
            "block-row readings it rests on).", "",
            tabulate(rows, headers=["model", "mode", "s_l off the loop's (median)", "(max)",
                                    "s_l ratio at step 20", "tokens as the loop's", "continuations identical",
                                    "time (mode vs loop)"], tablefmt="github"), ""]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("json", nargs="+")
    ap.add_argument("--out", default="reports/benchmarks.md")
    ap.add_argument("--notes", default="benchmarks/analysis.md",
                    help="hand-written analysis (targets, profiles) appended to the report")
    args = ap.parse_args()
    benches, machine = load(args.json)
    fresh = next((json.loads(Path(p).read_text()) for p in args.json if Path(p).name == "fresh_clone.json"), None)
    cpu = machine.get("cpu", {}).get("brand_raw", platform.processor())
    parts = ["# Benchmarks", "",
             f"Machine: {cpu}, {machine.get('cpu', {}).get('count', '?')} cores; python {machine.get('python_version', '?')}. "
             "Medians from pytest-benchmark; ratios are taken within one run. Regenerate with the README's benchmark "
             "command.", "",
             "## Forward-pass overhead", "", *forward_tables(benches),
             "## Generation throughput and the compute bound", "", *generation_tables(benches),
             "## Scale modes against the paper's steering loop", "", *scale_modes_table(benches),
             "## llama.cpp on the same GGUF files", "", *llama_cpp_table(benches),
             "## End to end", "", *e2e_table(benches),
             "### Where a cold run's time goes", "", *phase_tables(benches),
             "### README command 1 in a fresh clone", "", *fresh_clone_tables(fresh, benches),
             "## Peer comparison: steering-vectors 0.12.2", "", *peer_table(benches),
             "## Speed routes", "", *routes_table(benches),
             "## A smaller external scorer: what it changes", "", *scorer_effect_table(benches)]
    if Path(args.notes).is_file():
        parts += ["", Path(args.notes).read_text()]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(parts) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
