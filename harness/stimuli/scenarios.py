"""Steering scenarios (data/scenarios.yaml) and classifier label maps (data/classifiers.yaml).

Kept apart from :mod:`harness.stimuli.loading` so that editing a scenario never invalidates the
cached extraction activations, whose key is the extraction stimuli's hash.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from harness.errors import HarnessError
from harness.protocol import get_profile
from harness.stimuli.loading import (
    CLASSIFIER_LABELS,
    EMOTION_ORDER,
    Stimuli,
    read_yaml,
    stimuli_dir,
    text_list,
)

MIN_PROMPTS = 4
# Where a scenario comes from: the paper's five, or the harness's own (labelled as such).
ORIGINS = ("paper", "harness")


@dataclass(frozen=True)
class Scenario:
    id: str
    name: str
    target: str  # emotion whose vector is added
    sign: int  # +1 towards the target, -1 away from it
    prompts: tuple[str, ...]


def load_scenarios(root: Path | None = None, profile: str = "paper") -> tuple[Scenario, ...]:
    """The scenarios a protocol profile steers: those of its origins, each with its first
    ``steer_prompts_per_scenario`` prompts (every scenario of the file is validated)."""
    prof = get_profile(profile)
    path = (root or stimuli_dir()) / "scenarios.yaml"
    items = read_yaml(path).get("scenarios")
    if not isinstance(items, list) or not items:
        raise HarnessError(f"{path}: field 'scenarios' must be a non-empty list")
    out, ids, seen = [], set(), set()
    for i, item in enumerate(items):
        where = f"{path}: scenarios[{i}]"
        if not isinstance(item, dict):
            raise HarnessError(f"{where} must be a mapping")
        sid = item.get("id")
        if not isinstance(sid, str) or not sid or sid in ids:
            raise HarnessError(f"{where}: id must be a unique non-empty string")
        ids.add(sid)
        if item.get("target") not in EMOTION_ORDER:
            raise HarnessError(f"{where} ({sid}): unknown target emotion {item.get('target')!r}; "
                               f"use one of {', '.join(EMOTION_ORDER)}")
        if item.get("origin", "paper") not in ORIGINS:
            raise HarnessError(f"{where} ({sid}): origin must be one of {', '.join(ORIGINS)} "
                               f"(the paper's scenarios or the harness's own), got {item.get('origin')!r}")
        if item.get("sign") not in (1, -1) or isinstance(item.get("sign"), bool):
            raise HarnessError(f"{where} ({sid}): sign must be 1 (towards the target) or -1 (away)")
        prompts = text_list(path, item, "prompts")
        if len(prompts) < MIN_PROMPTS:
            raise HarnessError(f"{where} ({sid}): has {len(prompts)} prompts, needs at least {MIN_PROMPTS} "
                               "so that rates are not computed on one text")
        for j, p in enumerate(prompts):
            if p in seen:
                raise HarnessError(f"{where} ({sid}): prompts[{j}] duplicates a prompt of another scenario")
            seen.add(p)
        if item.get("origin", "paper") in prof.steer_origins:
            out.append(Scenario(sid, str(item.get("name") or sid), item["target"], int(item["sign"]),
                                tuple(prompts[: prof.steer_prompts_per_scenario])))
    return tuple(out)


@dataclass(frozen=True)
class PromptForms:
    """How scenario prompts are dressed: the chat turn's instruction and the long version's lead-in."""

    chat_instruction: str  # contains {prompt}
    long_prefix: str

    def chat(self, prompt: str) -> str:
        return self.chat_instruction.replace("{prompt}", prompt)

    def long(self, prompt: str) -> str:
        return f"{self.long_prefix} {prompt}"


def load_prompt_forms(root: Path | None = None) -> PromptForms:
    path = (root or stimuli_dir()) / "scenarios.yaml"
    doc = read_yaml(path)
    out = []
    for name in ("chat_instruction", "long_prefix"):
        value = doc.get(name)
        if not isinstance(value, str) or not value.strip():
            raise HarnessError(f"{path}: field '{name}' must be a non-empty string (see the file's header)")
        out.append(" ".join(value.split()) if name == "long_prefix" else value)
    if "{prompt}" not in out[0]:
        raise HarnessError(f"{path}: chat_instruction has no {{prompt}} placeholder")
    return PromptForms(*out)


def scenarios_hash(scenarios: tuple[Scenario, ...]) -> str:
    return hashlib.sha256(json.dumps([asdict(s) for s in scenarios], sort_keys=True).encode()).hexdigest()


# Backend name -> (its labels, emotion -> labels whose score should rise with that emotion).
LabelMap = dict[str, tuple[str, ...]]


def label_map(backend: str, stimuli: Stimuli, root: Path | None = None) -> tuple[tuple[str, ...], LabelMap]:
    """The documented emotion -> classifier labels map of ``backend``."""
    if backend == "j-hartmann":
        return CLASSIFIER_LABELS, {e.name: e.classifier_labels for e in stimuli.emotions}
    path = (root or stimuli_dir()) / "classifiers.yaml"
    section = read_yaml(path).get(backend)
    if not isinstance(section, dict):
        raise HarnessError(f"{path}: no section '{backend}'; add its labels and emotion map there")
    labels = section.get("labels")
    mapping = section.get("map")
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels) or not isinstance(mapping, dict):
        raise HarnessError(f"{path}: {backend} needs 'labels' (a list) and 'map' (emotion -> labels)")
    missing = [e for e in EMOTION_ORDER if e not in mapping]
    if missing:
        raise HarnessError(f"{path}: {backend}.map has no entry for '{missing[0]}'")
    out: LabelMap = {}
    for name, labs in mapping.items():
        if name not in EMOTION_ORDER:
            raise HarnessError(f"{path}: {backend}.map has unknown emotion {name!r}")
        if not isinstance(labs, list) or not all(x in labels for x in labs):
            raise HarnessError(f"{path}: {backend}.map.{name} must be a list drawn from {', '.join(labels)}")
        out[name] = tuple(labs)
    return tuple(labels), out
