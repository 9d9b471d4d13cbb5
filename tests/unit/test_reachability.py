"""Every claim can reach both answers at the protocol's sizes.

For each claim, constructed evidence of exactly the protocol's sizes (the packaged stimuli's
passages, held-out passages and stories; the paper profile's 10000 label shuffles and 1000
bootstraps; the packaged scenarios' prompts and the protocol's strengths) shows that an effect
of the paper's size gives "holds", that no effect gives anything but "holds", and that a clear
absence gives "does not hold", ruled out by an interval (docs/protocol.md, Verdicts).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pytest
import torch

from harness import thresholds as th
from harness.claims.c01_u_curve import C1
from harness.claims.c02_generation_vs_comprehension import C2
from harness.claims.c03_opposite_pairs import C3
from harness.claims.c04_below_anisotropy import C4
from harness.claims.c05_steering_moves_target import moves_check
from harness.claims.c06_classifier_flips import classifier_flips, pool_flips
from harness.claims.c07_dose_response import dose_response
from harness.claims.c08_regime import regime
from harness.claims.c09_safe_steering_strength import safe_strength
from harness.claims.c10_crosslingual import cross_lingual
from harness.claims.c11_valence import C11
from harness.claims.c12_emotion_specific import C12
from harness.claims.c13_scale_and_prompt_length import scale_and_length
from harness.claims.ruling import excludes
from harness.experiments.extraction import Extraction
from harness.experiments.geometry_run import Geometry, analyse
from harness.experiments.script_control import ScriptControl
from harness.experiments.steering_grid import SteeringRun, SteerRow, grid_cells
from harness.metrics.textstats import text_stats
from harness.metrics.vectors import LabelledStates
from harness.protocol import get_profile
from harness.stimuli.loading import load_stimuli
from harness.stimuli.scenarios import load_scenarios
from harness.testing import tiny_handle

STIMULI = load_stimuli()
NAMES = list(STIMULI.names)
PAPER = get_profile("paper")  # the protocol's shuffles and bootstraps
PER = {"comprehension": len(STIMULI.passages[NAMES[0]]), "generation": 10}  # passages / stories per emotion
HELD = len(STIMULI.held_out[NAMES[0]])
L, D = 4, 48  # four blocks: depths 0.25, 0.5, 0.75 and 1.0, the paper's own sweep
EMO = torch.nn.functional.normalize(torch.randn(len(NAMES), D, generator=torch.Generator().manual_seed(11)), dim=-1)


def ruled(check) -> bool:
    """A "does not hold" names a statistic whose interval lies outside the claim's region."""
    b = check.ruled_out
    return check.verdict == "does not hold" and b is not None and excludes(b.interval, b.region)


# ---------------------------------------------------------------- geometry: constructed states


MeanFn = Any  # (label, index within its label) -> [L, D]


def labelled(mean: MeanFn, per: int, neutral: int, seed: int, offset: float = 3.0,
             emotions: bool = True) -> LabelledStates:
    """Samples around a shared residual offset: each sample's mean (``mean(label, k)``) plus its
    label's noise per block (``mean.noise``; neutral samples ``mean.neutral_noise``)."""
    g = torch.Generator().manual_seed(seed)
    labels = (tuple(e for e in NAMES for _ in range(per)) if emotions else ()) + ("neutral",) * neutral
    index = [sum(1 for x in labels[:n] if x == lab) for n, lab in enumerate(labels)]
    base = offset * torch.randn(L, 1, D, generator=torch.Generator().manual_seed(99))
    scale = torch.stack([torch.tensor(mean.neutral_noise if lab == "neutral" else mean.noise) for lab in labels], 1)
    x = base + torch.stack([mean(lab, k) for lab, k in zip(labels, index, strict=True)], 1) + scale[:, :, None] * (
        torch.randn(L, len(labels), D, generator=g))
    return LabelledStates(x, labels)


@dataclass(frozen=True)
class Means:
    """Each emotion sample's mean: its emotion's direction (row of ``dirs``) times the block's
    signal, plus a ``shared`` part every emotion sample carries; ``scramble`` puts sample k of
    emotion e on emotion e + k's direction (no direction of its own)."""

    signal: tuple[float, ...]
    dirs: torch.Tensor = EMO
    shared: torch.Tensor | None = None
    scramble: bool = False
    noise: tuple[float, ...] = (1.0,) * L  # per block, per dimension
    neutral_noise: tuple[float, ...] = (1.0,) * L

    def __call__(self, label: str, k: int) -> torch.Tensor:
        if label == "neutral":
            return torch.zeros(L, D)
        i = NAMES.index(label) + (k if self.scramble else 0)
        out = torch.tensor(self.signal)[:, None] * self.dirs[i % len(NAMES)]
        return out + (0 if self.shared is None else self.shared)


def means(per_block: list[float], dirs: torch.Tensor = EMO, shared: torch.Tensor | None = None,
          noise: float | list[float] = 1.0, scramble: bool = False, neutral_noise: float | None = None) -> Means:
    per = tuple(noise if isinstance(noise, list) else [noise] * L)
    return Means(tuple(per_block), dirs, shared, scramble, per,
                 per if neutral_noise is None else (neutral_noise,) * L)


def extraction(method: str, data: LabelledStates) -> Extraction:
    n = len(data.labels)
    return Extraction(method, data, data.states[-1], ("t",) * n, (0,) * n)  # type: ignore[arg-type]


@dataclass
class Built:
    """Evidence over constructed geometries: the trained model's means and its random-weight copy's."""

    trained: dict[str, Means]  # method -> sample means
    copy: dict[str, Means]
    held_shift: int = 0  # held-out passages placed on another emotion's direction (mislabelled)
    neutral_offset: float = 3.0
    handle: Any = field(default_factory=lambda: tiny_handle("llama"))
    stimuli: Any = STIMULI
    profile: Any = PAPER
    replication: Any = None
    _cache: dict = field(default_factory=dict)

    def geometry(self, method: str, which: str = "primary", weights: str = "trained") -> Geometry:
        key = (method, weights)
        if key not in self._cache:
            source = "generation" if method.startswith("generation") else "comprehension"
            m = (self.trained if weights == "trained" else self.copy)[source]
            per = PER[source]
            ex = extraction(source, labelled(m, per, per, seed=len(self._cache)))
            shifted = Means(m.signal, torch.roll(m.dirs, -self.held_shift, 0), m.shared, False, m.noise,
                            m.neutral_noise)
            held = extraction("comprehension", labelled(shifted, HELD, 0, seed=50 + len(self._cache)))
            neutral = extraction("comprehension", labelled(m, 0, 20, seed=70, offset=self.neutral_offset,
                                                           emotions=False))
            self._cache[key] = analyse(ex, held, neutral, STIMULI, PAPER, seed=7)
        return self._cache[key]

    def context(self, method: str) -> dict[str, Any]:
        return {"method": method, "profile": "paper", "stimuli": "x"}


FLAT = [0.0] * L


def built(trained: Means, copy: Means | None = None, **kw: Any) -> Built:
    copy = copy if copy is not None else Means(tuple(FLAT), EMO, None, False, trained.noise, trained.neutral_noise)
    return Built({"comprehension": trained, "generation": trained}, {"comprehension": copy, "generation": copy}, **kw)


def decisive(claim, ev, method="comprehension"):
    return claim.check(ev, method)[0].check


def u_shaped(signal: list[float], total: float = 16.0) -> Means:
    """Signal per block with the noise making up the rest of a constant total variance (signal^2
    + D noise^2): label-shuffled class means (three samples of mixed emotions) then spread alike
    at every block, so only the emotion labels can make a U (the label-shuffled null's curve is
    C1's control); neutral samples have the same noise at every block."""
    return means(signal, noise=[math.sqrt((total - s * s) / D) for s in signal], neutral_noise=0.3)


# C1: the paper's curve is 0.960, 0.357, 0.407, 0.930 at 25/50/75/100% depth.
def test_c1_reaches_both_answers():
    u = decisive(C1, built(u_shaped([0.5, 3.8, 2.0, 0.5])))
    assert u.verdict == "holds", u.reason
    flat = decisive(C1, built(u_shaped([2.0] * L)))
    assert flat.verdict != "holds"
    rising = decisive(C1, built(u_shaped([0.5, 1.5, 2.5, 3.8])))  # best at full depth
    assert ruled(rising), rising.reason


# C2: the paper's generation S 0.357 against comprehension S 0.665 (SmolLM2-1.7B).
def test_c2_reaches_both_answers():
    def ev(gen: float, comp: float) -> Built:
        return Built({"generation": means([gen] * L), "comprehension": means([comp] * L)},
                     {"generation": means(FLAT), "comprehension": means(FLAT)})

    c2 = decisive(C2, ev(4.0, 0.8), "generation")
    assert c2.verdict == "holds", c2.reason
    assert decisive(C2, ev(1.5, 1.5), "generation").verdict != "holds"
    assert ruled(decisive(C2, ev(0.5, 4.0), "generation"))


def opposite_dirs(cos: float) -> torch.Tensor:
    """Unit directions in which each opposite pair has cosine ``cos`` and the rest are random."""
    dirs = EMO.clone()
    for a, b in STIMULI.opposite_pairs:
        i, j = NAMES.index(a), NAMES.index(b)
        rest = torch.nn.functional.normalize(dirs[j] - (dirs[j] @ dirs[i]) * dirs[i], dim=0)
        dirs[j] = cos * dirs[i] + math.sqrt(1 - cos ** 2) * rest
    return dirs


# C3: the paper's lowest opposite pairs 0.182 and 0.322; its shuffles must not pass too, so no
# shared offset lifts every pair.
def test_c3_reaches_both_answers():
    c3 = decisive(C3, built(means([3.0] * L, opposite_dirs(0.5), noise=0.3, neutral_noise=0.02)))
    assert c3.verdict == "holds", c3.reason
    assert decisive(C3, built(means([3.0] * L, noise=0.3, neutral_noise=0.02))).verdict != "holds"
    assert ruled(decisive(C3, built(means([3.0] * L, opposite_dirs(-0.7), noise=0.3, neutral_noise=0.02))))


# C4: the paper's gap 0.451; shuffled vectors (their emotion parts averaged away) and the copy
# sit at or above B.
def test_c4_reaches_both_answers():
    shared = 2.5 * torch.nn.functional.normalize(torch.randn(D, generator=torch.Generator().manual_seed(5)), dim=0)
    quiet = {"noise": 0.1, "neutral_noise": 0.02}
    b = 0.02 * math.sqrt(0.62 / 0.38)  # neutral sentences' shared offset: B near 0.62
    copy = means(FLAT, shared=shared, **quiet)
    c4 = decisive(C4, built(means([2.5] * L, shared=shared, **quiet), copy, neutral_offset=b))
    assert c4.verdict == "holds", c4.reason
    assert decisive(C4, built(means(FLAT, shared=shared, **quiet), copy, neutral_offset=b)).verdict != "holds"
    assert ruled(decisive(C4, built(means([0.3] * L, shared=shared, **quiet), copy, neutral_offset=b)))


def parity_dirs(pc1: torch.Tensor) -> torch.Tensor:
    """A dominant first component that follows ``pc1`` (one value per emotion), on top of each
    emotion's own direction."""
    axis = torch.nn.functional.normalize(torch.randn(D, generator=torch.Generator().manual_seed(3)), dim=0)
    return EMO * 0.6 + 2.0 * pc1[:, None] * axis


# C11: weak valence on emotion-specific vectors (the paper: valence structure is weak).
def test_c11_reaches_both_answers():
    parity = torch.tensor([(-1.0) ** i for i in range(len(NAMES))])
    valence = torch.tensor([e.valence for e in STIMULI.emotions])
    weak = decisive(C11, built(means([3.0] * L, parity_dirs(parity), noise=0.3)))
    assert weak.verdict == "holds", weak.reason
    assert decisive(C11, built(means(FLAT, noise=0.3))).verdict != "holds"  # no emotion vectors: C12's gate is open
    strong = decisive(C11, built(means([3.0] * L, parity_dirs(valence), noise=0.3)))
    assert ruled(strong), strong.reason


# C12 (our control): emotion-specific separation, comprehension and generation sizes.
@pytest.mark.parametrize("method", ["comprehension", "generation"])
def test_c12_reaches_both_answers(method):
    quiet = {"noise": 0.3, "neutral_noise": 0.05}
    planted = decisive(C12, built(means([2.0] * L, **quiet)), method)
    assert planted.verdict == "holds", planted.reason
    assert decisive(C12, built(means(FLAT, **quiet)), method).verdict != "holds"
    # Vectors that label held-out texts as other emotions: held-out passages placed on another
    # emotion's direction, or stories whose emotion has no direction of its own (leave-one-story-
    # out at chance or below): top-1's interval below 0.10.
    wrong = built(means([2.0] * L, **quiet), held_shift=1) if method == "comprehension" else built(
        means([2.0] * L, scramble=True, **quiet))
    check = decisive(C12, wrong, method)
    assert ruled(check), check.reason


# ---------------------------------------------------------------- steering: constructed runs

SCENARIOS = load_scenarios()  # the protocol's prompts
PLAIN = "plain words of a normal kind"
LOOP = "calm calm calm calm calm calm calm calm"
SEES = ScriptControl(("p",), ("x",), (th.CJK_MIN_CHARS + 5,))


@dataclass(frozen=True)
class Cell:
    scenario: str
    sign: int
    i: int
    direction: str
    a: float
    rule: str
    length: str


def run(target=lambda c: 0.5, readout=lambda c: 0.0, text=lambda c: PLAIN, ppl=lambda c: 10.0,
        prompting: str = "raw") -> SteeringRun:
    prompts = [(s, i, p) for s in SCENARIOS for i, p in enumerate(s.prompts)]
    rows = []
    for cell in grid_cells(prompts, prompting):  # type: ignore[arg-type]
        s, i, _ = prompts[cell.k]
        c = Cell(s.id, s.sign, i, cell.direction, cell.strength, cell.rule, cell.length)
        t = text(c)
        rows.append(SteerRow(s.id, i, cell.direction, cell.strength, s.sign, t, 6, False, readout(c), ppl(c), 0.0,
                             target(c), {}, text_stats(t).__dict__, rule=cell.rule, length=cell.length))  # type: ignore[arg-type]
    return SteeringRun("m", prompting, "comprehension", "prefill", "fake 1", "m", 8, 1, SCENARIOS, tuple(rows),  # type: ignore[arg-type]
                       classifiers=("fake",))


def test_c5_reaches_both_answers():
    moves = run(readout=lambda c: c.sign * c.a if c.direction == "emotion" else 0.0)
    assert moves_check(moves).verdict == "holds"
    noise = run(readout=lambda c: (-1) ** (c.i + (c.sign > 0)) * c.a if c.direction == "emotion" else 0.0)
    assert moves_check(noise).verdict != "holds"
    assert ruled(moves_check(run(readout=lambda c: -c.sign * c.a if c.direction == "emotion" else 0.0)))


def test_c6_reaches_both_answers():
    n = sum(len(s.prompts) for s in SCENARIOS)

    order = [(s.id, i) for s in SCENARIOS for i in range(len(s.prompts))]

    def flips(k: int):  # the first k prompts' target scores move the scenario's way
        return run(target=lambda c: 0.5 + c.sign * c.a if c.direction == "emotion"
                   and order.index((c.scenario, c.i)) < k else 0.5)

    # The paper's 37/40 (92.5%): on the protocol's prompts, all but one flip.
    high = classifier_flips(flips(n - 1))
    assert high.verdict == "holds", high.reason
    assert classifier_flips(flips(n // 2)).verdict != "holds"
    assert ruled(classifier_flips(flips(n // 4)))
    # Pooled over models, the paper's own 37/40 holds.
    counts = {m: {"flips": k, "n": 20, "random_flips": 0, "random_n": 20, "emotion_only": k, "random_only": 0}
              for m, k in (("a", 19), ("b", 18))}
    assert pool_flips(counts, "raw", "paper", "fake", {})[1].check.verdict == "holds"


def test_c7_reaches_both_answers():
    assert dose_response(run(target=lambda c: 0.5 + c.sign * c.a if c.direction == "emotion" else 0.5)).verdict \
        == "holds"
    zigzag = {0.0: 0, 0.005: 1, 0.01: -1, 0.02: 1, 0.03: -1, 0.05: 1}
    noise = run(target=lambda c: 0.5 + 0.01 * zigzag.get(c.a, 0) * (-1) ** c.i if c.direction == "emotion" else 0.5)
    assert dose_response(noise).verdict != "holds"
    assert ruled(dose_response(run(target=lambda c: 0.5 - c.sign * c.a if c.direction == "emotion" else 0.5)))


def test_c8_reaches_both_answers():
    # Gemma-3's architecture is repetitive in the paper: loops at 0.05 under the emotion vector only.
    loops = run(text=lambda c: LOOP if c.a >= th.REGIME_HIGH and c.direction == "emotion" else PLAIN,
                ppl=lambda c: 10.0 if c.a <= th.REGIME_LOW else 4.0)
    assert regime(loops, "repetitive").verdict == "holds"
    fluent = run()
    assert regime(fluent, "repetitive").verdict != "holds"
    assert ruled(regime(fluent, "explosive"))


def test_c9_reaches_both_answers():
    """A safety claim: safe holds, unclear is not a hold, clearly unsafe is ruled out."""
    def breaks_high(c):  # the test can see a break
        return LOOP if c.a >= th.REGIME_HIGH else PLAIN

    assert safe_strength(run(text=breaks_high, ppl=lambda c: 12.0 if c.a == th.SAFE_STRENGTH else 10.0)).verdict \
        == "holds"
    some = run(text=lambda c: LOOP if c.a == th.SAFE_STRENGTH and c.i == 0 and c.sign > 0 else PLAIN)
    assert safe_strength(some).verdict != "holds"
    assert ruled(safe_strength(run(text=lambda c: LOOP if c.a == th.SAFE_STRENGTH else PLAIN)))


def test_c10_reaches_both_answers():
    han = "我们找了很多朋友"
    leak = run(text=lambda c: f"{han} {c.sign} {c.i}" if c.direction == "emotion" and c.a in th.RANDOM_STRENGTHS
               else PLAIN)
    assert cross_lingual(leak, True, SEES).verdict == "holds"
    looped = run(text=lambda c: "掩" * 40 if c.direction == "emotion" and c.a in th.RANDOM_STRENGTHS else PLAIN)
    assert cross_lingual(looped, True, SEES).verdict != "holds"
    assert ruled(cross_lingual(run(), True, SEES))
    assert cross_lingual(run(), False, SEES).verdict == "holds" and ruled(cross_lingual(leak, False, SEES))


def test_c13_reaches_both_answers():
    def collapsing(paper_long: float, robust_long: float):
        def text(c: Cell) -> str:
            if c.direction != "emotion" or c.a == 0:
                return PLAIN
            start = {"short": 0.05, "long": paper_long if c.rule == "paper" else robust_long}[c.length]
            return "\n\n\n" if c.a >= start else PLAIN
        return text

    assert scale_and_length(run(text=collapsing(0.3, 0.05))).verdict == "holds"
    assert ruled(scale_and_length(run(text=collapsing(0.05, 0.3))))  # the sink-robust scale shifts, not the paper's
    assert scale_and_length(run(text=collapsing(0.05, 0.05))).verdict != "holds"


def test_the_protocols_sizes_are_the_ones_these_tests_use():
    assert PAPER.n_permutations == 10000 and PAPER.n_bootstrap == 1000
    assert PER["comprehension"] == 3 and HELD == 2 and sum(len(s.prompts) for s in SCENARIOS) == 20
