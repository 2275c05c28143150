"""E-mail addresses as Comptoir stores them."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

from comptoir.kit.errors import ValidationFailed


def normalize_email(value: str, field: str = "email") -> str:
    """Lower-cased, syntax-checked address (no DNS look-up: Comptoir may run offline)."""
    try:
        result = validate_email((value or "").strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationFailed.single(field, str(exc), "invalid_email") from None
    return result.normalized.lower()
