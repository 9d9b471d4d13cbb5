"""The report: every paper table with paper and measured columns, plots, CSV, excerpts; and
`python -m harness report` rebuilds the same files from results.json alone."""

from __future__ import annotations

import csv

import pytest

from harness import thresholds as th
from harness.claims.base import Check, Finding, PaperRef, to_record
from harness.claims.geometry import OppositePairsDetails, UCurveCurves, ValenceDetails, u_curve
from harness.claims.record import ClaimRecord
from harness.claims.steering import (
    C5,
    C6,
    C7,
    C8,
    C9,
    classifier_flips,
    dose_response,
    moves_check,
    regime,
    safe_strength,
)
from harness.cli import main
from harness.experiments.steering_grid import SteeringRun, SteerRow
from harness.metrics.textstats import text_stats
from harness.report.results import write_results
from harness.report.summary import render_excerpts, visible, write_report
from harness.stimuli.scenarios import load_scenarios

N = 12  # blocks of the fake model


def steering_run(model: str) -> SteeringRun:
    sc = load_scenarios()
    rows = []
    for s in sc:
        for i in range(len(s.prompts)):
            for a in th.STRENGTHS:
                text = "calm calm calm calm calm calm" if a >= 0.08 else f"an ordinary reply number {i} here"
                rows.append(SteerRow(s.id, i, "emotion", a, s.sign, text, 6, False, s.sign * a * (i + 1),
                                     10 + 100 * a, 5 + 50 * a, 0.5 + s.sign * a, {"joy": 0.5}, text_stats(text).__dict__))
            for a in th.RANDOM_STRENGTHS:
                rows.append(SteerRow(s.id, i, "random", a, s.sign, "random words", 2, False, 0.0, 12.0, 0.0, 0.5,
                                     {"joy": 0.5}, text_stats("random words").__dict__))
    return SteeringRun(model, "raw", "comprehension", "prefill", "fake 1", model, 8, N // 2, sc, tuple(rows))


CONTEXT = {"profile": "paper", "stimuli": "abc123"}


def rec(claim, model, metric, check: Check, method, **context):
    return to_record(claim, model, Finding(metric, check, {"method": method, **CONTEXT, **context},
                                           PaperRef(0.5, "test")))


def records() -> list[ClaimRecord]:
    out = []
    for model in ("tiny-a", "tiny-b"):
        curve = [0.9 - 0.05 * i + 0.004 * i * i for i in range(N)]
        main = u_curve(curve)
        out.append(rec("C1", model, "best_depth_separation", Check(main.holds, main.value, main.reason, UCurveCurves(
            **vars(main.details), separation_per_block={"neutral": curve, "centred": curve},
            separation_post_final_norm={"neutral": 0.5, "centred": 0.5},
            separation_ci_per_block=[[c - 0.05, c + 0.05] for c in curve],
            null_mean_per_block=[c + 0.02 for c in curve], null_p05_per_block=[c + 0.01 for c in curve],
            heldout_kind="held-out passages", heldout_top1_per_block=[0.1] * N, heldout_top3_per_block=[0.2] * N,
            heldout5_top1_per_block=[0.3] * N, transfer_top1_per_block=None)),
            "comprehension"))
        cos = [[1.0 if i == j else 0.3 for j in range(20)] for i in range(20)]
        pairs = {"happy-sad": 0.4, "calm-desperate": 0.3, "loving-hostile": 0.2, "proud-guilty": 0.35}
        out.append(rec("C3", model, "min_opposite_pair_cosine", Check(True, 0.2, "fake", OppositePairsDetails(
            neutral=pairs, centred=pairs, minus_separation=pairs, minus_separation_ci={k: [0.0, 0.1] for k in pairs},
            null_all_positive_share=1.0, baseline="neutral", layer=6, cosine_matrix=cos)), "comprehension"))
        out.append(rec("C11", model, "valence_pc1_abs_spearman", Check(True, 0.3, "fake", ValenceDetails(
            valence={"neutral": 0.3, "centred": 0.2}, valence_ci=[0.1, 0.45], arousal={"neutral": 0.1},
            emotion_specific=True, baseline="neutral",
            layer=6, pc_scores=[[i * 0.1, -i * 0.05] for i in range(20)],
            valences=[(-1) ** i * 0.5 for i in range(20)], arousals=[0.0] * 20)), "comprehension"))
        run = steering_run(model)
        out.append(rec("C5", model, C5.metric, moves_check(run), "raw", vector_method="comprehension",
                       classifier="fake 1"))
        out.append(rec("C6", model, C6.metric, classifier_flips(run), "raw", classifier="fake 1"))
        out.append(rec("C7", model, C7.metric, dose_response(run), "raw", classifier="fake 1"))
        out.append(rec("C8", model, C8.metric, regime(run, "explosive"), "raw"))
        out.append(rec("C9", model, C9.metric, safe_strength(run), "raw"))
    return out


EXCERPTS = [{"model": "tiny-a", "prompting": "raw", "scenario": "sad_to_happy", "target_emotion": "happy", "sign": 1,
             "prompt_index": 0, "prompt": "It rained.", "direction": "emotion", "strength": 0.02,
             "text": "The sun <came> out.", "target": 0.7, "perplexity": 12.5, "loop_share": 0.0,
             "trace": {"emotion": "happy", "layer": 6, "tokens": ["It", " rained", ".", " The", " sun", " <came>",
                                                                  " out", "."],
                       "prompt_tokens": 3, "target_projection": [9.0, -0.5, 0.1, 0.2, 0.8, 1.2, 0.4, -0.1]}}]
RUN = {"date": "2026-11-25T00:00:00+00:00", "profile": "paper", "device": "cpu", "dtype": "float32",
       "harness_version": "0", "models": {"tiny-a": {"family": "llama", "kind": "instruct"}}}


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("rep")
    recs = records()
    write_results(out / "results.json", RUN, recs, EXCERPTS)
    write_report(out, RUN, recs, EXCERPTS)
    return out


def test_summary_has_every_paper_table_with_paper_and_measured_columns(report):
    s = (report / "summary.md").read_text()
    for title in ("Table 1: layer sweep", "Table 2: generation vs comprehension", "Section 4.3", "opposite pairs",
                  "anisotropy baseline", "valence organisation", "Table 4: steering activation deltas",
                  "classifier flips", "dose-response", "Table 5: perplexity and regimes", "cross-lingual"):
        assert title in s, title
    assert "paper (smollm2-1.7b-instruct, layer)" in s and "tiny-a comprehension" in s
    assert "| gpt2" in s and "| 56 " in s  # Table 4's paper row for GPT-2
    assert "llama-3.2-3b-instruct" in s and "not run" in s  # paper models absent from the run stay, marked
    assert "37/40" in s and "0.925" in s
    assert "profile paper; stimuli abc123" in s
    assert "[tiny-a-raw](excerpts/tiny-a-raw.md)" in s


def test_plots_exist_and_are_linked(report):
    s = (report / "summary.md").read_text()
    for name in ("ucurve_tiny-a.png", "heatmap_tiny-a_comprehension.png", "pca_tiny-b_comprehension.png",
                 "dose_tiny-a_raw.png", "regimes.png"):
        assert (report / "plots" / name).stat().st_size > 5000, name
        assert f"(plots/{name})" in s, name


def test_csv_has_one_row_per_record(report):
    rows = list(csv.DictReader((report / "results.csv").open()))
    assert len(rows) == len(records())
    assert {r["claim"] for r in rows} == {"C1", "C3", "C5", "C6", "C7", "C8", "C9", "C11"}
    assert all(r["profile"] == "paper" for r in rows)


def test_report_command_rebuilds_the_same_bytes(report, tmp_path):
    assert main(["report", str(report), "--out", str(tmp_path)]) == 0
    for rel in ("summary.md", "summary.html", "results.csv", "excerpts/tiny-a-raw.md", "plots/regimes.png",
                "plots/dose_tiny-b_raw.png", "plots/ucurve_tiny-b.png"):
        assert (tmp_path / rel).read_bytes() == (report / rel).read_bytes(), rel


def test_report_command_on_a_missing_folder_is_one_line(tmp_path, capsys):
    assert main(["report", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert "no such results file" in err and err.count("\n") == 1


def test_claims_table_shows_interval_floor_and_controls_beside_the_verdict():
    from harness.claims.base import ControlReading
    from harness.report.summary import claims_table

    check = Check(False, 1 / 10001, "r", OppositePairsDetails(
        neutral={}, centred={}, minus_separation={}, minus_separation_ci={}, null_all_positive_share=1.0,
        baseline="neutral", layer=3, cosine_matrix=[]), outcome="uninformative", interval=(0.0, 0.000369),
        controls=(ControlReading("label-shuffled null", 0.5, None), ControlReading("random-weight copy", 0.0001, True)),
        note="floor: no shuffle of 10000 as low")
    text = claims_table([rec("C3", "tiny-a", "min_opposite_pair_cosine", check, "comprehension")])
    assert "0.0001 [0, 0.000369] (floor: no shuffle of 10000 as low)" in text
    assert "label-shuffled null: 0.5; random-weight copy: 0.0001 (passes too)" in text
    assert text.rstrip().endswith("uninformative |")


def test_whitespace_is_visible_in_excerpts():
    assert visible("\n\n") == "⏎⏎"
    assert visible("") == "∅"
    assert visible("a\tb\r\n*c*") == "a⇥b⏎\\*c\\*"


def test_a_blank_continuation_shows_as_newlines_not_as_nothing():
    blank = {**EXCERPTS[0], "text": "\n\n", "strength": 0.05, "degenerate": "blank"}
    empty = {**EXCERPTS[0], "text": "", "strength": 0.12, "degenerate": "blank"}
    c13 = {**EXCERPTS[0], "rule": "sink-robust", "length": "long", "strength": 0.3}
    ((name, text),) = render_excerpts([EXCERPTS[0], blank, empty, c13]).items()
    assert name == "excerpts/tiny-a-raw.md"
    assert "It rained. **⏎⏎**" in text and "It rained. **∅**" in text and "(empty)" not in text
    assert "strength 0.05: target 0.7, ppl 12.5, loop 0, degenerate: blank" in text
    assert "**The sun <came> out.**" in text
    assert "## sad_to_happy (target happy, sign +1, long prompts, sink-robust scale)" in text


def test_summary_opens_with_the_verdict_matrix(report):
    s = (report / "summary.md").read_text()
    assert s.index("## Verdicts") < s.index("## Models") < s.index("## The paper's tables") < s.index("## Every record")
    matrix = s[s.index("## Verdicts"):s.index("## Models")]
    assert "| claim" in matrix and "tiny-a" in matrix and "tiny-b" in matrix
    assert "C1 U-curve" in matrix and "comp: " in matrix and "raw: " in matrix
    long_table = s[s.index("## Every record"):]
    assert "controls under the same test" in long_table and "controls under the same test" not in matrix


def test_summary_html_is_one_self_contained_page(report):
    import re

    h = (report / "summary.html").read_text()
    assert h.startswith("<!DOCTYPE html>") and h.index('class="matrix"') < h.index("The paper's tables")
    # Nothing is fetched: no remote or relative src, no stylesheet link, no CSS url().
    assert re.findall(r'src="(?!data:)', h) == [] and "<link" not in h and "url(" not in h
    assert re.findall(r'href="(?:https?:)?//', h) == []
    assert h.count('src="data:image/png;base64,') >= 5  # the plots, inline
    for claim in ("C1", "C3", "C5", "C9", "C11"):
        assert f'<a href="#{claim}">' in h and f'<section id="{claim}">' in h, claim
    assert '<span class="v holds"' in h or '<span class="v fails"' in h
    assert "<details>" in h and "The sun &lt;came&gt; out." in h  # excerpts collapsed, escaped
    assert "▏" in h and "emotion trace" in h and "rgba(215,48,39" in h  # the traced continuation


def test_matrix_keeps_one_column_for_pooled_checks():
    from harness.report.matrix import POOLED, matrix

    recs = records()
    pooled = ClaimRecord.from_dict({**recs[-1].to_dict(), "model": "pooled(tiny-a,tiny-b)"})
    models, rows = matrix([*recs, pooled])
    assert models == ["tiny-a", "tiny-b", POOLED]
    c9 = next(r for r in rows if r.claim == "C9")
    assert [r.model for r in c9.cells[POOLED]] == ["pooled(tiny-a,tiny-b)"]


def _chromium() -> str | None:
    import shutil

    return next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)


PROBE = """<script>addEventListener("load", () => {
  const m = document.querySelector("table.matrix").getBoundingClientRect();
  const img = document.querySelector("img.plot");
  document.body.setAttribute("data-probe", JSON.stringify({matrix_top: m.top, matrix_height: m.height,
    viewport: innerHeight, plot_width: img.naturalWidth, plot_complete: img.complete,
    resources: performance.getEntriesByType("resource").map(e => e.name)}));
});</script></body>"""


@pytest.mark.skipif(_chromium() is None, reason="no Chromium on this machine (Debian: apt-get install chromium)")
def test_summary_html_renders_in_headless_chromium(report, tmp_path):
    """The page in a real browser with name resolution switched off: the matrix is above the
    fold, an inline plot decodes, the page requests nothing, and the screenshot shows the
    verdict colours."""
    import html as html_lib
    import json
    import re
    import subprocess

    import matplotlib.image

    browser = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
               "--window-size=1400,1000", "--host-resolver-rules=MAP * ~NOTFOUND", "--virtual-time-budget=10000"]
    probed = tmp_path / "probed.html"
    probed.write_text((report / "summary.html").read_text().replace("</body>", PROBE))
    dom = subprocess.run([*browser, "--dump-dom", probed.as_uri()], capture_output=True, text=True, timeout=120,
                         check=True).stdout
    probe = json.loads(html_lib.unescape(re.search(r'data-probe="([^"]*)"', dom).group(1)))
    assert 0 <= probe["matrix_top"] < probe["viewport"] and probe["matrix_height"] > 100
    assert probe["plot_complete"] and probe["plot_width"] > 100
    assert probe["resources"] == []
    shot = tmp_path / "shot.png"
    subprocess.run([*browser, f"--screenshot={shot}", (report / "summary.html").as_uri()], capture_output=True,
                   timeout=120, check=True)
    rgb = (matplotlib.image.imread(shot)[..., :3] * 255).round().astype(int)
    verdict_colours = [(0xd1, 0xf5, 0xd8), (0xff, 0xd8, 0xd3), (0xff, 0xf1, 0xb8), (0xdd, 0xe6, 0xf5)]
    assert any((rgb == colour).all(-1).any() for colour in verdict_colours), "no verdict colour in the first screen"
