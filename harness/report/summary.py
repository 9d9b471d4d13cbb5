"""Render a run (metadata, claim records, excerpts) as summary.md, results.csv, plots and excerpts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tabulate import tabulate

from harness.cache import atomic_path
from harness.claims import CLAIMS
from harness.claims.markdown import fmt, fmt_ci
from harness.claims.record import ClaimRecord, sort_key
from harness.report.html import render_html
from harness.report.matrix import matrix_markdown
from harness.report.readable import READABLE_TITLE, readable_table
from harness.report.results import excerpt_key, unique_excerpts

# "method / prompting": a geometry claim runs over extraction methods, a steering claim over
# prompting modes (each claim names its axis); records keep both under details["method"].
CLAIMS_HEADERS = ("claim", "model", "method / prompting", "metric", "paper", "measured [95% interval]",
                  "controls under the same test", "verdict")


def _controls(r: ClaimRecord) -> str:
    items = r.details.get("controls") or []
    return "; ".join(f"{c['name']}: {fmt(c['value'])}" + (" (passes too)" if c.get("passes") else "")
                     + (" (undecided: may pass too)" if c.get("undecided") else "")
                     for c in items if isinstance(c, dict)) or "—"


def claims_rows(records: list[ClaimRecord]) -> list[list[str]]:
    return [[r.claim, r.model, r.method, r.metric, fmt(r.paper_value), _measured(r), _controls(r), r.verdict]
            for r in sorted(records, key=sort_key)]


def _measured(r: ClaimRecord) -> str:
    note = r.details.get("value_note")
    return fmt_ci(r.value, r.details.get("interval")) + (f" ({note})" if note else "")


def claims_table(records: list[ClaimRecord], fmt_name: str = "github") -> str:
    return tabulate(claims_rows(records), headers=CLAIMS_HEADERS, tablefmt=fmt_name)


def _kinds(run: dict[str, Any]) -> dict[str, str]:
    from harness.models.registry import REGISTRY

    kinds = {k: s.kind for k, s in REGISTRY.items()}
    kinds.update({k: m.get("kind", "?") for k, m in run.get("models", {}).items()})
    return kinds


def _plot_links(plots: dict[str, Any]) -> list[str]:
    from harness.report.plots import listed

    lines = [f"- {title}: " + ", ".join(f"[{k}]({v})" for k, v in items) for title, items in listed(plots)]
    return lines or ["_No plot: no record had the data for one._"]


def render_tables(records: list[ClaimRecord], kinds: dict[str, str]) -> list[str]:
    """Every claim's report sections, in the registry's order."""
    out = []
    for claim in CLAIMS:
        for section in claim.tables:
            out += [f"### {section.title}", "", section.render(records, kinds), ""]
        if missing := claim.unreadable(records):
            out += [f"_{missing} {claim.id} record(s) lack fields these tables read (written by another harness "
                    "version) and are left out of them; results.csv has every record._", ""]
    return out


def render_summary(run: dict[str, Any], records: list[ClaimRecord], excerpts: list[dict[str, Any]] | None = None,
                   plots: dict[str, Any] | None = None) -> str:
    rows = model_rows(run)
    excerpt_files = sorted({excerpt_file(e["model"], e["prompting"]) for e in excerpts or []})
    sources = run.get("merged_from") or []
    merged = (f"Merged from {len(sources)} runs: " + "; ".join(
        f"{', '.join(m['models'])} ({m.get('date')}, {m.get('device')}, {m.get('dtype')})" for m in sources) + ". ") if sources else ""
    parts = [
        "# Emotion-representation claims: measured vs paper",
        "",
        f"Harness {run.get('harness_version', '?')}, profile `{run.get('profile', '?')}`, "
        f"device `{run.get('device', '?')}`, dtype `{run.get('dtype', '?')}`, run {run.get('date', '?')}. "
        + merged + _steering_line(records) + "Also: [summary.html](summary.html) (this report as one page, plots inline), "
        "[results.json](results.json), [results.csv](results.csv).",
        "",
        "## Verdicts",
        "",
        *([matrix_markdown(records), "", "_Each cell: the decisive record per extraction method (comp, gen) or "
           "prompting mode (raw, chat) and its value; its controls and every other record are in the "
           "claim's section below and in [Every record](#every-record)._"] if records
          else ["_No claim was recorded in this run._"]),
        "",
        "## Models",
        "",
        tabulate(rows, headers=MODEL_HEADERS, tablefmt="github") if rows else "_No model was loaded._",
        "",
    ]
    if records:
        parts += ["## The paper's tables, measured beside", "", *render_tables(records, _kinds(run))]
        parts += ["## Plots", "", *_plot_links(plots or {}), ""]
    if excerpt_files:
        parts += ["## Steered text", "", "Every steered continuation, by scenario, strength and direction: "
                  + ", ".join(f"[{f.split('/')[-1][:-3]}]({f})" for f in excerpt_files), ""]
        if readable := readable_table(excerpts or []):
            parts += [f"### {READABLE_TITLE}", "", *readable]
    if records:
        parts += ["## Every record", "", claims_table(records), ""]
    return "\n".join(parts)


def _steering_line(records: list[ClaimRecord]) -> str:
    """The steering grids and scale modes the steering records ran under (older records name none)."""
    ran = sorted({(str(r.details["grid"]), str(r.details.get("scale", "?"))) for r in records if r.details.get("grid")})
    if not ran:
        return ""
    return "Steering: " + "; ".join(f"grid `{g}`, scale `{s}`" for g, s in ran) + ". "


MODEL_HEADERS = ("model", "family", "kind", "source", "dtype", "fingerprint")


def model_rows(run: dict[str, Any]) -> list[list[Any]]:
    return [[k, m.get("family", ""), m.get("kind", ""), m.get("source", ""), m.get("dtype", run.get("dtype", "")),
             (m.get("fingerprint") or "")[:12]] for k, m in sorted(run.get("models", {}).items())]


CSV_FIELDS = ("claim", "model", "method", "metric", "paper_value", "value", "verdict", "profile", "baseline",
              "layer", "stimuli", "paper_source", "reason")


def write_csv(path: Path, records: list[ClaimRecord]) -> None:
    import csv
    import io
    import json

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_FIELDS)
    for r in sorted(records, key=sort_key):
        d = r.details
        cell = [r.claim, r.model, r.method, r.metric, r.paper_value, r.value, r.verdict,
                d.get("profile", ""), d.get("baseline", ""), d.get("layer", ""), d.get("stimuli", ""),
                d.get("paper_source", ""), d.get("reason", "")]
        w.writerow([json.dumps(c) if isinstance(c, (list, dict)) else ("" if c is None else c) for c in cell])
    with atomic_path(path) as tmp:
        tmp.write_text(buf.getvalue())


def write_report(out: Path, run: dict[str, Any], records: list[ClaimRecord],
                 excerpts: list[dict[str, Any]] | None = None) -> Path:
    """summary.md, summary.html, results.csv, plots/ and excerpts/ from the run's records
    (results.json aside).

    Records go through the same JSON round trip and order as results.json first, so
    re-rendering a results.json (``harness report``) gives the same bytes."""
    import json
    import shutil

    records = [ClaimRecord.from_dict(json.loads(json.dumps(r.to_dict(), sort_keys=True)))
               for r in sorted(records, key=sort_key)]
    excerpts = json.loads(json.dumps(unique_excerpts(excerpts or []), sort_keys=True))
    from harness.report.plots import PLOT_DIR, draw_all

    for owned in (PLOT_DIR, "excerpts"):  # no stale figure or excerpt from an earlier run survives
        shutil.rmtree(out / owned, ignore_errors=True)
    plots = draw_all(records, out) if records else {}
    write_excerpts(out, excerpts or [])
    write_csv(out / "results.csv", records)
    write_summary(out / "summary.md", run, records, excerpts, plots)
    with atomic_path(out / "summary.html") as tmp:
        tmp.write_text(render_html(run, records, model_rows(run), _kinds(run), excerpts or [], plots, out,
                                   claims_rows(records), CLAIMS_HEADERS))
    return out / "summary.md"


def write_summary(path: Path, run: dict[str, Any], records: list[ClaimRecord],
                  excerpts: list[dict[str, Any]] | None = None, plots: dict[str, Any] | None = None) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(render_summary(run, records, excerpts, plots))


def excerpt_file(model: str, prompting: str) -> str:
    return f"excerpts/{model}-{prompting}.md"


def render_excerpts(excerpts: list[dict[str, Any]]) -> dict[str, str]:
    """One markdown file per (model, prompting): every steered continuation, by scenario and strength."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for e in sorted(excerpts, key=excerpt_key):
        groups.setdefault((e["model"], e["prompting"]), []).append(e)
    files = {}
    for (model, prompting), items in groups.items():
        lines = [f"# Steered continuations: {model}, {prompting} prompts", "",
                 "Greedy; strength = alpha (the added vector is sign * alpha * s_l * v_hat at every block). "
                 "`target` is the primary classifier's target-emotion score, `ppl` the scorer's perplexity, "
                 "`loop` the share of words in the longest repetition loop, `degenerate` why the text counts as "
                 "degenerate. Newlines show as ⏎ and tabs as ⇥; ∅ is a continuation with no characters at all. "
                 "Sections after the first block per scenario are the C13 runs (scale rule, long prompts).", ""]
        section = None
        for e in items:
            where = (e["scenario"], e.get("length", "short"), e.get("rule", "paper"))
            if where != section:
                section = where
                extra = "" if where[1:] == ("short", "paper") else f", {where[1]} prompts, {where[2]} scale"
                lines += [f"## {e['scenario']} (target {e['target_emotion']}, sign {e['sign']:+d}{extra})", ""]
            head = (f"- prompt {e['prompt_index']}, {e['direction']} direction, strength {e['strength']}: "
                    f"target {fmt(e['target'])}, ppl {fmt(e['perplexity'])}, loop {fmt(e['loop_share'], 2)}"
                    + (f", degenerate: {e['degenerate']}" if e.get("degenerate") else ""))
            lines += [head, f"  > {visible(e['prompt'])} **{visible(e['text'])}**", ""]
        files[excerpt_file(model, prompting)] = "\n".join(lines)
    return files


def visible(text: str) -> str:
    """Text on one markdown line with its whitespace visible: a blank continuation must look blank."""
    if not text:
        return "∅"
    return text.replace("\r", "").replace("\n", "⏎").replace("\t", "⇥").replace("*", "\\*")


def write_excerpts(out: Path, excerpts: list[dict[str, Any]]) -> None:
    for name, text in render_excerpts(excerpts).items():
        with atomic_path(out / name) as tmp:
            tmp.write_text(text)
