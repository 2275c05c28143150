"""E-mail addresses as Comptoir stores them."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

from comptoir.kit.errors import ValidationFailed


def normalize_email(value: str, field: str = "email", *, reserved_domains: bool = False) -> str:
    """Lower-cased, syntax-checked address (no DNS look-up: Comptoir may run offline).

    ``reserved_domains`` accepts addresses at names like ``.test`` that no one can sign up
    with but that a customer record may well carry (test systems, examples)."""
    try:
        result = validate_email(
            (value or "").strip(), check_deliverability=False, test_environment=reserved_domains
        )
    except EmailNotValidError as exc:
        raise ValidationFailed.single(field, str(exc), "invalid_email") from None
    return result.normalized.lower()
