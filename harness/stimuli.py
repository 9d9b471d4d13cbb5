"""Load and validate the stimulus files in ``stimuli/`` (data only, written for this harness)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from .errors import HarnessError

STIMULI_ENV = "EMOTION_HARNESS_STIMULI"
N_NEUTRAL_SENTENCES = 20


def stimuli_dir() -> Path:
    """``$EMOTION_HARNESS_STIMULI``, else the repository's ``stimuli/``."""
    return Path(os.environ.get(STIMULI_ENV) or Path(__file__).resolve().parent.parent / "stimuli")


def read_yaml(path: Path) -> dict[str, Any]:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise HarnessError(f"{path}: stimulus file not found; set {STIMULI_ENV} or restore it") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise HarnessError(f"{path}: not valid YAML{where}; fix the syntax") from None
    if not isinstance(doc, dict):
        raise HarnessError(f"{path}: expected a mapping at the top level")
    return doc


def text_list(path: Path, doc: dict[str, Any], field: str, count: int | None = None) -> list[str]:
    """A list of distinct, non-empty strings under ``field``."""
    items = doc.get(field)
    if not isinstance(items, list):
        raise HarnessError(f"{path}: field '{field}' must be a list of strings")
    seen: set[str] = set()
    for i, t in enumerate(items):
        if not isinstance(t, str) or not t.strip():
            raise HarnessError(f"{path}: {field}[{i}] is empty or not a string")
        if t.strip() in seen:
            raise HarnessError(f"{path}: {field}[{i}] duplicates an earlier entry")
        seen.add(t.strip())
    if count is not None and len(items) != count:
        raise HarnessError(f"{path}: field '{field}' has {len(items)} entries, expected {count}")
    return [t.strip() for t in items]


def neutral_sentences(root: Path | None = None) -> list[str]:
    path = (root or stimuli_dir()) / "neutral_sentences.yaml"
    return text_list(path, read_yaml(path), "sentences", N_NEUTRAL_SENTENCES)

