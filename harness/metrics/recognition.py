"""How well a classifier recognises each emotion on text whose emotion is known.

Before a flip is counted against a classifier (C6/C7), the classifier reads passages whose
emotion is known (:func:`known_emotion_texts`). For each emotion, its target score (mean of
its mapped labels' scores) should rank that emotion's passages above the other emotions'
passages: :func:`recognition` reports that AUC with a bootstrap interval and a one-sided
Mann-Whitney test, plus how often the top label is one of the emotion's labels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from harness import thresholds as th
from harness.errors import HarnessError
from harness.metrics.classifier import Classifier, target_score
from harness.stimuli.loading import Stimuli
from harness.stimuli.scenarios import LabelMap


@dataclass(frozen=True)
class Recognition:
    emotion: str
    labels: tuple[str, ...]  # the classifier labels mapped to this emotion
    n: int  # texts of this emotion
    top1: float  # share of its texts whose top label is one of `labels` (ties split evenly)
    top1_chance: float  # len(labels) / number of classifier labels (a text-blind guess)
    auc: float  # P(target score of this emotion's text > another emotion's text), ties 1/2
    auc_interval: tuple[float, float]  # bootstrap percentile interval, texts resampled per group
    p_value: float  # one-sided Mann-Whitney U, this emotion's target scores vs the others'
    recognised: bool  # labels and auc > 0.5 and p_value < RECOGNITION_ALPHA
    reason: str  # one line


def known_emotion_texts(*stimuli: Stimuli) -> dict[str, list[str]]:
    """Per emotion: extraction then held-out passages of each stimulus set, in the order given."""
    out: dict[str, list[str]] = {}
    for s in stimuli:
        for name in s.names:
            out.setdefault(name, []).extend([*s.passages[name], *s.held_out[name]])
    return out


def recognition(classifier: Classifier, labels: LabelMap, texts: dict[str, Sequence[str]],
                n_bootstrap: int = 1000, seed: int = th.SEED) -> dict[str, Recognition]:
    """Recognition of every emotion in ``texts``; the others' texts are its negatives."""
    emotions = list(texts)
    flat = [t for e in emotions for t in texts[e]]
    owner = np.array([e for e in emotions for _ in texts[e]], dtype=object)
    scored = classifier.scores(flat)
    if len(scored) != len(flat):
        raise HarnessError(f"classifier {classifier.name} returned {len(scored)} score rows for {len(flat)} texts")
    n_labels = len(classifier.labels)
    out: dict[str, Recognition] = {}
    for e in emotions:
        labs = tuple(labels.get(e, ()))
        mine = owner == e
        n = int(mine.sum())
        chance = len(labs) / n_labels if n_labels else float("nan")
        nan = float("nan")
        if not labs:
            out[e] = Recognition(e, labs, n, nan, chance, nan, (nan, nan), nan, False,
                                 f"no {classifier.name} label maps to {e}")
            continue
        top1 = float(np.mean([_top1_credit(scored[i], labs) for i in np.flatnonzero(mine)])) if n else nan
        if n == 0 or n == len(flat):
            out[e] = Recognition(e, labs, n, top1, chance, nan, (nan, nan), nan, False,
                                 f"no texts of {e}" if n == 0 else f"no texts of other emotions than {e}")
            continue
        target = np.array([target_score(s, labs) for s in scored], dtype=float)
        pos, neg = target[mine], target[~mine]
        auc = _auc(pos, neg)
        interval = _auc_interval(pos, neg, n_bootstrap, seed)
        p = float(stats.mannwhitneyu(pos, neg, alternative="greater").pvalue)
        ok = bool(auc > 0.5 and p < th.RECOGNITION_ALPHA)
        out[e] = Recognition(e, labs, n, top1, chance, auc, interval, p, ok,
                             f"AUC {auc:.2f} [{interval[0]:.2f}, {interval[1]:.2f}], p {p:.2g}")
    return out


def _top1_credit(scores: dict[str, float], labels: tuple[str, ...]) -> float:
    """1 when the highest-scoring label is one of ``labels``; a tie at the top is split evenly
    (so a text that scores every label alike earns chance, not a hit)."""
    best = max(scores.values())
    tied = [lab for lab, v in scores.items() if v == best]
    return sum(lab in labels for lab in tied) / len(tied)


def _kernel(pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
    """h[i, j] = 1 if pos[i] > neg[j], 1/2 if equal, else 0."""
    diff = pos[:, None] - neg[None, :]
    return (diff > 0) + 0.5 * (diff == 0)


def _auc(pos: np.ndarray, neg: np.ndarray) -> float:
    return float(_kernel(pos, neg).mean())


def _auc_interval(pos: np.ndarray, neg: np.ndarray, n_bootstrap: int, seed: int) -> tuple[float, float]:
    """Percentile interval of the AUC over resamples of each group (with replacement).

    A resample's AUC is c_pos @ h @ c_neg / (n_pos n_neg), with c the per-text draw counts."""
    rng = np.random.default_rng(seed)
    h = _kernel(pos, neg)
    c_pos = _draw_counts(rng, len(pos), n_bootstrap)
    c_neg = _draw_counts(rng, len(neg), n_bootstrap)
    boot = ((c_pos @ h) * c_neg).sum(axis=1) / (len(pos) * len(neg))
    tail = (1 - th.BOOTSTRAP_CONFIDENCE) / 2 * 100
    lo, hi = np.percentile(boot, [tail, 100 - tail])
    return float(lo), float(hi)


def _draw_counts(rng: np.random.Generator, n: int, n_bootstrap: int) -> np.ndarray:
    """(n_bootstrap, n): how often each of n items is drawn in n draws with replacement."""
    idx = rng.integers(0, n, size=(n_bootstrap, n)) + n * np.arange(n_bootstrap)[:, None]
    return np.bincount(idx.ravel(), minlength=n * n_bootstrap).reshape(n_bootstrap, n).astype(float)
