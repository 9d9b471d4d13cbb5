"""The evals' fixtures (registered by the plugin, harness.pytest_plugin).

``verify(claim, axis_value)`` is the whole life of a claim check for the model under test:
not applicable -> recorded and skipped; else evidence -> findings -> records (each compared
with its reviewed baseline) -> the verdict: an xfail where expected_outcomes.yaml lists it
(strict in the profile it was reviewed in), a one-line failure otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch

from harness.claims.base import Check, Claim, Evidence, Finding, evaluate, to_record
from harness.claims.expected import read_expected
from harness.claims.record import ClaimRecord
from harness.errors import HarnessError, ModelUnavailable
from harness.experiments.steering_grid import SteeringRun, supports_prompting
from harness.experiments.workbench import Workbench, scorer_for
from harness.models.loading import ModelHandle, load
from harness.protocol import Profile, get_profile
from harness.pytest_plugin.options import load_options, opt, rooted_path, selected_models
from harness.pytest_plugin.store import RunStore, run_store
from harness.report.baselines import check as check_baseline
from harness.stimuli.loading import load_replication, load_stimuli
from harness.stimuli.scenarios import load_scenarios


@pytest.fixture(scope="session")
def harness_run(pytestconfig: pytest.Config) -> RunStore:
    """The session's record store (models loaded, claim results, steered excerpts)."""
    return run_store(pytestconfig)


def _fail_on_harness_error(fn: Callable[[], Any]) -> Any:
    """Run ``fn``; a harness error fails the test in one line, an absent model skips it."""
    try:
        return fn()
    except ModelUnavailable as e:
        error: HarnessError = e
        skip = True
    except HarnessError as e:
        error, skip = e, False
    # Outside the except block, so pytest shows one line and not a chained traceback.
    if skip:
        pytest.skip(str(error))
    pytest.fail(str(error), pytrace=False)


@pytest.fixture(scope="session")
def protocol_profile(pytestconfig: pytest.Config) -> Profile:
    return get_profile(opt(pytestconfig, "protocol_profile"))


@pytest.fixture(scope="session")
def model_loader(pytestconfig: pytest.Config, harness_run) -> Callable[[str], ModelHandle]:
    """``model_loader(key)``: a model handle with the session's options (skips when absent)."""
    loaded: dict[str, ModelHandle] = {}
    options = load_options(pytestconfig)

    def get(key: str) -> ModelHandle:
        if key not in loaded:
            handle = _fail_on_harness_error(lambda: load(key, options))
            harness_run.add_model(handle)
            loaded[key] = handle
        return loaded[key]

    return get


@pytest.fixture(scope="session")
def model(model_key: str, model_loader) -> ModelHandle:
    """The model under test, loaded once per session; skipped when its weights are absent."""
    return model_loader(model_key)


@pytest.fixture(scope="session")
def float32_twin(model: ModelHandle, pytestconfig: pytest.Config) -> ModelHandle:
    """The model under test loaded in float32, for a run in reduced precision to be checked against."""
    if model.dtype == torch.float32:
        return model
    return _fail_on_harness_error(lambda: load(model.key, load_options(pytestconfig, dtype="float32")))


@pytest.fixture(scope="session")
def model_keys(pytestconfig: pytest.Config) -> list[str]:
    """Every model selected by --models (for checks pooled over models)."""
    return selected_models(pytestconfig)


@pytest.fixture(scope="session")
def workbench(pytestconfig: pytest.Config, protocol_profile: Profile, model_loader, harness_run) -> Workbench:
    """The session's evidence: geometry and steering runs, each computed once."""
    scorer_key = opt(pytestconfig, "ppl_scorer")
    primary = rooted_path(pytestconfig, "stimuli")
    stimuli = _fail_on_harness_error(lambda: load_stimuli(primary))
    replication = None
    if opt(pytestconfig, "replicate_with") != "none":  # default (unset): the packaged set-b
        second = rooted_path(pytestconfig, "replicate_with")
        replication = _fail_on_harness_error(lambda: load_replication(second, primary))
    scenarios = _fail_on_harness_error(lambda: load_scenarios(profile=protocol_profile.name))
    return Workbench(stimuli=stimuli, scenarios=scenarios, profile=protocol_profile, replication=replication,
                     classifier_name=opt(pytestconfig, "classifier"),
                     allow_download=opt(pytestconfig, "allow_download"),
                     scorer=lambda handle: scorer_for(scorer_key, handle, model_loader),
                     scale_rule=opt(pytestconfig, "scale_rule"),
                     on_excerpts=harness_run.add_excerpts)


@pytest.fixture
def record_claim(harness_run, pytestconfig: pytest.Config) -> Callable[..., ClaimRecord]:
    """``record_claim(claim, model, metric, value, verdict, paper_value=None, details=None)``.

    Each record is compared with its reviewed baseline (``--baselines``); a value that
    drifted beyond its tolerance fails the test that recorded it."""
    root = rooted_path(pytestconfig, "baselines")
    update = opt(pytestconfig, "update_baselines")

    def record(*args: Any, **kwargs: Any) -> ClaimRecord:
        return _checked(harness_run.record(*args, **kwargs))

    def _keep(rec: ClaimRecord) -> ClaimRecord:
        harness_run.add(rec)
        return _checked(rec)

    def _keep_all(recs: list[ClaimRecord]) -> None:
        # Every record reaches the report before a drift fails the test: a drift in one
        # reading must not drop the readings recorded after it.
        for rec in recs:
            harness_run.add(rec)
        for rec in recs:
            _checked(rec)

    def _checked(rec: ClaimRecord) -> ClaimRecord:
        message = check_baseline(root, rec, update) if root is not None else None
        if message:
            pytest.fail(f"regression against the reviewed baseline: {message}; if the change is intended, "
                        "rerun with --update-baselines and review the diff", pytrace=False)
        return rec

    record.keep = _keep  # type: ignore[attr-defined]  # store a ready-made ClaimRecord
    record.keep_all = _keep_all  # type: ignore[attr-defined]  # store several, then check them all
    return record


@pytest.fixture
def expect_outcome(protocol_profile: Profile, pytestconfig: pytest.Config):
    """``expect_outcome(claim_id, model, axis_value, check)``: the verdict as the test's outcome.

    holds -> pass. Listed in expected_outcomes.yaml with this verdict -> xfail. In the profile
    the entry was reviewed in, any other verdict (holds included) fails the run until the
    file is reviewed; in other profiles a listed claim that is not holding is an xfail."""
    path = rooted_path(pytestconfig, "expected")
    report = rooted_path(pytestconfig, "report_dir")

    def check(claim_id: str, model: str, axis_value: str, result: Check[Any]) -> None:
        entry = _fail_on_harness_error(lambda: read_expected(path) if path else {}).get((claim_id, model, axis_value))
        where = f"[records in {report / 'results.json' if report else 'results.json'}]"
        verdict = result.verdict
        if entry is not None and entry.profile == protocol_profile.name and verdict != entry.verdict:
            pytest.fail(f"{claim_id} on {model} ({axis_value}) is now '{verdict}', but expected_outcomes.yaml "
                        f"says '{entry.verdict}' (reviewed: {entry.measured}); review the entry: {result.reason} "
                        f"{where}", pytrace=False)
        if verdict == "holds":
            return
        if entry is not None:
            pytest.xfail(entry.reason(result.reason))
        said = "does not hold" if verdict == "does not hold" else f"is {verdict}"
        pytest.fail(f"{claim_id} {said} on {model} ({axis_value}): {result.reason} {where}", pytrace=False)

    return check


@pytest.fixture
def verify(model: ModelHandle, workbench: Workbench, record_claim, expect_outcome, protocol_profile: Profile):
    """``verify(claim, axis_value)``: check ``claim`` on the model under test (module docstring)."""

    def run(claim: Claim[Any], axis_value: str) -> list[ClaimRecord]:
        outcome = _fail_on_harness_error(
            lambda: evaluate(claim, lambda: workbench.evidence(model), model, axis_value, protocol_profile.name))
        record_claim.keep_all(list(outcome.records))
        if outcome.decisive is None:
            pytest.skip(outcome.reason_not_applicable)
        expect_outcome(claim.id, model.key, axis_value, outcome.decisive)
        return outcome.records

    return run


@pytest.fixture
def measure(model: ModelHandle, workbench: Workbench, record_claim):
    """``measure(claim, fn)``: record a reading that decides nothing (``fn(evidence) -> Finding``)."""

    def run(claim: Claim[Any], fn: Callable[[Evidence], Finding]) -> ClaimRecord:
        rec = _fail_on_harness_error(lambda: to_record(claim.id, model.key, fn(workbench.evidence(model))))
        return record_claim.keep(rec)

    return run


@pytest.fixture
def verify_pooled(model_keys: list[str], model_loader, workbench: Workbench, record_claim, expect_outcome,
                  protocol_profile: Profile):
    """``verify_pooled(claim, prompting, pool)``: a check over every selected model's steering run,
    where ``pool(runs, prompting, profile_name, recognition) -> (pooled model name, Finding)``
    and ``recognition`` is the primary classifier's (harness.metrics.recognition)."""

    def run(claim: Claim[Any], prompting: str,
            pool: Callable[[list[SteeringRun], str, str, Any], tuple[str, Finding]]) -> ClaimRecord:
        runs = []
        for key in model_keys:
            try:
                handle = model_loader(key)
            except pytest.skip.Exception:
                continue  # weights absent: the per-model tests say so
            if supports_prompting(handle, prompting):  # type: ignore[arg-type]
                continue
            runs.append(_fail_on_harness_error(lambda h=handle: workbench.steering(h, prompting)))
        if len(runs) < 2:
            pytest.skip(f"pooling needs at least two models with {prompting} prompts; the per-model check "
                        "covers one")
        recognition = _fail_on_harness_error(lambda: workbench.recognition(workbench.classifier))
        name, finding = _fail_on_harness_error(lambda: pool(runs, prompting, protocol_profile.name, recognition))
        rec = record_claim.keep(_fail_on_harness_error(lambda: to_record(claim.id, name, finding)))
        expect_outcome(claim.id, name, prompting, finding.check)
        return rec

    return run
