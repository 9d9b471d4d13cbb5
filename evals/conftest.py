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
from harness.analysis import Geometry, analyse
from harness.claims import Check
from harness.extraction import extract, held_out, neutral_sentences, supports
from harness.stimuli import Stimuli, load_stimuli

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
def expect_claim(request, model, profile):
    """Assert a claim, or xfail it where expected_outcomes.yaml says it does not hold.

    The xfail is strict in the profile the entry was reviewed in (a claim that starts to
    hold fails the run until the file is updated) and non-strict in other profiles.
    """

    def check(claim: str, method: str, result: Check) -> None:
        entry = _expected().get(claim, {}).get(model.key, {}).get(method)
        if entry and entry.get("expect") == "does not hold":
            reviewed = entry.get("profile", "paper")
            request.node.add_marker(pytest.mark.xfail(
                strict=reviewed == profile.name,
                reason=f"{claim} known not to hold on {model.key} ({method}, reviewed in the {reviewed} "
                       f"profile: {entry.get('measured', '?')}); now: {result.reason}"))
        assert result.holds, f"{claim} does not hold on {model.key} ({method}): {result.reason}"

    return check
