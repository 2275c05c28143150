"""Checking a business identifier for a client: the offline rules, then VIES if asked."""

from __future__ import annotations

from dataclasses import dataclass

from comptoir.kit import identifiers
from comptoir.kit.identifiers import IdentifierCheck
from comptoir.tax.service import vies
from comptoir.tax.service.vies import OnlineCheck


@dataclass(frozen=True)
class ViesAccess:
    enabled: bool
    url: str
    timeout_seconds: float


def validate_identifier(
    kind: str, value: str, country: str | None, *, online: bool | None, access: ViesAccess
) -> tuple[IdentifierCheck, OnlineCheck | None]:
    """The offline verdict, and VIES's for a valid VAT number when wanted (``online``
    defaults to whether the server enables VIES)."""
    result = identifiers.check(kind, value, (country or "").strip().upper() or None)
    wanted = access.enabled if online is None else online
    if kind != "vat" or not wanted or result.normalized is None:
        return result, None
    if not access.enabled:
        return result, OnlineCheck(
            False,
            None,
            None,
            None,
            "Online VIES checks are turned off on this server; only the offline check ran.",
        )
    return result, vies.check_registration(
        result.normalized, url=access.url, timeout=access.timeout_seconds
    )
