"""What the steering claims can detect at a given number of prompts: exact power of each
decision rule (docs/protocol.md, "What the steering claims can detect").

    python benchmarks/power.py            # markdown table for docs/protocol.md

Each number is the probability that the claim's own rule, at its own level, reaches the
stated answer when the truth is as stated, for n independent prompts (every prompt counted;
texts that collapse or whose target the classifier does not recognise lower n).

- C5 "holds" needs the Clopper-Pearson interval of the moved share above 0.5, and the
  emotion vector to move more prompts than a control in an exact one-sided McNemar test at
  CONTROL_ALPHA (here: both arms move each prompt independently, control at 0.5).
- C6 "holds" needs the flip rate's interval to reach FLIP_RATE_MIN and lie at or above
  FLIP_RATE_FLOOR; "does not hold" needs it wholly below FLIP_RATE_MIN.
- C7 "holds" needs the bootstrap interval of the mean per-prompt Spearman above 0 (normal
  approximation, per-prompt SD as given).
"""

from __future__ import annotations

import math

from scipy import stats as sps
from tabulate import tabulate

from harness import thresholds as th
from harness.metrics.paired import mcnemar_p, proportion_interval

PROMPTS = (20, 42, 60, 84)


def p_interval(n: int, p: float, accept) -> float:
    """P(accept(Clopper-Pearson interval)) when k ~ Binomial(n, p)."""
    return sum(sps.binom.pmf(k, n, p) for k in range(n + 1) if accept(proportion_interval(k, n)))


def c5_share(n: int, p: float) -> float:
    return p_interval(n, p, lambda ci: ci[0] > th.MOST)


def c5_mcnemar(n: int, p_vec: float, p_ctl: float) -> float:
    """Exact: discordant pairs split multinomially; the test is on the discordant ones."""
    a, b = p_vec * (1 - p_ctl), p_ctl * (1 - p_vec)  # only the vector moves / only the control
    total = 0.0
    for only_a in range(n + 1):
        for only_b in range(n - only_a + 1):
            pr = sps.multinomial.pmf([only_a, only_b, n - only_a - only_b], n, [a, b, 1 - a - b])
            if pr > 1e-12 and mcnemar_p(only_a, only_b) < th.CONTROL_ALPHA:
                total += pr
    return total


def c6_holds(n: int, p: float) -> float:
    return p_interval(n, p, lambda ci: ci[1] >= th.FLIP_RATE_MIN and ci[0] >= th.FLIP_RATE_FLOOR)


def c6_ruled_out(n: int, p: float) -> float:
    return p_interval(n, p, lambda ci: ci[1] < th.FLIP_RATE_MIN)


def c7_holds(n: int, mean_rho: float, sd: float) -> float:
    return float(sps.norm.cdf(math.sqrt(n) * mean_rho / sd - sps.norm.ppf(0.975)))


def table() -> str:
    rows = [
        ("C5 share: moved share 0.65 -> holds", lambda n: c5_share(n, 0.65)),
        ("C5 share: moved share 0.75 -> holds", lambda n: c5_share(n, 0.75)),
        ("C5 vs control: vector 0.75, control 0.5 -> beats it", lambda n: c5_mcnemar(n, 0.75, 0.5)),
        ("C5 vs control: vector 0.9, control 0.75 -> beats it", lambda n: c5_mcnemar(n, 0.9, 0.75)),
        ("C6: flip rate 0.92 (the paper's) -> holds", lambda n: c6_holds(n, 0.92)),
        ("C6: flip rate 0.97 -> holds", lambda n: c6_holds(n, 0.97)),
        ("C6: flip rate 0.70 -> does not hold", lambda n: c6_ruled_out(n, 0.70)),
        ("C6: flip rate 0.80 -> does not hold", lambda n: c6_ruled_out(n, 0.80)),
        ("C7: mean rho 0.2, SD 0.49 -> holds", lambda n: c7_holds(n, 0.2, 0.49)),
        ("C7: mean rho 0.3, SD 0.49 -> holds", lambda n: c7_holds(n, 0.3, 0.49)),
    ]
    body = [[name, *(f"{fn(n):.2f}" for n in PROMPTS)] for name, fn in rows]
    return tabulate(body, headers=["truth -> answer", *(f"n = {n}" for n in PROMPTS)], tablefmt="github")


if __name__ == "__main__":
    print(table())
