"""The evidence claims read, computed once per (model, method) or (model, prompting) in a session.

A :class:`Workbench` holds the run's stimuli, scenarios, profile, classifier and scorer and
caches what it computes; ``workbench.evidence(handle)`` is what a claim's check receives.
No pytest here: the plugin builds one workbench per session.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from harness import thresholds as th
from harness.experiments.extraction import Extraction, extract, held_out, neutral_sentence_states
from harness.experiments.geometry_run import Geometry, analyse
from harness.experiments.steering_grid import SteeringRun, excerpts, run_steering
from harness.metrics.classifier import Classifier, load_classifier
from harness.models.loading import ModelHandle
from harness.protocol import Profile
from harness.stimuli.loading import Stimuli
from harness.stimuli.scenarios import Scenario, label_map, scenarios_hash


@dataclass
class Workbench:
    stimuli: Stimuli
    scenarios: tuple[Scenario, ...]
    profile: Profile
    classifier_name: str = "auto"
    allow_download: bool = False
    scorer: Callable[[], ModelHandle | None] = lambda: None  # perplexity scorer (None: the model itself)
    on_excerpts: Callable[[list[dict[str, Any]]], None] = lambda items: None  # steered texts, once per run
    _classifier: Classifier | None = field(default=None, repr=False)
    _geometry: dict[tuple[str, str, str], Geometry] = field(default_factory=dict, repr=False)
    _steering: dict[tuple[str, str, str], SteeringRun] = field(default_factory=dict, repr=False)
    _neutral: dict[tuple[str, str], Extraction] = field(default_factory=dict, repr=False)

    @property
    def classifier(self) -> Classifier:
        if self._classifier is None:
            self._classifier = load_classifier(self.classifier_name, self.allow_download)
        return self._classifier

    def geometry(self, handle: ModelHandle, method: str) -> Geometry:
        key = (handle.key, handle.fingerprint, method)
        if key not in self._geometry:
            p = self.profile
            ex = extract(handle, method, self.stimuli, p)  # type: ignore[arg-type]
            held = held_out(handle, self.stimuli, p.batch_size)
            self._geometry[key] = analyse(ex, held, self.neutral_states(handle), self.stimuli, p.n_permutations,
                                          th.SEED)
        return self._geometry[key]

    def neutral_states(self, handle: ModelHandle) -> Extraction:
        """The neutral sentences' states (anisotropy baseline B), read once per model."""
        key = (handle.key, handle.fingerprint)
        if key not in self._neutral:
            self._neutral[key] = neutral_sentence_states(handle, self.stimuli, self.profile.batch_size)
        return self._neutral[key]

    def steering(self, handle: ModelHandle, prompting: str) -> SteeringRun:
        key = (handle.key, handle.fingerprint, prompting)
        if key not in self._steering:
            labels = label_map(self.classifier.name, self.stimuli)[1]
            run = run_steering(handle, self.stimuli, self.scenarios, self.profile, prompting,  # type: ignore[arg-type]
                               self.classifier, labels, scorer=self.scorer())
            self._steering[key] = run
            self.on_excerpts(excerpts(run, self.scenarios))
        return self._steering[key]

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

    def geometry(self, method: str) -> Geometry:
        return self.bench.geometry(self.handle, method)

    def steering(self, prompting: str) -> SteeringRun:
        return self.bench.steering(self.handle, prompting)

    def neutral_sentence_states(self) -> Extraction:
        return self.bench.neutral_states(self.handle)

    def context(self, method: str) -> dict[str, Any]:
        """What every geometry number carries: method, profile, stimulus set."""
        return {"method": method, "profile": self.profile.name, "stimuli": self.stimuli.content_hash()[:12]}

    def steering_context(self, run: SteeringRun) -> dict[str, Any]:
        """What every steering number carries: the run's prompting, vectors, scorer and settings."""
        return {**self.context(run.prompting), "vector_method": run.method, "layer": run.layer,
                "classifier": run.classifier, "scorer": run.scorer, "scale": run.scale,
                "max_new_tokens": run.max_new_tokens, "scenarios": scenarios_hash(self.bench.scenarios)[:12]}
