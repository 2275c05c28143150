"""The European Commission's VIES service: is this VAT number registered right now?

Off by default (``COMPTOIR_VIES_ENABLED``): it sends the number to a third party and
depends on 27 national systems that are often down. The offline check (format and check
digits) always runs first; VIES only adds whether the number is currently registered,
and the name and address on record when the member state discloses them.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from comptoir.kit.identifiers import vies_prefixes

# VIES answers "---" where a member state does not disclose the trader's details.
_UNDISCLOSED = {"", "---"}


@dataclass(frozen=True)
class OnlineCheck:
    checked: bool
    registered: bool | None
    name: str | None
    address: str | None
    message: str


def _detail(value: object) -> str | None:
    text = str(value or "").strip()
    return None if text in _UNDISCLOSED else text


def check_registration(vat_number: str, *, url: str, timeout: float) -> OnlineCheck:
    """Ask VIES about ``vat_number`` (normalized, with its country prefix). Never raises:
    an unreachable or failing service is an answer saying so, and the offline check
    stands."""
    prefix, number = vat_number[:2], vat_number[2:]
    if prefix not in vies_prefixes():
        return OnlineCheck(False, None, None, None, "VIES only knows VAT numbers of the EU.")
    try:
        response = httpx.post(
            url,
            json={"countryCode": prefix, "vatNumber": number},
            timeout=timeout,
            follow_redirects=False,
        )
        body = response.json()
    except httpx.TimeoutException:
        return OnlineCheck(
            False, None, None, None, "VIES did not answer in time; only the offline check ran."
        )
    except (httpx.HTTPError, ValueError):
        return OnlineCheck(
            False, None, None, None, "VIES could not be reached; only the offline check ran."
        )
    if not isinstance(body, dict) or response.status_code != 200 or "valid" not in body:
        errors = body.get("errorWrappers") if isinstance(body, dict) else None
        code = errors[0].get("error") if isinstance(errors, list) and errors else None
        reason = f" ({code})" if isinstance(code, str) else ""
        return OnlineCheck(
            False,
            None,
            None,
            None,
            f"VIES could not check this number right now{reason}; only the offline check ran.",
        )
    registered = body.get("valid") is True
    return OnlineCheck(
        True,
        registered,
        _detail(body.get("name")),
        _detail(body.get("address")),
        "Registered for VAT according to VIES."
        if registered
        else "VIES says this number is not registered for VAT.",
    )
