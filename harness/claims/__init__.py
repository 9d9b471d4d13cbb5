"""The paper's claims, each declared once (harness.claims.geometry, harness.claims.steering).

``CLAIMS`` is the registry, in the order the report presents them; ``get_claim("C8")``
looks one up. Both are loaded lazily, so ``harness.claims.record`` stays a light import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.claims.base import Claim


def _registry() -> tuple[Claim[Any], ...]:
    from harness.claims.geometry import GEOMETRY_CLAIMS
    from harness.claims.steering import STEERING_CLAIMS

    return (*GEOMETRY_CLAIMS, *STEERING_CLAIMS)


def get_claim(claim_id: str) -> Claim[Any]:
    from harness.errors import HarnessError

    for c in _registry():
        if c.id == claim_id:
            return c
    raise HarnessError(f"unknown claim '{claim_id}'; use one of {', '.join(c.id for c in _registry())}")


def __getattr__(name: str) -> Any:
    if name == "CLAIMS":
        return _registry()
    raise AttributeError(f"module 'harness.claims' has no attribute {name!r}")


__all__ = ["CLAIMS", "get_claim"]
