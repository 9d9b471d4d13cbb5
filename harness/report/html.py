"""summary.html: the report as one self-contained page (styles and plots inline, nothing
fetched), opening with the claim x model verdict matrix, then the paper's tables, the plots,
the steered continuations (collapsed, by model and scenario) with the emotion traces of a
few of them, and every record. Rendered from the same records as summary.md, so
``harness report`` rebuilds it byte for byte."""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt
from tabulate import tabulate

from harness.claims import CLAIMS
from harness.claims.markdown import fmt
from harness.claims.record import ClaimRecord
from harness.report.matrix import SHORT, matrix, short_value
from harness.report.plots import listed
from harness.report.readable import READABLE_TITLE, readable_table

VERDICT_CLASS = {"holds": "holds", "does not hold": "fails", "inconclusive": "inconclusive",
                 "uninformative": "uninformative", "not applicable": "na"}

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:1500px;
color:#1f2328;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #d0d7de}
h3{font-size:15px;margin:20px 0 6px}.meta{color:#59636e;font-size:13px}
table{border-collapse:collapse;margin:6px 0 10px;font-size:12.5px}
th,td{border:1px solid #d0d7de;padding:3px 6px;vertical-align:top;text-align:left}
th{background:#f6f8fa}
table.matrix td{min-width:150px}table.matrix th.claim,table.matrix td.claim{min-width:210px}
.v{display:block;border-radius:4px;padding:2px 5px;margin:2px 0}
.v b{font-weight:600}.v small{display:block;color:#3d444d;font-size:11.5px}
.holds{background:#d1f5d8}.fails{background:#ffd8d3}.inconclusive{background:#fff1b8}
.uninformative{background:#dde6f5}.na{background:#eef0f2;color:#59636e}
.legend span{margin-right:10px;padding:1px 6px;border-radius:4px}
details{margin:4px 0}summary{cursor:pointer}
img.plot{max-width:640px;border:1px solid #d0d7de;margin:4px 8px 8px 0;vertical-align:top}
.text{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px;white-space:pre-wrap;
word-break:break-word;max-width:900px}
.trace{max-width:900px;line-height:1.6}
.trace span{display:inline-block;padding:0;border-radius:2px;font-family:ui-monospace,monospace;font-size:12px;
white-space:pre}
.caption{color:#59636e;font-size:12px}
"""


def _esc(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _control(r: ClaimRecord) -> str:
    items = [c for c in r.details.get("controls") or [] if isinstance(c, dict)]
    if not items:
        return ""
    # The control that decided: one that passes too, else one undecided, else the first that
    # was tested (a reference value such as the null's mean decides nothing by itself).
    c = next((c for c in items if c.get("passes")), None) or next((c for c in items if c.get("undecided")), None) \
        or next((c for c in items if c.get("passes") is not None), items[0])
    mark = " (passes too)" if c.get("passes") else (" (undecided)" if c.get("undecided") else "")
    return f"{c['name']}: {fmt(c['value'])}{mark}"


def verdict_matrix(records: list[ClaimRecord]) -> str:
    models, rows = matrix(records)
    head = "".join(f"<th>{_esc(m)}</th>" for m in models)
    out = [f'<table class="matrix"><tr><th class="claim">claim</th>{head}</tr>']
    for row in rows:
        if not row.cells:
            continue
        cells = []
        for m in models:
            parts = []
            for r in row.cells.get(m, []):
                control = _control(r)
                pooled = f"{r.model}: " if m == "pooled" else ""
                parts.append(f'<span class="v {VERDICT_CLASS.get(r.verdict, "na")}" title="{_esc(r.metric)}">'
                             f"<b>{_esc(SHORT.get(r.method, r.method))}: {_esc(r.verdict)}</b> "
                             + ("" if r.verdict == "not applicable" else _esc(short_value(r, row.source))) + (f"<small>{_esc(pooled + control)}</small>" if control or
                                                            pooled else "") + "</span>")
            cells.append(f"<td>{''.join(parts) or '—'}</td>")
        out.append(f'<tr><td class="claim"><a href="#{row.claim}">{row.claim}</a> {_esc(row.short)}'
                   f'<br><span class="caption">{_esc(row.statement)}</span></td>{"".join(cells)}</tr>')
    out.append("</table>")
    legend = "".join(f'<span class="{c}">{_esc(v)}</span>' for v, c in VERDICT_CLASS.items())
    return "\n".join(out) + (f'<p class="legend caption">{legend} Each cell: the decisive record per extraction '
                             "method or prompting mode, its value (a share as its count: healthy texts that pass of those read, "
                             "and how many collapsed), and the control that decided it under the same test "
                             "(every control is in the records table and in the claim's section).</p>")


def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False}).enable("table")


def claim_sections(records: list[ClaimRecord], kinds: dict[str, str]) -> str:
    md = _markdown()
    out = []
    for claim in CLAIMS:
        if not claim.tables:
            continue
        out.append(f'<section id="{claim.id}"><h3>{claim.id}: {_esc(claim.statement)} '
                   f'<span class="caption">(paper {_esc(claim.section)})</span></h3>')
        for table in claim.tables:
            out.append(f"<h4>{_esc(table.title)}</h4>" + md.render(table.render(records, kinds)))
        out.append("</section>")
    return "\n".join(out)


def inline_plots(out: Path, plots: dict[str, Any]) -> str:
    """Every plot as an inline PNG (data URI), grouped by kind."""
    parts = []
    for title, items in listed(plots):
        imgs = []
        for name, rel in items:
            data = base64.b64encode((out / rel).read_bytes()).decode("ascii")
            imgs.append(f'<img class="plot" alt="{_esc(title)}: {_esc(name)}" title="{_esc(name)}" '
                        f'src="data:image/png;base64,{data}">')
        parts.append(f"<h3>{_esc(title)}</h3>" + "".join(imgs))
    return "\n".join(parts) or "<p>No plot: no record had the data for one.</p>"


def _colour(value: float, limit: float) -> str:
    """Red along the emotion, blue against, white at 0 (alpha by magnitude)."""
    a = min(1.0, abs(value) / limit) if limit > 0 else 0.0
    rgb = "215,48,39" if value > 0 else "49,54,149"
    return f"rgba({rgb},{a * 0.75:.3f})"


def trace_strip(trace: dict[str, Any]) -> str:
    """The continuation's tokens coloured by their projection on the target emotion (the
    unsteered model re-reading prompt and continuation, middle block)."""
    values = trace["target_projection"]
    limit = max((abs(v) for v in values[1:]), default=0.0) or 1.0  # the first position is the sink
    cut = trace.get("prompt_tokens", 0)
    spans = "".join(f'<span style="background:{_colour(v, limit)}" title="{v:.3g}">{"▏" if i == cut else ""}'
                    f"{_esc(t)}</span>" for i, (t, v) in enumerate(zip(trace["tokens"], values, strict=True)))
    return (f'<div class="trace">{spans}</div><p class="caption">emotion trace: each token\'s projection on '
            f'{_esc(trace["emotion"])} ({_esc(trace.get("baseline", "neutral"))} vectors) at block {trace["layer"]}, '
            "the unsteered model re-reading prompt and continuation (red: along it, blue: against, first position clipped; hover for the value; ▏ marks "
            "where the continuation starts)</p>")


def excerpt_sections(excerpts: list[dict[str, Any]]) -> str:
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for e in excerpts:
        groups.setdefault((e["model"], e["prompting"]), []).append(e)
    out = []
    for (model, prompting), items in sorted(groups.items()):
        scen: dict[str, list[dict[str, Any]]] = {}
        for e in items:
            label = e["scenario"] + ("" if (e.get("length", "short"), e.get("rule", "paper")) == ("short", "paper")
                                     else f" ({e.get('length')} prompts, {e.get('rule')} scale)")
            scen.setdefault(label, []).append(e)
        inner = []
        for label, rows in scen.items():
            body = []
            for e in rows:
                t = e.get("trace")
                text = _esc(e["text"]) if e["text"] else "∅"
                body.append(f"<tr><td>{e['prompt_index']}</td><td>{_esc(e['direction'])}</td><td>{e['strength']}</td>"
                            f"<td>{_esc(fmt(e['target']))}</td><td>{_esc(fmt(e['perplexity']))}</td>"
                            f"<td>{_esc(e.get('degenerate') or '')}</td><td><div class=\"text\">{text}</div>"
                            + (trace_strip(t) if t else "") + "</td></tr>")
            first = rows[0]
            inner.append(f"<details><summary>{_esc(label)}: target {_esc(first['target_emotion'])}, sign "
                         f"{first['sign']:+d} ({len(rows)} texts)</summary><p class=\"caption\">prompt 0: "
                         f"{_esc(first['prompt'])}</p><table><tr><th>prompt</th><th>direction</th><th>strength</th>"
                         "<th>target</th><th>ppl</th><th>degenerate</th><th>continuation</th></tr>"
                         + "".join(body) + "</table></details>")
        out.append(f"<details><summary><b>{_esc(model)}</b>, {_esc(prompting)} prompts ({len(items)} texts)"
                   f"</summary>{''.join(inner)}</details>")
    return "\n".join(out) or "<p>No steered text in this run.</p>"


def render_html(run: dict[str, Any], records: list[ClaimRecord], models_table: list[list[Any]], kinds: dict[str, str],
                excerpts: list[dict[str, Any]], plots: dict[str, Any], out: Path, record_rows: list[list[str]],
                record_headers: tuple[str, ...]) -> str:
    meta = (f"Harness {_esc(run.get('harness_version', '?'))}, profile <code>{_esc(run.get('profile', '?'))}</code>, "
            f"device <code>{_esc(run.get('device', '?'))}</code>, dtype <code>{_esc(run.get('dtype', '?'))}</code>, "
            f"run {_esc(run.get('date', '?'))}. Also: <a href=\"summary.md\">summary.md</a>, "
            '<a href="results.json">results.json</a>, <a href="results.csv">results.csv</a>.')
    body = [
        "<h1>Emotion-representation claims: measured vs paper</h1>", f'<p class="meta">{meta}</p>',
        '<h2 id="verdicts">Verdicts</h2>', verdict_matrix(records) if records else "<p>No claim was recorded.</p>",
        "<h2>Models</h2>", tabulate(models_table, headers=("model", "family", "kind", "source", "dtype",
                                                            "fingerprint"), tablefmt="html"),
    ]
    if records:
        body += ["<h2>The paper's tables, measured beside</h2>", claim_sections(records, kinds),
                 "<h2>Plots</h2>", inline_plots(out, plots)]
    body += ["<h2>Steered text</h2>", '<p class="caption">Greedy continuations by model, prompting, scenario, '
             "direction and strength; <code>target</code> is the primary classifier's target-emotion score, "
             "<code>ppl</code> the scorer's perplexity, <code>degenerate</code> why a text counts as degenerate. "
             "Texts with a coloured strip carry their emotion trace.</p>"]
    if readable := readable_table(excerpts):
        body += [f"<h3>{READABLE_TITLE}</h3>",
                 _markdown().render("\n".join(readable))]
    body.append(excerpt_sections(excerpts))
    if records:
        body += ['<h2 id="every-record">Every record</h2>', "<details><summary>All records with their controls "
                 f"({len(records)})</summary>" + tabulate(record_rows, headers=record_headers, tablefmt="html")
                 + "</details>"]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            "<title>Emotion-representation claims</title><style>" + STYLE + "</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")
