"""Load and validate the stimulus files in ``harness/stimuli/data/`` (data only, written for this
harness and shipped as package data)."""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

from harness.errors import HarnessError

STIMULI_ENV = "EMOTION_HARNESS_STIMULI"
N_NEUTRAL_SENTENCES = 20


# Package data: the stimuli ship with the package (wheel included), not only with the repository.
PACKAGED = Path(__file__).resolve().parent / "data"
# The independently written second comprehension set that geometry verdicts are replicated on.
REPLICATION_SET = PACKAGED / "set-b"


def stimuli_dir() -> Path:
    """``$EMOTION_HARNESS_STIMULI``, else the packaged set (``harness/stimuli/data/``)."""
    return Path(os.environ.get(STIMULI_ENV) or PACKAGED)


def set_file(root: Path, name: str) -> Path:
    """``root/name``; a stimulus set that lacks the file takes the default set's."""
    own = root / name
    return own if own.is_file() or root == stimuli_dir() else stimuli_dir() / name


def set_name(root: Path) -> str:
    """How reports name a stimulus set: ``default`` for the default set, else its folder name."""
    return "default" if root.resolve() == stimuli_dir().resolve() else root.name


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


def read_neutral_sentences(root: Path | None = None) -> list[str]:
    path = set_file(root or stimuli_dir(), "neutral_sentences.yaml")
    return text_list(path, read_yaml(path), "sentences", N_NEUTRAL_SENTENCES)



EMOTION_ORDER = (
    "happy", "sad", "calm", "desperate", "afraid", "angry", "proud", "guilty", "nervous", "hopeful",
    "brooding", "gloomy", "reflective", "enthusiastic", "hostile", "loving", "exasperated", "blissful",
    "anxious", "grateful",
)
OPPOSITE_PAIRS = (("happy", "sad"), ("calm", "desperate"), ("loving", "hostile"), ("proud", "guilty"))
CLASSIFIER_LABELS = ("anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise")
N_TEMPLATES, N_TOPICS, N_NEUTRAL_PROMPTS = 5, 10, 10
N_PASSAGES, N_NEUTRAL_PASSAGES, N_HELD_OUT = 3, 3, 2


@dataclass(frozen=True)
class Emotion:
    name: str
    valence: float
    arousal: float
    forms: tuple[str, ...]  # the word and its inflections; passages must not contain them
    classifier_labels: tuple[str, ...]


@dataclass(frozen=True)
class Stimuli:
    emotions: tuple[Emotion, ...]
    opposite_pairs: tuple[tuple[str, str], ...]
    templates: tuple[str, ...]
    topics: tuple[str, ...]
    neutral_prompts: tuple[str, ...]
    passages: dict[str, tuple[str, ...]]  # emotion (and "neutral") -> extraction passages
    held_out: dict[str, tuple[str, ...]]  # emotion -> passages never used for extraction
    neutral_sentences: tuple[str, ...]
    name: str = "default"  # set_name() of the folder it came from; not part of the content hash

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(e.name for e in self.emotions)

    def story_prompts(self, emotion: str) -> list[str]:
        """The 10 story requests for one emotion: story i uses template i mod 5 and topic i."""
        return [self.templates[i % len(self.templates)].format(emotion=emotion, topic=topic)
                for i, topic in enumerate(self.topics)]

    def content_hash(self) -> str:
        """Stable hash of everything loaded, for content-addressed caches."""
        content = asdict(self)
        content.pop("name")
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def load_stimuli(root: Path | None = None) -> Stimuli:
    """Load and validate every stimulus file; any problem is one line naming file and field.

    ``root`` must hold passages.yaml; files it lacks come from the default set."""
    root = root or stimuli_dir()
    if not root.is_dir() or not (root / "passages.yaml").is_file():
        raise HarnessError(f"{root}: not a stimulus set (it needs at least passages.yaml); see docs/protocol.md, "
                           "Stimulus sets")
    emotions, pairs = _emotions(set_file(root, "emotions.yaml"))
    gen_path = set_file(root, "generation.yaml")
    gen = read_yaml(gen_path)
    templates = text_list(gen_path, gen, "templates", N_TEMPLATES)
    for i, t in enumerate(templates):
        for slot in ("{emotion}", "{topic}"):
            if slot not in t:
                raise HarnessError(f"{gen_path}: templates[{i}] has no {slot} placeholder")
    topics = text_list(gen_path, gen, "topics", N_TOPICS)
    neutral_prompts = text_list(gen_path, gen, "neutral_prompts", N_NEUTRAL_PROMPTS)
    pas_path = root / "passages.yaml"
    pas = read_yaml(pas_path)
    names = [e.name for e in emotions]
    extraction = _passage_sets(pas_path, pas, "extraction", [*names, "neutral"], emotions,
                               {**dict.fromkeys(names, N_PASSAGES), "neutral": N_NEUTRAL_PASSAGES})
    held_out = _passage_sets(pas_path, pas, "held_out", names, emotions, dict.fromkeys(names, N_HELD_OUT))
    seen: dict[str, str] = {}
    for where, sets in (("extraction", extraction), ("held_out", held_out)):
        for name, texts in sets.items():
            for i, t in enumerate(texts):
                if t in seen:
                    raise HarnessError(f"{pas_path}: {where}.{name}[{i}] duplicates {seen[t]}")
                seen[t] = f"{where}.{name}[{i}]"
    return Stimuli(emotions=tuple(emotions), opposite_pairs=pairs, templates=tuple(templates),
                   topics=tuple(topics), neutral_prompts=tuple(neutral_prompts),
                   passages={k: tuple(v) for k, v in extraction.items()},
                   held_out={k: tuple(v) for k, v in held_out.items()},
                   neutral_sentences=tuple(read_neutral_sentences(root)), name=set_name(root))


def load_replication(second: Path | None, primary: Path | None = None) -> Stimuli | None:
    """The second stimulus set the geometry verdicts are replicated on: ``second``, or the
    packaged set-b when ``second`` is None and it is installed; None when there is none or it
    is the primary set itself."""
    if second is None:
        second = REPLICATION_SET if REPLICATION_SET.is_dir() else None
    if second is None or second.resolve() == (primary or stimuli_dir()).resolve():
        return None
    return load_stimuli(second)


def _emotions(path: Path) -> tuple[list[Emotion], tuple[tuple[str, str], ...]]:
    doc = read_yaml(path)
    items = doc.get("emotions")
    if not isinstance(items, list):
        raise HarnessError(f"{path}: field 'emotions' must be a list")
    emotions = []
    for i, item in enumerate(items):
        where = f"{path}: emotions[{i}]"
        if not isinstance(item, dict):
            raise HarnessError(f"{where} must be a mapping")
        name = item.get("name")
        if not isinstance(name, str) or name not in EMOTION_ORDER:
            raise HarnessError(f"{where}: unknown emotion {str(name)!r}; the 20 are {', '.join(EMOTION_ORDER)}")
        for axis in ("valence", "arousal"):
            v = item.get(axis)
            if not isinstance(v, (int, float)) or isinstance(v, bool) or not -1 <= v <= 1:
                raise HarnessError(f"{where} ({name}): {axis} must be a number in [-1, 1]")
        forms = item.get("forms") or []
        if not isinstance(forms, list) or name not in forms or not all(isinstance(f, str) for f in forms):
            raise HarnessError(f"{where} ({name}): forms must be a list that includes '{name}'")
        labels = item.get("classifier_labels")
        if not isinstance(labels, list) or not all(isinstance(x, str) and x in CLASSIFIER_LABELS for x in labels):
            raise HarnessError(f"{where} ({name}): classifier_labels must be a list drawn from "
                               f"{', '.join(CLASSIFIER_LABELS)}")
        emotions.append(Emotion(name, float(item["valence"]), float(item["arousal"]),
                                tuple(str(f).lower() for f in forms), tuple(labels)))
    names = [e.name for e in emotions]
    if tuple(names) != EMOTION_ORDER:
        raise HarnessError(f"{path}: emotions must be the 20 listed in docs/protocol.md section 2, in that order; got {', '.join(names)}")
    quadrants = {(e.valence > 0, e.arousal > 0) for e in emotions}
    if len(quadrants) < 4:
        raise HarnessError(f"{path}: valence/arousal must cover all four circumplex quadrants")
    raw_pairs = doc.get("opposite_pairs")
    pairs = tuple(tuple(p) for p in raw_pairs if isinstance(p, list) and len(p) == 2
                  and all(isinstance(x, str) for x in p)) if isinstance(raw_pairs, list) else ()
    if (not isinstance(raw_pairs, list) or len(pairs) != len(raw_pairs) or len(pairs) != 4
            or set(map(frozenset, pairs)) != set(map(frozenset, OPPOSITE_PAIRS))):
        raise HarnessError(f"{path}: opposite_pairs must be {OPPOSITE_PAIRS}")
    return emotions, pairs  # type: ignore[return-value]


def _passage_sets(path: Path, doc: dict[str, Any], field: str, names: list[str],
                  emotions: list[Emotion], counts: dict[str, int]) -> dict[str, list[str]]:
    sets = doc.get(field)
    if not isinstance(sets, dict):
        raise HarnessError(f"{path}: field '{field}' must map each emotion to its passages")
    unknown = [k for k in sets if k not in names]
    if unknown:
        raise HarnessError(f"{path}: {field} has unknown emotion {str(unknown[0])!r}")
    forms = {e.name: e.forms for e in emotions}
    out = {}
    for name in names:
        if name not in sets:
            raise HarnessError(f"{path}: {field} has no passages for '{name}'")
        texts = text_list(path, sets, name, counts[name])
        for i, t in enumerate(texts):
            hit = _names_word(t, forms.get(name, ()))
            if hit:
                raise HarnessError(f"{path}: {field}.{name}[{i}] names its own emotion ('{hit}'); "
                                   "show the emotion, do not name it")
        out[name] = texts
    return out


def _names_word(text: str, words: tuple[str, ...]) -> str | None:
    for w in words:
        if re.search(rf"\b{re.escape(w)}\b", text, flags=re.IGNORECASE):
            return w
    return None


def paper_values(root: Path | None = None) -> dict[str, Any]:
    """The paper's reported numbers (harness/stimuli/data/paper_values.yaml), keyed by table."""
    return read_yaml((root or stimuli_dir()) / "paper_values.yaml")
