"""External emotion classifiers, pluggable: text in, a score per label out.

- ``j-hartmann``: the paper's j-hartmann/emotion-english-distilroberta-base through the
  transformers text-classification pipeline (softmax over 7 labels). Used when its
  weights are in the local Hugging Face cache (or downloads are allowed).
- ``nade`` (offline default, PyPI ``nade``): fastText + LightGBM, one intensity in [0, 1]
  for each of Plutchik's 8 basic emotions.
- ``nrclex`` (offline, PyPI ``nrclex``): the NRC Emotion Lexicon, a second, independent
  reader. Each label's score is its lexicon hits per word (Plutchik's 8 plus positive and
  negative). Chosen by name only; ``auto`` never picks it.

Which labels count for which emotion is data (emotions.yaml / classifiers.yaml), read by
:func:`harness.stimuli.scenarios.label_map`.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Protocol

from harness.errors import HarnessError

J_HARTMANN = "j-hartmann/emotion-english-distilroberta-base"
BACKENDS = ("auto", "j-hartmann", "nade", "nrclex")
NRCLEX_VERSION = "4.1.0"
NRCLEX_LABELS = ("anger", "anticipation", "disgust", "fear", "joy", "negative", "positive",
                 "sadness", "surprise", "trust")
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)*")


class Classifier(Protocol):
    name: str
    version: str
    labels: tuple[str, ...]

    def scores(self, texts: Sequence[str]) -> list[dict[str, float]]: ...


class NadeClassifier:
    name = "nade"

    def __init__(self) -> None:
        try:
            import nade
        except ImportError:
            raise HarnessError("classifier 'nade' is not installed; `pip install nade` "
                               "(or pass --classifier j-hartmann with its weights in the HF cache)") from None
        data = Path(nade.__file__).parent / "data" / "socialmedia_en"
        # nade unpacks its LightGBM models next to its own files on first use.
        packed = [p for p in data.glob("reg_*.txt.gz") if not p.with_suffix("").exists()]
        if packed and not os.access(data, os.W_OK):
            raise HarnessError(f"classifier 'nade' must unpack {len(packed)} model files into {data}, "
                               "which is read-only; run `python -c 'import nade; nade.Nade()'` once as a user "
                               "who can write there, or install nade into a writable virtualenv")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            self._model = nade.Nade()
        self.version = getattr(nade, "__version__", "?")
        self.labels = tuple(self._model.labels)

    def scores(self, texts: Sequence[str]) -> list[dict[str, float]]:
        if not texts:
            return []
        raw = self._model.predict([t if t.strip() else "." for t in texts])
        cols = {lab: raw[lab].to_pylist() for lab in self.labels}
        return [{lab: float(cols[lab][i]) for lab in self.labels} for i in range(len(texts))]


class NRCLexClassifier:
    """NRC Emotion Lexicon word counts: a label's score is its hits per word token, in [0, 1]."""

    name = "nrclex"
    labels = NRCLEX_LABELS

    def __init__(self) -> None:
        try:
            from nrclex import NRCLex
        except ImportError:
            raise HarnessError(f"classifier 'nrclex' is not installed; `pip install nrclex=={NRCLEX_VERSION}`") from None
        self._lexicon = NRCLex()
        self.version = version("nrclex")

    def scores(self, texts: Sequence[str]) -> list[dict[str, float]]:
        out = []
        for text in texts:
            tokens = _WORD.findall(text.lower().replace("\u2019", "'"))
            if not tokens:
                out.append(dict.fromkeys(self.labels, 0.0))
                continue
            self._lexicon.load_token_list(tokens)
            hits = self._lexicon.raw_emotion_scores
            out.append({lab: hits.get(lab, 0) / len(tokens) for lab in self.labels})
        return out


class HFClassifier:
    name = "j-hartmann"

    def __init__(self, model_id: str = J_HARTMANN, allow_download: bool = False, device: str = "cpu") -> None:
        from huggingface_hub import try_to_load_from_cache
        from transformers import pipeline

        missing = (f"classifier {model_id} is not in the local Hugging Face cache; `hf download {model_id}`, "
                   "pass --allow-download, or use --classifier nade")
        if not allow_download and not isinstance(try_to_load_from_cache(model_id, "config.json"), str):
            raise HarnessError(missing)
        try:
            self._pipe = pipeline("text-classification", model=model_id, top_k=None, device=device)
        except OSError:
            raise HarnessError(missing) from None
        self.version = model_id
        self.labels = tuple(sorted(self._pipe.model.config.id2label.values()))

    def scores(self, texts: Sequence[str]) -> list[dict[str, float]]:
        out = self._pipe([t if t.strip() else "." for t in texts], truncation=True, batch_size=16)
        return [{d["label"]: float(d["score"]) for d in row} for row in out]


def load_classifier(name: str = "auto", allow_download: bool = False) -> Classifier:
    """``auto``: j-hartmann when its weights are local, else nade."""
    if name not in BACKENDS:
        raise HarnessError(f"unknown --classifier '{name}'; use one of {', '.join(BACKENDS)}")
    if name == "nade":
        return NadeClassifier()
    if name == "nrclex":
        return NRCLexClassifier()
    if name == "j-hartmann":
        return HFClassifier(allow_download=allow_download)
    try:
        return HFClassifier(allow_download=False)
    except HarnessError:
        return NadeClassifier()


def target_score(scores: dict[str, float], labels: Sequence[str]) -> float:
    """Mean score of an emotion's classifier labels (nan when it has none)."""
    return sum(scores[lab] for lab in labels) / len(labels) if labels else float("nan")
