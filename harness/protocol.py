"""Protocol constants: its version, the middle block, and the run profiles.

``paper`` follows the paper's protocol sizes, ``quick`` is a cheap smoke run, ``full`` is
``paper`` steered on every scenario prompt the harness ships (its own scenarios included) over the
readable grid: every control below collapse, the platform's vectors beside, the paper's running scale.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.errors import HarnessError

# Bump when a change alters what is extracted or measured, so cached results are not reused.
PROTOCOL_VERSION = 1


def middle_block(n_layers: int) -> int:
    """The block every "middle layer" claim reads (0-based): L // 2, the paper's 50% depth."""
    return n_layers // 2


def platform_block(n_layers: int) -> int:
    """The block the paper's public steering platform extracts its vectors at (0-based):
    ``n_layers * 2 // 3``; it adds that one vector after every block."""
    return n_layers * 2 // 3


@dataclass(frozen=True)
class Profile:
    name: str
    gen_max_new_tokens: int  # generation-based extraction (paper: up to 256)
    n_permutations: int  # label-shuffled null of S at the middle block and its neighbours
    n_bootstrap: int  # bootstrap resamples (samples within each class) for every geometry interval
    batch_size: int  # forward passes (capture)
    gen_batch_size: int  # batched generation: larger batches are faster on CPU and GPU alike
    steer_max_new_tokens: int  # steered continuations (C5-C10, C13)
    # Which steering scenarios run: the paper's five, or also the harness's own (scenarios.yaml,
    # origin), and how many prompts of each (the first ones; None: all).
    steer_origins: tuple[str, ...] = ("paper",)
    steer_prompts_per_scenario: int | None = 4
    # Which strengths each steering direction runs at, and the scale mode
    # (harness.experiments.steering_grid.GRIDS): "paper" (the reference's) or "readable".
    steer_grid: str = "paper"


PROFILES: dict[str, Profile] = {
    "paper": Profile("paper", gen_max_new_tokens=256, n_permutations=10000, n_bootstrap=1000, batch_size=16,
                     gen_batch_size=64, steer_max_new_tokens=50),
    "full": Profile("full", gen_max_new_tokens=256, n_permutations=10000, n_bootstrap=1000, batch_size=16,
                    gen_batch_size=64, steer_max_new_tokens=50, steer_origins=("paper", "harness"),
                    steer_prompts_per_scenario=None, steer_grid="readable"),
    "quick": Profile("quick", gen_max_new_tokens=48, n_permutations=2000, n_bootstrap=200, batch_size=16,
                     gen_batch_size=64, steer_max_new_tokens=24),
}


def get_profile(name: str) -> Profile:
    if name not in PROFILES:
        raise HarnessError(f"unknown protocol profile '{name}'; use one of {', '.join(PROFILES)}")
    return PROFILES[name]
