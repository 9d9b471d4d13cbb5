"""The evidence claims read, computed once per (model, method) or (model, prompting) in a session.

A :class:`Workbench` holds the run's stimuli, scenarios, profile, classifier and scorer and
caches what it computes; ``workbench.evidence(handle)`` is what a claim's check receives.
No pytest here: the plugin builds one workbench per session.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from harness import progress
from harness import thresholds as th
from harness.errors import HarnessError
from harness.experiments.extraction import (
    Extraction,
    comprehension,
    generation,
    held_out,
    neutral_sentence_states,
    reread_stories,
)
from harness.experiments.geometry_cache import cached_analyse
from harness.experiments.geometry_run import Geometry
from harness.experiments.script_control import ScriptControl, script_control
from harness.experiments.steering_grid import SteeringRun, excerpts, run_steering
from harness.experiments.trace import trace_excerpts
from harness.metrics.classifier import Classifier, load_classifier
from harness.metrics.recognition import Recognition, known_emotion_texts, recognition
from harness.models.control import random_weight_copy
from harness.models.loading import ModelHandle
from harness.protocol import Profile
from harness.runtime.steering import ScaleRule
from harness.stimuli.loading import Stimuli
from harness.stimuli.scenarios import Scenario, label_map, scenarios_hash

StimulusSet = Literal["primary", "replication"]
Weights = Literal["trained", "random"]


def scorer_for(choice: str | None, handle: ModelHandle, loader: Callable[[str], ModelHandle]) -> ModelHandle | None:
    """The perplexity scorer of a steered model: "external" (default: the first of
    thresholds.PPL_SCORERS that is not the steered model), "self" (None), or a registry key."""
    if choice == "self":
        return None
    if choice in (None, "external"):
        choice = next(k for k in th.PPL_SCORERS if k != handle.key)
    return None if choice == handle.key else loader(choice)


@dataclass
class Workbench:
    stimuli: Stimuli
    scenarios: tuple[Scenario, ...]
    profile: Profile
    classifier_name: str = "auto"
    allow_download: bool = False
    # Perplexity scorer for a steered model (None: the model itself, "self-scored").
    scorer: Callable[[ModelHandle], ModelHandle | None] = lambda handle: None
    on_excerpts: Callable[[list[dict[str, Any]]], None] = lambda items: None  # steered texts, once per run
    replication: Stimuli | None = None  # a second stimulus set the geometry verdicts are replicated on
    scale_rule: ScaleRule = "paper"  # which positions s_l averages in the main steering grid
    second_classifier: str | None = "nrclex"  # an independent classifier scored beside (None: none)
    _classifier: Classifier | None = field(default=None, repr=False)
    _second: Classifier | None = field(default=None, repr=False)
    _recognition: dict[str, dict[str, Recognition]] = field(default_factory=dict, repr=False)
    _geometry: dict[tuple[str, ...], Geometry] = field(default_factory=dict, repr=False)
    _controls: dict[tuple[str, str], ModelHandle] = field(default_factory=dict, repr=False)
    _steering: dict[tuple[str, str, str], SteeringRun] = field(default_factory=dict, repr=False)
    _neutral: dict[tuple[str, str, str], Extraction] = field(default_factory=dict, repr=False)
    _script: dict[tuple[str, str], ScriptControl] = field(default_factory=dict, repr=False)

    @property
    def classifier(self) -> Classifier:
        if self._classifier is None:
            self._classifier = load_classifier(self.classifier_name, self.allow_download)
        return self._classifier

    @property
    def classifiers(self) -> list[Classifier]:
        """The primary classifier, then the independent second one (when it is another backend)."""
        out = [self.classifier]
        if self.second_classifier and self.second_classifier != self.classifier.name:
            if self._second is None:
                self._second = load_classifier(self.second_classifier)
            out.append(self._second)
        return out

    def recognition(self, classifier: Classifier) -> dict[str, Recognition]:
        """How well ``classifier`` recognises each emotion on passages whose emotion is known
        (extraction and held-out passages of every stimulus set of the run)."""
        if classifier.name not in self._recognition:
            sets = [st for st in (self.stimuli, self.replication) if st is not None]
            labels = label_map(classifier.name, self.stimuli)[1]
            with progress.phase(classifier.name, "recognition of the known-emotion passages"):
                self._recognition[classifier.name] = recognition(classifier, labels, known_emotion_texts(*sets),
                                                                 self.profile.n_bootstrap)
        return self._recognition[classifier.name]

    def stimulus_set(self, which: StimulusSet) -> Stimuli | None:
        return self.stimuli if which == "primary" else self.replication

    def control(self, handle: ModelHandle) -> ModelHandle:
        """The random-weight copy of ``handle`` (built once per model)."""
        key = (handle.key, handle.fingerprint)
        if key not in self._controls:
            with progress.phase(handle.key, "build the random-weight control"):
                self._controls[key] = random_weight_copy(handle)
        return self._controls[key]

    def geometry(self, handle: ModelHandle, method: str, which: StimulusSet = "primary",
                 weights: Weights = "trained") -> Geometry | None:
        """Geometry of ``method`` ("comprehension", "generation" or "generation-story": the
        stories re-read without their prompt) on a stimulus set, read by the model or by its
        random-weight copy (which re-reads the trained model's stories). None when the run
        has no replication set; generation comes from the primary set's stories only."""
        st = self.stimulus_set(which)
        if st is None:
            return None
        if method != "comprehension" and which != "primary":
            raise HarnessError(f"{method} geometry reads the primary stimulus set's stories only")
        key = (handle.key, handle.fingerprint, method, st.content_hash(), weights)
        if key not in self._geometry:
            p = self.profile
            reader = handle if weights == "trained" else self.control(handle)
            if method == "comprehension":
                ex = comprehension(reader, st, p.batch_size)
            else:
                stories = generation(handle, st, p.gen_max_new_tokens, batch_size=p.gen_batch_size)
                with_prompt = method == "generation"
                ex = stories if with_prompt and weights == "trained" else reread_stories(
                    reader, stories, handle, st, with_prompt, max(1, p.gen_batch_size // 4))
            held, neutral = self.held_out_states(reader, which), self.neutral_states(reader, which)
            self._geometry[key] = cached_analyse(ex, held, neutral, st, p, stimulus_set=st.name, seed=th.SEED,
                                                 model=reader.key, method=method)
        return self._geometry[key]

    def held_out_states(self, handle: ModelHandle, which: StimulusSet = "primary") -> Extraction:
        st = self.stimulus_set(which)
        assert st is not None
        return held_out(handle, st, self.profile.batch_size)

    def neutral_states(self, handle: ModelHandle, which: StimulusSet = "primary") -> Extraction:
        """The neutral sentences' states (anisotropy baseline B), read once per model and set."""
        st = self.stimulus_set(which)
        assert st is not None
        key = (handle.key, handle.fingerprint, st.content_hash())
        if key not in self._neutral:
            self._neutral[key] = neutral_sentence_states(handle, st, self.profile.batch_size)
        return self._neutral[key]

    def steering(self, handle: ModelHandle, prompting: str) -> SteeringRun:
        key = (handle.key, handle.fingerprint, prompting)
        if key not in self._steering:
            clfs = self.classifiers
            labels = [label_map(c.name, self.stimuli)[1] for c in clfs]
            run = run_steering(handle, self.stimuli, self.scenarios, self.profile, prompting,  # type: ignore[arg-type]
                               clfs, labels, scorer=self.scorer(handle), rule=self.scale_rule)
            self._steering[key] = run
            items = excerpts(run, self.scenarios)
            trace_excerpts(handle, items, self.stimuli, self.profile)
            self.on_excerpts(items)
        return self._steering[key]

    def script_control(self, handle: ModelHandle) -> ScriptControl:
        key = (handle.key, handle.fingerprint)
        if key not in self._script:
            self._script[key] = script_control(handle, batch_size=self.profile.gen_batch_size)
        return self._script[key]

    def evidence(self, handle: ModelHandle) -> ModelEvidence:
        return ModelEvidence(self, handle)


@dataclass(frozen=True)
class ModelEvidence:
    """One model's evidence (the :class:`harness.claims.base.Evidence` a check reads)."""

    bench: Workbench
    handle: ModelHandle

    @property
    def stimuli(self) -> Stimuli:
        return self.bench.stimuli

    @property
    def profile(self) -> Profile:
        return self.bench.profile

    def geometry(self, method: str, which: StimulusSet = "primary", weights: Weights = "trained") -> Geometry:
        g = self.bench.geometry(self.handle, method, which, weights)
        if g is None:
            raise HarnessError(f"{self.handle.key}: this run has no {which} stimulus set")
        return g

    @property
    def replication(self) -> Stimuli | None:
        return self.bench.replication

    def cross_set_transfer(self) -> dict[str, float]:
        """Top-1 accuracy at the middle block of comprehension vectors from one stimulus set
        labelling the other set's held-out passages (both directions)."""
        a, b = self.geometry("comprehension"), self.geometry("comprehension", "replication")
        names = list(self.stimuli.names)
        held_a = self.bench.held_out_states(self.handle, "primary").data
        held_b = self.bench.held_out_states(self.handle, "replication").data
        return {f"{a.stimulus_set} -> {b.stimulus_set}": a.transfer_to(held_b, names)[a.middle],
                f"{b.stimulus_set} -> {a.stimulus_set}": b.transfer_to(held_a, names)[b.middle]}

    def steering(self, prompting: str) -> SteeringRun:
        return self.bench.steering(self.handle, prompting)

    def script_control(self) -> ScriptControl:
        """C10's positive control: the model's own continuations of Chinese prose."""
        return self.bench.script_control(self.handle)

    def recognition(self) -> dict[str, dict[str, Recognition]]:
        """Per classifier of the run: its recognition of every emotion on known-emotion passages."""
        return {c.name: self.bench.recognition(c) for c in self.bench.classifiers}

    def neutral_sentence_states(self) -> Extraction:
        return self.bench.neutral_states(self.handle)

    def context(self, method: str) -> dict[str, Any]:
        """What every geometry number carries: method, profile, stimulus set."""
        return {"method": method, "profile": self.profile.name, "stimuli": self.stimuli.content_hash()[:12],
                "stimulus_set": self.stimuli.name}

    def steering_context(self, run: SteeringRun) -> dict[str, Any]:
        """What every steering number carries: the run's prompting, vectors, scorer and settings."""
        return {**self.context(run.prompting), "vector_method": run.method, "layer": run.layer,
                "classifier": run.classifier, "scorer": run.scorer, "scale": run.scale, "scale_rule": run.rule,
                "grid": run.grid, "vector": run.vectors.get("emotion", "emotion"),
                "max_new_tokens": run.max_new_tokens, "scenarios": scenarios_hash(self.bench.scenarios)[:12]}
