"""Business identifiers (VAT, SIREN, SIRET, IBAN, BIC, TPIN, phone): check and normalize.

One place for every identifier a business types, so the organization profile, parties
and the tax API accept and store the same things. :func:`check` never raises: it turns
any string, however odd, into an :class:`IdentifierCheck`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import phonenumbers
from stdnum import bic, iban
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import InvalidChecksum, InvalidLength, ValidationError
from stdnum.fr import siren, siret
from stdnum.util import clean, get_cc_module

from comptoir.kit.errors import FieldError, ValidationFailed

KINDS = ("vat", "siren", "siret", "iban", "bic", "tpin", "phone")

# Longer than any identifier once compacted (an IBAN has at most 34 characters). Refusing
# early keeps pathological input away from stdnum, which turns digit strings into ints
# (Python refuses ints of more than 4,300 digits with a ValueError, not a ValidationError).
_MAX_LENGTH = 64

# Prefixes VIES uses: Greece is EL, not GR; XI is Northern Ireland (checked as GB).
_EU_PREFIXES = {cc.upper() for cc in eu_vat.MEMBER_STATES} - {"GR"} | {"EL"}

_REASONS = {
    ("vat", "length"): "This VAT number does not have the length used in {cc}.",
    ("vat", "format"): "This is not the format of a VAT number from {cc}.",
    ("vat", "checksum"): "The check digits do not match the rule of VAT numbers from {cc}.",
    ("siren", "length"): "A SIREN has 9 digits.",
    ("siren", "format"): "A SIREN has 9 digits and nothing else.",
    ("siren", "checksum"): "The check digit does not match (Luhn).",
    ("siret", "length"): "A SIRET has 14 digits.",
    ("siret", "format"): "A SIRET has 14 digits and nothing else.",
    ("siret", "checksum"): "The check digit does not match (Luhn).",
    ("iban", "length"): "This IBAN does not have the length used in its country.",
    ("iban", "format"): (
        "An IBAN is a country code, two check digits and an account number laid out "
        "as that country does."
    ),
    ("iban", "checksum"): "The check digits do not match (ISO 7064 Mod 97-10).",
    ("bic", "length"): "A BIC has 8 or 11 characters.",
    ("bic", "format"): (
        "A BIC is 4 letters for the bank, a country code, 2 characters for the place "
        "and optionally 3 for the branch."
    ),
    ("tpin", "length"): "A Zambian TPIN has 10 digits.",
    ("tpin", "format"): "A Zambian TPIN has 10 digits and nothing else.",
}


@dataclass(frozen=True)
class IdentifierCheck:
    valid: bool
    normalized: str | None
    reason: str | None
    rule: str | None


class _Invalid(Exception):
    def __init__(self, rule: str, reason: str) -> None:
        super().__init__(reason)
        self.rule = rule
        self.reason = reason


def check(kind: str, value: str, country: str | None = None) -> IdentifierCheck:
    """Whether ``value`` is a valid identifier of ``kind``, and its canonical form if so.

    ``country`` (ISO 3166 alpha-2) says where a number without a country prefix comes from.
    """
    try:
        return IdentifierCheck(True, _normalize(kind, value, country), None, None)
    except _Invalid as exc:
        return IdentifierCheck(False, None, exc.reason, exc.rule)


def require_valid(kind: str, value: str, country: str | None = None, *, field: str) -> str:
    """The normalized value, or ValidationFailed with one FieldError for ``field``.

    The error's code is ``invalid_<rule>``, e.g. ``invalid_checksum``.
    """
    result = check(kind, value, country)
    if result.normalized is None:
        raise ValidationFailed(FieldError(field, result.reason or "", f"invalid_{result.rule}"))
    return result.normalized


def _normalize(kind: str, value: str, country: str | None) -> str:
    if kind not in KINDS:
        raise _Invalid("unknown_kind", f"Unknown kind of identifier {kind!r}.")
    # clean() also maps Unicode dashes, spaces and full-width digits to ASCII, as stdnum does.
    text = "".join(clean(str(value), ".-").split()).upper()
    if not text:
        raise _Invalid("empty", "Enter a value.")
    if len(text) > _MAX_LENGTH:
        raise _Invalid("length", "This is far too long for an identifier.")
    if not text.isprintable():
        raise _Invalid("format", "This contains characters that no identifier has.")
    cc = (country or "").strip().upper()
    if kind == "phone":
        return _phone(str(value), cc)
    if kind == "vat":
        return _vat(text, cc)
    if kind == "tpin":
        if not text.isascii() or not text.isdigit():
            raise _Invalid("format", _REASONS["tpin", "format"])
        if len(text) != 10:
            raise _Invalid("length", _REASONS["tpin", "length"])
        return text
    validate: Callable[[str], str] = {
        "siren": siren.validate,
        "siret": siret.validate,
        "iban": iban.validate,
        "bic": bic.validate,
    }[kind]
    return _stdnum(kind, validate, text)


def _stdnum(kind: str, validate: Callable[[str], str], text: str, cc: str = "") -> str:
    """Run a stdnum validator, turning its exceptions into a rule and a sentence."""
    try:
        return str(validate(text))
    except ValidationError as exc:
        rule = "format"  # InvalidFormat, InvalidComponent
        if isinstance(exc, InvalidLength):
            rule = "length"
        elif isinstance(exc, InvalidChecksum):
            rule = "checksum"
        reason = _REASONS.get((kind, rule)) or _REASONS[kind, "format"]
        raise _Invalid(rule, reason.format(cc=cc)) from None


def _is_country(code: str) -> bool:
    """A country code we know, also guarding get_cc_module, which imports ``stdnum.<code>``."""
    return code in phonenumbers.SUPPORTED_REGIONS or code in _EU_PREFIXES


def _vat(text: str, country: str) -> str:
    """VAT number with its country prefix, checked by the rule of that country.

    A leading pair of letters is the prefix only when it is a country code. Some national
    numbers start with letters (a Mexican RFC, VACE460910SX6, is not from the Vatican): when
    that prefix has no rule, the number as typed is also tried as one from ``country``.
    """
    if _is_country(text[:2]):
        try:
            return _vat_of(text[:2], text[2:])
        except _Invalid as exc:
            if exc.rule != "country" or not country or text[:2] == country:
                raise
            try:
                return _vat_of(country, text)
            except _Invalid:
                raise exc from None
    if country:
        return _vat_of(country, text)
    if text[:2].isalpha():
        raise _Invalid("country", f"Unknown country code {text[:2]} for a VAT number.")
    raise _Invalid("country", "Start the VAT number with its country code, e.g. FR.")


def _vat_of(cc: str, body: str) -> str:
    cc = "EL" if cc == "GR" else cc
    if not _is_country(cc):
        raise _Invalid("country", f"Unknown country code {cc} for a VAT number.")
    if cc in _EU_PREFIXES:
        return _stdnum("vat", eu_vat.validate, cc + body, cc)
    module = get_cc_module(cc, "vat")
    if module is None:
        raise _Invalid("country", f"VAT numbers from {cc} cannot be checked.")
    # Most national modules want the bare number; the Swiss UID itself starts with CHE.
    number = _stdnum("vat", module.validate, cc + body if cc == "CH" else body, cc)
    return number if number.startswith(cc) else cc + number


def _phone(value: str, country: str) -> str:
    try:
        number = phonenumbers.parse(value, country or None)
    except phonenumbers.NumberParseException:
        hint = "" if country else " Start it with + and the country code."
        raise _Invalid("format", f"This is not a phone number.{hint}") from None
    if not phonenumbers.is_valid_number(number):
        region = phonenumbers.region_code_for_number(number)
        if region in (None, phonenumbers.UNKNOWN_REGION):
            region = country or "its country code"
        raise _Invalid("format", f"This is not a valid phone number for {region}.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def vies_prefixes() -> frozenset[str]:
    """Country prefixes of the VAT numbers the EU's VIES service knows (Greece is EL)."""
    return frozenset(_EU_PREFIXES)


_VAT_SHAPE = re.compile(r"[A-Z0-9]{4,20}")


def accept_vat(value: str, country: str, *, field: str) -> str:
    """A VAT number to store: checked by its country's rule where one is known, else (the
    US, Zambia, ...) only for shape, rather than refuse a number that may well be right."""
    try:
        return require_valid("vat", value, country, field=field)
    except ValidationFailed as exc:
        if exc.errors[0].code != "invalid_country":
            raise
    compact = re.sub(r"[\s.\-]", "", value).upper()
    if not _VAT_SHAPE.fullmatch(compact):
        raise ValidationFailed.single(
            field, "Write the VAT number as 4 to 20 letters and digits.", "invalid_format"
        )
    return compact
