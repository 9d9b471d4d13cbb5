from __future__ import annotations

import math
import sys
from collections.abc import Sequence

import pytest

from harness.errors import HarnessError
from harness.metrics.classifier import NRCLexClassifier, load_classifier
from harness.metrics.recognition import Recognition, known_emotion_texts, recognition
from harness.stimuli.loading import EMOTION_ORDER, REPLICATION_SET, load_stimuli
from harness.stimuli.scenarios import label_map


class KeywordClassifier:
    """Scores a label 1.0 when its keyword is in the text (or a constant, ignoring the text)."""

    name = "keywords"
    version = "0"
    labels = ("glad", "grim", "other")

    def __init__(self, constant: bool = False) -> None:
        self.constant = constant

    def scores(self, texts: Sequence[str]) -> list[dict[str, float]]:
        if self.constant:
            return [dict.fromkeys(self.labels, 0.3) for _ in texts]
        return [{lab: float(lab in t) for lab in self.labels} for t in texts]


TEXTS = {
    "happy": [f"a glad day number {i}" for i in range(8)],
    "sad": [f"a grim day number {i}" for i in range(8)],
    "reflective": [f"a plain day number {i}" for i in range(8)],
}
LABELS = {"happy": ("glad",), "sad": ("grim",), "reflective": ()}


def test_a_perfectly_separating_label_is_recognised():
    r = recognition(KeywordClassifier(), LABELS, TEXTS, n_bootstrap=200)
    happy = r["happy"]
    assert isinstance(happy, Recognition)
    assert happy.n == 8 and happy.labels == ("glad",)
    assert happy.auc == 1.0 and happy.auc_interval == (1.0, 1.0)
    assert happy.top1 == 1.0 and math.isclose(happy.top1_chance, 1 / 3)
    assert happy.p_value < 0.05 and happy.recognised
    assert happy.reason.startswith("AUC 1.00 [1.00, 1.00], p ")


def test_an_emotion_without_labels_is_not_recognised_and_says_why():
    r = recognition(KeywordClassifier(), LABELS, TEXTS, n_bootstrap=200)["reflective"]
    assert not r.recognised and r.labels == ()
    assert math.isnan(r.auc) and math.isnan(r.p_value) and math.isnan(r.top1)
    assert r.reason == "no keywords label maps to reflective"


def test_a_text_blind_classifier_is_at_chance():
    r = recognition(KeywordClassifier(constant=True), LABELS, TEXTS, n_bootstrap=200)
    for e in ("happy", "sad"):
        assert r[e].auc == 0.5 and not r[e].recognised
        assert math.isclose(r[e].top1, r[e].top1_chance)  # all labels tie: chance, not a hit


def test_bootstrap_is_seeded():
    clf = KeywordClassifier()
    texts = {**TEXTS, "happy": [*TEXTS["happy"][:6], "grim", "plain"]}
    a = recognition(clf, LABELS, texts, n_bootstrap=300, seed=1)["happy"]
    b = recognition(clf, LABELS, texts, n_bootstrap=300, seed=1)["happy"]
    assert a.auc_interval == b.auc_interval
    assert a.auc_interval[0] < a.auc < 1.0 and a.auc_interval[1] <= 1.0


def test_known_emotion_texts_of_both_sets():
    texts = known_emotion_texts(load_stimuli(), load_stimuli(REPLICATION_SET))
    assert "neutral" not in texts
    assert tuple(texts) == EMOTION_ORDER
    assert all(len(v) == 10 for v in texts.values())


def test_nrclex_counts_lexicon_hits_per_word():
    clf = load_classifier("nrclex")
    assert isinstance(clf, NRCLexClassifier)
    assert clf.labels == ("anger", "anticipation", "disgust", "fear", "joy", "negative",
                          "positive", "sadness", "surprise", "trust")
    joyful, blank = clf.scores(["I am so happy and joyful today", "\n\n...!?\n"])
    assert joyful["joy"] > 0 and all(0.0 <= v <= 1.0 for v in joyful.values())
    assert blank == dict.fromkeys(clf.labels, 0.0)


def test_nrclex_label_map_loads():
    labels, mapping = label_map("nrclex", load_stimuli())
    assert labels == NRCLexClassifier.labels
    assert set(mapping) == set(EMOTION_ORDER)
    assert mapping == label_map("nade", load_stimuli())[1]


def test_nrclex_recognition_on_known_texts_runs():
    stimuli = load_stimuli()
    texts = known_emotion_texts(stimuli, load_stimuli(REPLICATION_SET))
    r = recognition(NRCLexClassifier(), label_map("nrclex", stimuli)[1], texts, n_bootstrap=200)
    assert set(r) == set(EMOTION_ORDER)
    assert all(isinstance(x, Recognition) and x.n == 10 for x in r.values())


def test_nrclex_missing_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "nrclex", None)
    with pytest.raises(HarnessError, match=r"pip install nrclex==4\.1\.0"):
        load_classifier("nrclex")
