"""Business identifiers: every kind, valid and invalid, and input that must not raise."""

from __future__ import annotations

import pytest

from comptoir.kit.errors import ValidationFailed
from comptoir.kit.identifiers import check, require_valid


@pytest.mark.parametrize(
    ("kind", "value", "country", "normalized"),
    [
        ("vat", "FR40303265045", None, "FR40303265045"),
        ("vat", "fr 40 303.265-045", None, "FR40303265045"),
        ("vat", "40303265045", "FR", "FR40303265045"),
        ("vat", "DE136695976", None, "DE136695976"),
        ("vat", "EL094259216", None, "EL094259216"),
        ("vat", "GR094259216", None, "EL094259216"),
        ("vat", "094259216", "GR", "EL094259216"),
        ("vat", "XI980780684", None, "XI980780684"),
        ("vat", "GB 980 7806 84", None, "GB980780684"),
        ("vat", "CHE-107.787.577 IVA", None, "CHE107787577IVA"),
        ("vat", "NO 995 525 828 MVA", None, "NO995525828MVA"),
        # A bare Mexican RFC starts with letters that are also a country code (VA).
        ("vat", "VACE460910SX6", "MX", "MXVACE460910SX6"),
        ("siren", "732829320", None, "732829320"),
        ("siren", "732 829 320", None, "732829320"),
        # Full-width digits, which stdnum maps to ASCII.
        ("siren", "\uff17\uff13\uff12\uff18\uff12\uff19\uff13\uff12\uff10", None, "732829320"),
        ("siret", "73282932000074", None, "73282932000074"),
        ("siret", "732 829 320 00074", None, "73282932000074"),
        ("iban", "FR14 2004 1010 0505 0001 3M02 606", None, "FR1420041010050500013M02606"),
        ("iban", "fr1420041010050500013m02606", None, "FR1420041010050500013M02606"),
        ("bic", "BNPAFRPP", None, "BNPAFRPP"),
        ("bic", "bnpa fr pp xxx", None, "BNPAFRPPXXX"),
        ("tpin", "1001234567", None, "1001234567"),
        ("tpin", "100 123 4567", None, "1001234567"),
        ("phone", "+33 6 12 34 56 78", None, "+33612345678"),
        ("phone", "06 12 34 56 78", "FR", "+33612345678"),
        ("phone", "+260 97 1234567", None, "+260971234567"),
    ],
)
def test_valid_identifiers_are_normalized(
    kind: str, value: str, country: str | None, normalized: str
) -> None:
    result = check(kind, value, country)
    assert result.valid, result.reason
    assert result.normalized == normalized
    assert result.reason is None
    assert result.rule is None


@pytest.mark.parametrize(
    ("kind", "value", "country", "rule"),
    [
        ("vat", "FR41303265045", None, "checksum"),
        ("vat", "DE136695977", None, "checksum"),
        ("vat", "DE12345", None, "length"),
        ("vat", "XX123", None, "country"),
        ("vat", "40303265045", None, "country"),
        ("vat", "1001234567", "ZM", "country"),
        ("siren", "732829321", None, "checksum"),
        ("siren", "12345", None, "length"),
        ("siren", "73282932A", None, "format"),
        ("siret", "73282932000075", None, "checksum"),
        ("siret", "7328293200007", None, "length"),
        ("iban", "FR14 2004 1010 0505 0001 3M02 607", None, "checksum"),
        ("bic", "BNPA", None, "length"),
        ("bic", "BNPAXXPP", None, "format"),
        ("tpin", "123", None, "length"),
        ("tpin", "12345678AB", None, "format"),
        ("phone", "123", None, "format"),
        ("phone", "123", "FR", "format"),
        ("phone", "06 12 34 56 78", None, "format"),
        ("passport", "12AB34567", None, "unknown_kind"),
        ("vat", "", "FR", "empty"),
        ("siren", "   ", None, "empty"),
        ("iban", " - . ", None, "empty"),
        ("phone", "", None, "empty"),
    ],
)
def test_invalid_identifiers_name_the_rule(
    kind: str, value: str, country: str | None, rule: str
) -> None:
    result = check(kind, value, country)
    assert not result.valid
    assert result.normalized is None
    assert result.rule == rule
    assert result.reason


@pytest.mark.parametrize(
    ("kind", "value", "country", "reason"),
    [
        ("iban", "FR1420041010050500013M02607", None, "(ISO 7064 Mod 97-10)"),
        ("siren", "12345", None, "A SIREN has 9 digits."),
        ("vat", "XX123", None, "Unknown country code XX for a VAT number."),
        ("phone", "123", "FR", "This is not a valid phone number for FR."),
    ],
)
def test_reasons_are_sentences_naming_the_rule(
    kind: str, value: str, country: str | None, reason: str
) -> None:
    assert reason in (check(kind, value, country).reason or "")


@pytest.mark.parametrize("kind", ["vat", "siren", "siret", "iban", "bic", "tpin", "phone"])
@pytest.mark.parametrize(
    "value",
    [
        "9" * 10_000,
        "FR" + "1" * 9_998,
        "+33 " + "6" * 9_996,
        "FR40303\x00265045",
        "+33 6 12\x00 34 56 78",
        "\x00",
        "١٢٣",  # Arabic-Indic digits: phonenumbers reads them, here too short for anything
        "🙂🙂🙂",
        "\ud800",
        "FR40303265045\u202e",
    ],
)
def test_odd_input_is_invalid_without_raising(kind: str, value: str) -> None:
    result = check(kind, value, "FR")
    assert not result.valid
    assert result.rule in {"format", "length", "checksum", "country", "empty"}


def test_require_valid_returns_the_normalized_value() -> None:
    assert require_valid("iban", "FR14 2004 1010 0505 0001 3M02 606", field="iban") == (
        "FR1420041010050500013M02606"
    )


def test_require_valid_raises_one_field_error() -> None:
    with pytest.raises(ValidationFailed) as caught:
        require_valid("vat", "FR41303265045", field="vat_number")
    [error] = caught.value.errors
    assert error.field == "vat_number"
    assert error.code == "invalid_checksum"
    assert error.message == check("vat", "FR41303265045").reason
