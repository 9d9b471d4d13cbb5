"""Fixtures shared by the claim evals: stimuli, per-(model, method) geometry, expected outcomes.

A claim known not to hold on a model is listed in expected_outcomes.yaml (reviewed, with
the measured value at review time); its test becomes a strict xfail carrying today's
measured reason, so a change in either direction fails the run.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from harness import thresholds as th
from harness.claims.geometry import Check
from harness.errors import HarnessError
from harness.experiments.extraction import extract, held_out, neutral_sentences, supports
from harness.experiments.geometry_run import Geometry, analyse
from harness.experiments.steering_grid import SteeringRun, run_steering, supports_prompting
from harness.metrics.classifier import Classifier, load_classifier
from harness.models.loading import ModelHandle
from harness.stimuli.loading import Stimuli, load_stimuli
from harness.stimuli.scenarios import Scenario, label_map, load_scenarios

EXPECTED_FILE = Path(__file__).with_name("expected_outcomes.yaml")


@pytest.fixture(scope="session")
def stimuli() -> Stimuli:
    return load_stimuli()


@pytest.fixture(scope="session")
def _geometry_cache() -> dict:
    return {}


@pytest.fixture
def geometry(model, stimuli, profile, record_claim, _geometry_cache):
    """``geometry(method, claim)`` -> Geometry for the model under test, computed once per
    session. Where the model does not support the method, records the claim as
    ``not applicable`` with the reason and skips."""

    def get(method: str, claim: str) -> Geometry:
        reason = supports(model, method)
        if reason:
            record_claim(claim, model.key, f"{method} extraction", None, verdict="not applicable",
                         details={"method": method, "reason": reason, "profile": profile.name})
            pytest.skip(reason)
        key = (model.key, model.fingerprint, method)
        if key not in _geometry_cache:
            ex = extract(model, method, stimuli, profile)
            held = held_out(model, stimuli, profile.batch_size)
            neutral = neutral_sentences(model, stimuli, profile.batch_size)
            _geometry_cache[key] = analyse(ex, held, neutral, stimuli, profile.n_permutations, th.SEED)
        return _geometry_cache[key]

    return get


@pytest.fixture(scope="session")
def scenarios() -> tuple[Scenario, ...]:
    return load_scenarios()


@pytest.fixture(scope="session")
def classifier(pytestconfig) -> Classifier:
    try:
        return load_classifier(pytestconfig.getoption("classifier"), pytestconfig.getoption("allow_download"))
    except HarnessError as e:
        error = str(e)
    pytest.fail(error, pytrace=False)


@pytest.fixture(scope="session")
def _steering_cache() -> dict:
    return {}


@pytest.fixture(scope="session")
def ppl_scorer(pytestconfig, load_model) -> ModelHandle | None:
    key = pytestconfig.getoption("ppl_scorer")
    return load_model(key) if key else None


def steering_run(handle: ModelHandle, prompting: str, stimuli: Stimuli, scenarios, profile, classifier,
                 scorer, cache: dict, harness_run) -> SteeringRun:
    """The (model, prompting) steering grid, computed once per session; excerpts recorded once."""
    key = (handle.key, handle.fingerprint, prompting)
    if key not in cache:
        labels = label_map(classifier.name, stimuli)[1]
        run = run_steering(handle, stimuli, scenarios, profile, prompting, classifier, labels,
                           scorer=scorer)
        cache[key] = run
        harness_run.add_excerpts(excerpts(run, scenarios))
    return cache[key]


def excerpts(run: SteeringRun, scenarios) -> list[dict]:
    prompt = {(s.id, i): p for s in scenarios for i, p in enumerate(s.prompts)}
    target = {s.id: s.target for s in scenarios}
    return [{"model": run.model, "prompting": run.prompting, "scenario": r.scenario,
             "target_emotion": target[r.scenario], "sign": r.sign, "prompt_index": r.prompt_index,
             "prompt": prompt[(r.scenario, r.prompt_index)], "direction": r.direction,
             "strength": r.strength, "text": r.text, "target": r.target, "perplexity": r.perplexity,
             "loop_share": r.stats["loop_share"]} for r in run.rows]


@pytest.fixture
def steering(model, stimuli, scenarios, profile, classifier, ppl_scorer, record_claim, harness_run,
             _steering_cache):
    """``steering(prompting, claim)`` -> SteeringRun for the model under test. Where the
    prompting mode does not apply (chat on a base model), records ``not applicable`` and skips."""

    def get(prompting: str, claim: str) -> SteeringRun:
        reason = supports_prompting(model, prompting) or supports(model, "comprehension")
        if reason:
            record_claim(claim, model.key, f"{prompting} prompts", None, verdict="not applicable",
                         details={"method": prompting, "reason": reason, "profile": profile.name})
            pytest.skip(reason)
        return steering_run(model, prompting, stimuli, scenarios, profile, classifier, ppl_scorer,
                            _steering_cache, harness_run)

    return get


@pytest.fixture
def pooled_runs(model_keys, load_model, stimuli, scenarios, profile, classifier, ppl_scorer,
                _steering_cache, harness_run):
    """``pooled_runs(prompting)`` -> the steering runs of every selected model that applies."""

    def get(prompting: str) -> list[SteeringRun]:
        runs = []
        for key in model_keys:
            try:
                handle = load_model(key)
            except pytest.skip.Exception:
                continue  # weights absent: the per-model tests say so
            if supports_prompting(handle, prompting):
                continue
            runs.append(steering_run(handle, prompting, stimuli, scenarios, profile, classifier,
                                     ppl_scorer, _steering_cache, harness_run))
        return runs

    return get


@pytest.fixture
def record_steering(record_claim, model, profile, stimuli, scenarios):
    """Record a steering Check; ``method`` carries the prompting mode."""

    def rec(claim: str, metric: str, check: Check, run: SteeringRun, paper: tuple, **details) -> None:
        from harness.stimuli.scenarios import scenarios_hash

        value, source = paper
        record_claim(claim, model.key, metric, check.value, verdict=check.verdict, paper_value=value,
                     details={"method": run.prompting, "vector_method": run.method, "profile": profile.name,
                              "reason": check.reason, "paper_source": source, "layer": run.layer,
                              "classifier": run.classifier, "scorer": run.scorer, "scale": run.scale,
                              "max_new_tokens": run.max_new_tokens, "stimuli": stimuli.content_hash()[:12],
                              "scenarios": scenarios_hash(scenarios)[:12], **check.details, **details})

    return rec


@pytest.fixture
def record_check(record_claim, model, profile, stimuli):
    """Record a Check under a claim with the details every number must carry."""

    def rec(claim: str, metric: str, check: Check, method: str, paper: tuple, **details) -> None:
        value, source = paper
        record_claim(claim, model.key, metric, check.value, verdict=check.verdict, paper_value=value,
                     details={"method": method, "profile": profile.name, "reason": check.reason,
                              "paper_source": source, "stimuli": stimuli.content_hash()[:12],
                              **check.details, **details})

    return rec


def _expected() -> dict:
    doc = yaml.safe_load(EXPECTED_FILE.read_text()) if EXPECTED_FILE.is_file() else None
    return doc or {}


@pytest.fixture
def expected_outcome(request, profile):
    """``expected_outcome(claim, model_key, method, check)``: assert the check, or xfail it
    where expected_outcomes.yaml says it does not hold.

    The xfail is strict in the profile the entry was reviewed in (a claim that starts to
    hold fails the run until the file is updated) and non-strict in other profiles.
    """

    def check(claim: str, model_key: str, method: str, result: Check) -> None:
        entry = _expected().get(claim, {}).get(model_key, {}).get(method)
        if entry and entry.get("expect") == "does not hold":
            reviewed = entry.get("profile", "paper")
            request.node.add_marker(pytest.mark.xfail(
                strict=reviewed == profile.name,
                reason=f"{claim} known not to hold on {model_key} ({method}, reviewed in the {reviewed} "
                       f"profile: {entry.get('measured', '?')}); now: {result.reason}"))
        assert result.holds, f"{claim} does not hold on {model_key} ({method}): {result.reason}"

    return check


@pytest.fixture
def expect_claim(model, expected_outcome):
    """``expect_claim(claim, method, check)`` for the model under test."""

    def check(claim: str, method: str, result: Check) -> None:
        expected_outcome(claim, model.key, method, result)

    return check
