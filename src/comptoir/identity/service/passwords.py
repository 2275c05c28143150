"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from comptoir.kit.errors import ValidationFailed

MIN_LENGTH = 10
MAX_LENGTH = 1000

_hasher = PasswordHasher()
# Verified against when the account does not exist, so that both answers take as long.
_DUMMY_HASH = _hasher.hash("comptoir-timing-equalizer")


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    text = (files("comptoir.identity") / "data" / "common-passwords.txt").read_text()
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


def check_policy(password: str, *, email: str | None = None, field: str = "password") -> None:
    """Refuse passwords that are short, absurdly long, common or equal to the e-mail."""
    if len(password) < MIN_LENGTH:
        raise ValidationFailed.single(
            field, f"Use at least {MIN_LENGTH} characters.", "password_too_short"
        )
    if len(password) > MAX_LENGTH:
        raise ValidationFailed.single(
            field, f"Use at most {MAX_LENGTH} characters.", "password_too_long"
        )
    lowered = password.lower()
    if lowered in _common_passwords() or len(set(lowered)) <= 2:
        raise ValidationFailed.single(
            field, "This password is too common; choose another.", "password_too_common"
        )
    if email and lowered in {email.lower(), email.split("@")[0].lower()}:
        raise ValidationFailed.single(
            field, "The password must not be your e-mail address.", "password_is_email"
        )


def use_hasher(hasher: PasswordHasher) -> None:
    """Swap the hashing parameters; the test suite uses cheap ones (hashes carry their
    parameters, so existing hashes keep verifying)."""
    global _hasher, _DUMMY_HASH
    _hasher = hasher
    _DUMMY_HASH = hasher.hash("comptoir-timing-equalizer")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
