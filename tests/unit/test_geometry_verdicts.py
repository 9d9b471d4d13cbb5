"""Geometry verdicts on constructed evidence: a planted emotion structure is detected, a
label-shuffled one is not, and a claim whose control passes the same test is uninformative."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
import torch

from harness.claims.base import ControlReading, decide
from harness.claims.c02_generation_vs_comprehension import C2
from harness.claims.c03_opposite_pairs import C3
from harness.claims.c04_below_anisotropy import C4
from harness.claims.c11_valence import C11
from harness.claims.c12_emotion_specific import C12
from harness.claims.geometry_judging import GeometryResult as Result
from harness.claims.geometry_judging import judge
from harness.claims.ruling import above
from harness.experiments.extraction import Extraction
from harness.experiments.geometry_run import Geometry, analyse
from harness.metrics.vectors import LabelledStates
from harness.protocol import Profile
from harness.stimuli.loading import load_stimuli
from harness.testing import tiny_handle

STIMULI = load_stimuli()
NAMES = list(STIMULI.names)
PROFILE = Profile("unit", gen_max_new_tokens=4, n_permutations=400, n_bootstrap=100, batch_size=8, gen_batch_size=8,
                  steer_max_new_tokens=4)
L, D = 4, 40


def states(per: int, neutral: int, signal: float, seed: int, shuffle: bool = False,
           emotions: bool = True) -> LabelledStates:
    """Samples around a shared offset; each emotion adds its own direction (x signal)."""
    g = torch.Generator().manual_seed(seed)
    labels = (tuple(e for e in NAMES for _ in range(per)) if emotions else ()) + ("neutral",) * neutral
    offset = 3 * torch.randn(L, 1, D, generator=torch.Generator().manual_seed(99))
    mean = {e: signal * torch.randn(L, D, generator=torch.Generator().manual_seed(1000 + i))
            for i, e in enumerate(NAMES)} | {"neutral": torch.zeros(L, D)}
    x = offset + torch.stack([mean[lab] for lab in labels], 1) + torch.randn(L, len(labels), D, generator=g)
    if shuffle:  # same states, emotion labels scrambled: no emotion structure left
        emo = [i for i, lab in enumerate(labels) if lab != "neutral"]
        order = torch.randperm(len(emo), generator=g).tolist()
        new = list(labels)
        for i, j in zip(emo, order, strict=True):
            new[i] = labels[emo[j]]
        labels = tuple(new)
    return LabelledStates(x, labels)


def extraction(method: str, data: LabelledStates) -> Extraction:
    n = len(data.labels)
    return Extraction(method, data, data.states[-1], ("t",) * n, (0,) * n)  # type: ignore[arg-type]


def geometry(method: str, signal: float, seed: int, shuffle: bool = False) -> Geometry:
    per = 10 if method.startswith("generation") else 3
    ex = extraction("generation" if method.startswith("generation") else "comprehension",
                    states(per, per, signal, seed, shuffle))
    held = extraction("comprehension", states(2, 0, signal, seed + 1))
    neutral = extraction("comprehension", states(0, 20, 0.0, seed + 2, emotions=False))
    return analyse(ex, held, neutral, STIMULI, PROFILE, seed=7)


@dataclass
class FakeEvidence:
    """Evidence over constructed geometries; the 'random' weights see no emotion structure."""

    signal: float
    shuffle: bool = False
    copy_signal: float = 0.0  # what the 'random' weights see (0: no emotion structure)
    handle: Any = field(default_factory=lambda: tiny_handle("llama"))
    stimuli: Any = STIMULI
    profile: Any = PROFILE
    replication: Any = None
    _cache: dict = field(default_factory=dict)

    def geometry(self, method: str, which: str = "primary", weights: str = "trained") -> Geometry:
        key = (method, which, weights)
        if key not in self._cache:
            signal = self.signal if weights == "trained" else self.copy_signal
            self._cache[key] = geometry(method, signal, seed=len(self._cache), shuffle=self.shuffle)
        return self._cache[key]

    def context(self, method: str) -> dict[str, Any]:
        return {"method": method, "profile": "unit", "stimuli": "x"}


@pytest.fixture(scope="module")
def planted() -> FakeEvidence:
    return FakeEvidence(signal=1.0)


@pytest.fixture(scope="module")
def shuffled() -> FakeEvidence:
    return FakeEvidence(signal=1.0, shuffle=True)


def test_a_planted_emotion_structure_is_emotion_specific(planted):
    main, copy = C12.check(planted, "comprehension")[:2]
    assert main.check.verdict == "holds", main.check.reason
    assert main.check.value == pytest.approx(1 / 401) and main.check.interval[1] < 0.05
    assert main.check.note == "floor: no shuffle of 400 as low"  # never shown as if it were evidence alone
    held = next(f for f in C12.check(planted, "comprehension") if f.metric == "heldout_top1")
    assert held.check.verdict == "holds" and held.check.interval[0] > 0.05
    assert main.check.details.heldout_top1 > 0.5
    # Random weights see no emotion: their test is not passed, and at chance it is not ruled out
    # either (a p above alpha rules nothing out); the model beats the copy on both halves.
    assert copy.check.verdict == "inconclusive"
    assert main.check.controls[1].name == "random-weight copy" and main.check.controls[1].undecided is False
    gen = C12.check(planted, "generation")[0].check
    assert gen.verdict == "holds" and gen.details.heldout_kind == "leave-one-story-out"
    assert gen.details.heldout_n == 200 and gen.details.strata == "story index (topic)"


def test_held_out_accuracy_is_decided_against_the_copy_item_by_item(planted):
    """A copy at chance straddles 0.05 at any size, so the held-out row compares the model
    with its copy on the same items (exact McNemar): beaten -> holds; matched -> uninformative."""
    held = next(f for f in C12.check(planted, "comprehension") if f.metric == "heldout_top1").check
    d = held.details
    assert held.verdict == "holds" and d.p_beats_copy < 0.05 and d.right_only_model > d.right_only_copy
    assert "McNemar" in held.controls[0].value and held.controls[0].passes is False
    twin = FakeEvidence(signal=1.0, copy_signal=1.0)  # a 'copy' that sees the same structure
    held = next(f for f in C12.check(twin, "comprehension") if f.metric == "heldout_top1").check
    assert held.value > 0.5 and held.details.p_beats_copy >= 0.05
    assert held.verdict == "uninformative" and held.controls[0].passes is True


def test_a_label_shuffled_structure_is_not_shown_and_a_p_above_alpha_rules_nothing_out(shuffled):
    main = C12.check(shuffled, "comprehension")[0].check
    assert main.details.p > 0.05 and main.verdict == "inconclusive", main.reason
    assert main.ruled_out is None


def test_a_test_its_control_passes_too_is_uninformative(planted, shuffled):
    # Every vector shares the residual stream's offset: B is high, and shuffled vectors sit
    # below it as well as real ones, so "below anisotropy" says nothing about emotions.
    c4 = C4.check(planted, "comprehension")[0].check
    assert c4.details.null_gap > 0 and c4.verdict == "uninformative"
    assert c4.controls[0] == ControlReading("label-shuffled null's gap B - null mean", c4.details.null_gap, True)
    # Weak valence on vectors whose specificity is undecided (C12 inconclusive) is inconclusive.
    c11 = C11.check(shuffled, "comprehension")[0].check
    assert c11.controls[0].value == "inconclusive" and c11.controls[0].undecided
    assert c11.verdict in ("inconclusive", "does not hold")
    c3 = C3.check(planted, "comprehension")[0].check
    assert c3.verdict in ("uninformative", "does not hold", "inconclusive")


def test_c2_compares_the_emotion_specific_part_with_an_interval(planted):
    main, raw, story, copy = C2.check(planted, "generation")[:4]
    d = main.check.details
    assert main.check.value == pytest.approx(d.specific_generation - d.specific_comprehension)
    low, high = main.check.interval
    assert low < main.check.value < high and d.se > 0
    assert raw.metric == "s_comp_minus_s_gen" and raw.check.controls[0].name == "label-shuffled nulls' difference"
    assert story.metric == "specific_gen_story_only_minus_comp" and copy.metric.endswith("(random-weight copy)")
    assert set(main.check.adjacent) == {"1", "2", "3"}


@pytest.mark.parametrize(("passes", "controls", "verdict"), [
    (None, [], "inconclusive"),
    (False, [ControlReading("c", 1, True)], "does not hold"),
    (True, [ControlReading("c", 1, False), ControlReading("d", 1, True)], "uninformative"),
    (True, [ControlReading("c", 1, None)], "holds"),
    (True, [ControlReading("c", 1, False, undecided=True)], "inconclusive"),
    (True, [ControlReading("c", 1, False, undecided=True), ControlReading("d", 1, True)], "uninformative"),
    (False, [ControlReading("c", 1, False, undecided=True)], "does not hold"),
])
def test_verdict_vocabulary(passes, controls, verdict):
    assert decide(passes, controls) == verdict


@pytest.mark.parametrize(("copy_passes", "verdict"), [(False, "holds"), (None, "inconclusive"),
                                                      (True, "uninformative")])
def test_a_pass_beside_a_random_copy_that_may_pass_too_is_not_a_hold(copy_passes, verdict):
    """The random-weight copy's own test straddling its cut leaves open whether it passes
    too, so the model's pass is not yet shown to be the model's."""
    def test(subject: str, block: int | None) -> Result[None]:
        # The model's interval lies above 0.5; the copy's reading overlaps it wherever undecided,
        # so the model does not beat it.
        interval = {True: (0.7, 0.9), False: (0.1, 0.4), None: (0.4, 0.8)}[True if subject == "model" else copy_passes]
        return Result((above("x", 0.8, interval, 0.5),), 0.1, interval, subject, None)

    def null(subject: str, block: int | None, control: str | None) -> ControlReading:
        return ControlReading("label-shuffled null", 0.5, False)

    check = judge(test, null, "model", None, "copy")
    assert check.verdict == verdict
    assert check.controls[1].undecided is (copy_passes is None)
    assert ("may pass too" in check.reason) is (copy_passes is None)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and torch.equal(a, b)
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(_same(a[k], b[k]) for k in a)  # order too
    if hasattr(a, "__dataclass_fields__"):
        return type(a) is type(b) and all(_same(getattr(a, f), getattr(b, f)) for f in a.__dataclass_fields__)
    if isinstance(a, float) and isinstance(b, float) and a != a:
        return b != b  # nan
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("method", ["comprehension", "generation"])
def test_geometry_statistics_are_cached_and_read_back_exactly(method, monkeypatch):
    """A second analysis of the same inputs reads the cache (every field, type and tensor equal);
    other inputs, or another version of the statistics' code, compute again."""
    from harness.experiments import geometry_cache

    per = 10 if method == "generation" else 3
    ex = extraction(method, states(per, per, 1.0, 5))
    held = extraction("comprehension", states(2, 0, 1.0, 6))
    neutral = extraction("comprehension", states(0, 20, 0.0, 7, emotions=False))
    fresh = geometry_cache.cached_analyse(ex, held, neutral, STIMULI, PROFILE, seed=7)
    assert _same(fresh, analyse(ex, held, neutral, STIMULI, PROFILE, seed=7))
    calls = []
    monkeypatch.setattr(geometry_cache, "analyse", lambda *a, **k: calls.append(1) or analyse(*a, **k))
    again = geometry_cache.cached_analyse(ex, held, neutral, STIMULI, PROFILE, seed=7)
    assert calls == [] and _same(again, fresh)
    geometry_cache.cached_analyse(ex, held, neutral, STIMULI, PROFILE, seed=8)
    assert calls == [1]
    monkeypatch.setattr(geometry_cache, "code_fingerprint", lambda: "edited")
    geometry_cache.cached_analyse(ex, held, neutral, STIMULI, PROFILE, seed=7)
    assert calls == [1, 1]


def test_an_undecided_copy_the_model_beats_does_not_hold_the_verdict_open():
    """A copy at chance straddles its cut at any sample size; when the model's interval lies
    wholly beyond the copy's, the copy cannot pass as far as the model goes."""
    def test(subject: str, block: int | None) -> Result[None]:
        interval = (0.7, 0.9) if subject == "model" else (0.3, 0.6)
        return Result((above("x", sum(interval) / 2, interval, 0.5),), 0.1, interval, subject, None)

    def null(subject: str, block: int | None, control: str | None) -> ControlReading:
        return ControlReading("label-shuffled null", 0.5, False)

    check = judge(test, null, "model", None, "copy")
    assert check.verdict == "holds" and check.controls[1].undecided is False
    assert "beaten by the model" in check.controls[1].value
