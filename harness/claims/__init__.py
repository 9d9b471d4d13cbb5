"""The paper's claims, each declared once (harness.claims.geometry, harness.claims.steering).

``CLAIMS`` is the registry, in the order the report presents them; ``get_claim("C8")``
looks one up.
"""

from __future__ import annotations

from typing import Any

from harness.claims.base import Check, Claim, Finding, PaperRef, Table
from harness.claims.geometry import GEOMETRY_CLAIMS
from harness.claims.record import ClaimRecord
from harness.claims.steering import STEERING_CLAIMS
from harness.errors import HarnessError

CLAIMS: tuple[Claim[Any], ...] = (*GEOMETRY_CLAIMS, *STEERING_CLAIMS)


def get_claim(claim_id: str) -> Claim[Any]:
    for c in CLAIMS:
        if c.id == claim_id:
            return c
    raise HarnessError(f"unknown claim '{claim_id}'; use one of {', '.join(c.id for c in CLAIMS)}")


__all__ = ["CLAIMS", "Check", "Claim", "ClaimRecord", "Finding", "PaperRef", "Table", "get_claim"]
