"""Numbers given to the harness (command-line options, API arguments, stimulus files): refused
in one line when they are not finite or out of their range, before anything runs."""

from __future__ import annotations

import math
from typing import Any

from harness.errors import HarnessError

# |alpha| at most this: alpha = 1 already adds a vector as long as the residual stream itself,
# far past every model's collapse (the C13 sweep stops at 0.6).
MAX_ABS_STRENGTH = 1.0
MAX_NEW_TOKENS = 4096


def number(value: Any, what: str, lo: float | None = None, hi: float | None = None, integer: bool = False,
           hint: str = "") -> float | int:
    """``value`` as a finite float (or int) inside [lo, hi]; else a HarnessError naming ``what``."""
    kind = "a whole number" if integer else "a number"
    bounds = (f" in [{lo:g}, {hi:g}]" if lo is not None and hi is not None else
              f" >= {lo:g}" if lo is not None else f" <= {hi:g}" if hi is not None else "")
    say = f"{what}: {value!r} is not {'a finite ' + kind[2:] if not integer else kind}{bounds}" + (
        f"; {hint}" if hint else "")
    if isinstance(value, bool):
        raise HarnessError(say)
    try:
        x = float(value) if not isinstance(value, (int, float)) else value
    except (TypeError, ValueError):
        raise HarnessError(say) from None
    if not math.isfinite(x) or (integer and float(x) != int(x)):
        raise HarnessError(say)
    if (lo is not None and x < lo) or (hi is not None and x > hi):
        raise HarnessError(say)
    return int(x) if integer else float(x)


def strength(value: Any, what: str = "strength") -> float:
    return float(number(value, what, -MAX_ABS_STRENGTH, MAX_ABS_STRENGTH,
                        hint="alpha is a fraction of the residual norm (the paper sweeps 0.005-0.05)"))


def new_tokens(value: Any, what: str = "max_new_tokens") -> int:
    return int(number(value, what, 1, MAX_NEW_TOKENS, integer=True))
