"""The report: every paper table with paper and measured columns, plots, CSV, excerpts; and
`python -m harness report` rebuilds the same files from results.json alone."""

from __future__ import annotations

import csv

import pytest
from report_support import EXCERPTS, build_report, rec, records

from harness.claims.base import Check
from harness.claims.c03_opposite_pairs import OppositePairsDetails
from harness.claims.record import ClaimRecord
from harness.cli import main
from harness.report.summary import render_excerpts, visible


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    return build_report(tmp_path_factory.mktemp("rep"))


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


def test_matrix_shows_a_share_as_the_count_it_rests_on():
    from harness.claims import CLAIMS
    from harness.report.matrix import cell_text

    by_id = {c.id: c for c in CLAIMS}
    for r in records():
        if r.claim == "C5":
            d = r.details
            expected = f"{d['moved']}/{d['n']}" + (f", {d['degenerate_steered']} collapsed"
                                                   if d.get("degenerate_steered") else "")
            assert f"({expected})" in cell_text([r], by_id["C5"])
    c6 = next(r for r in records() if r.claim == "C6" and r.metric == by_id["C6"].metric)
    few = ClaimRecord.from_dict({**c6.to_dict(), "value": 0.0,
                                 "details": {**c6.details, "flips": 0, "n": 2, "collapsed": 45}})
    assert cell_text([few], by_id["C6"]).endswith("(0/2, 45 collapsed)")  # not a bare "(0)"
    assert cell_text([few]).endswith("(0)")  # the share alone, as before, when no claim is named


def test_a_steering_caption_over_several_models_names_each_models_vectors():
    from harness.claims.markdown import steering_caption

    base = next(r for r in records() if r.claim == "C5").to_dict()

    def at(model, vector):
        return ClaimRecord.from_dict({**base, "model": model, "details": {**base["details"], "vector": vector}})

    two = steering_caption([at("a", "centred, block 12"), at("b", "centred, block 20"), at("b", "baseline, block 15")],
                           "what")
    assert "a: centred, block 12 | b: baseline, block 15; centred, block 20" in two
    assert "(centred, block 12)" in steering_caption([at("a", "centred, block 12")], "what")
