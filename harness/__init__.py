"""Evaluation harness for emotion representations in small language models.

The public API (imported lazily, so ``import harness.errors`` stays cheap):

- :func:`load_model` -- a model by registry key or folder
- :func:`read_residuals` -- the residual stream after every block, at each text's last token
- :func:`emotion_vectors` -- unit emotion vectors at every block, from the harness's stimuli
- :func:`steer` -- a greedy continuation with an emotion direction added after every block
- :func:`run_claim` -- check one claim (C1-C13) on one model, without pytest
- :func:`trace` -- per-token projections of a text on the emotion vectors, at every block
"""

from __future__ import annotations

from typing import Any

from harness.protocol import PROTOCOL_VERSION
from harness.version import __version__

__all__ = ["PROTOCOL_VERSION", "__version__", "emotion_vectors", "load_model", "read_residuals", "run_claim",
           "steer", "trace"]


def __getattr__(name: str) -> Any:
    if name in {"emotion_vectors", "load_model", "read_residuals", "run_claim", "steer", "trace"}:
        from harness import api

        return getattr(api, name)
    raise AttributeError(f"module 'harness' has no attribute {name!r}")
