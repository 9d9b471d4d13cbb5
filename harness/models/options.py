"""How a model is loaded: one object the CLI, the pytest plugin and the API build once."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LoadOptions:
    device: str = "cpu"  # cpu, cuda, cuda:N or auto
    dtype: str = "float32"  # float32, bfloat16 or float16
    offline: bool = False  # never download: only weights already in the harness or HF cache
    allow_download: bool = False  # let hub models download into the HF cache
    trust_remote_code: bool = False  # allow models that ship their own Python code
