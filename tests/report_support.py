"""Records and excerpts of two fake models, for the report tests."""

from __future__ import annotations

from pathlib import Path

from harness import thresholds as th
from harness.claims.base import Check, Finding, PaperRef, to_record
from harness.claims.c01_u_curve import UCurveCurves, u_curve
from harness.claims.c03_opposite_pairs import OppositePairsDetails
from harness.claims.c05_steering_moves_target import C5, moves_check
from harness.claims.c06_classifier_flips import C6, classifier_flips
from harness.claims.c07_dose_response import C7, dose_response
from harness.claims.c08_regime import C8, regime
from harness.claims.c09_safe_steering_strength import C9, safe_strength
from harness.claims.c11_valence import ValenceDetails
from harness.claims.record import ClaimRecord
from harness.experiments.steering_grid import SteeringRun, SteerRow
from harness.metrics.textstats import text_stats
from harness.report.results import write_results
from harness.report.summary import write_report
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


def build_report(out: Path) -> Path:
    recs = records()
    write_results(out / "results.json", RUN, recs, EXCERPTS)
    write_report(out, RUN, recs, EXCERPTS)
    return out
