"""The paper's claims, one module each (``harness/claims/cNN_*.py``, each declaring one
:class:`~harness.claims.base.Claim` named ``CNN``), and the registry that collects them.

``CLAIMS`` lists them in the order the report presents them: the geometry claims (run over
extraction methods), then the steering claims (run over prompting modes), each by number;
``get_claim("C8")`` looks one up. The registry is built on first use, so
``harness.claims.record`` stays a light import. Adding a claim: docs/architecture.md.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.claims.base import Claim

CLAIM_MODULE = re.compile(r"c(\d\d)_\w+")


@functools.cache
def _registry() -> tuple[Claim[Any], ...]:
    from harness.claims.base import Claim
    from harness.errors import HarnessError

    claims = []
    for info in pkgutil.iter_modules(__path__):
        m = CLAIM_MODULE.fullmatch(info.name)
        if m is None:
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        claim_id = f"C{int(m.group(1))}"
        claim = getattr(module, claim_id, None)
        if not isinstance(claim, Claim) or claim.id != claim_id:
            raise HarnessError(f"{module.__file__}: a claim module must declare the Claim {claim_id} (id "
                               f"'{claim_id}'); see docs/architecture.md, Adding a claim")
        claims.append(claim)
    return tuple(sorted(claims, key=lambda c: (c.axis != "extraction method", int(c.id[1:]))))


def module_of(claim_id: str) -> str:
    """The module that declares and decides ``claim_id`` (e.g. harness.claims.c08_regime)."""
    return get_claim(claim_id).check.__module__


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


__all__ = ["CLAIMS", "get_claim", "module_of"]
