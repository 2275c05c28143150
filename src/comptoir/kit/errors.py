"""Errors that services raise; the HTTP layer turns each into an RFC 9457 problem."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str
    code: str = "invalid"
    # For file imports: the 1-based row of the file (the header is row 1).
    row: int | None = None


class DomainError(Exception):
    """Base of every error a client can cause. ``code`` is stable; ``title`` is for humans."""

    status = 400
    code = "bad_request"
    title = "Bad request"

    def __init__(
        self, detail: str | None = None, *, code: str | None = None, keep_changes: bool = False
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        if code is not None:
            self.code = code
        # The unit of work commits before answering with this error: a failed log-in
        # is refused *and* counted, a reused refresh token is refused *and* revokes.
        self.keep_changes = keep_changes


class NotFound(DomainError):
    status = 404
    code = "not_found"
    title = "Not found"


class Conflict(DomainError):
    status = 409
    code = "conflict"
    title = "Conflict"


class Gone(DomainError):
    """A link or token that existed but can no longer be used (expired, already used)."""

    status = 410
    code = "gone"
    title = "No longer available"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"
    title = "Authentication required"


class PermissionDenied(DomainError):
    status = 403
    code = "forbidden"
    title = "Forbidden"


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"
    title = "Too many requests"

    def __init__(
        self,
        detail: str | None = None,
        *,
        retry_after: int,
        code: str | None = None,
        keep_changes: bool = False,
    ) -> None:
        super().__init__(detail, code=code, keep_changes=keep_changes)
        self.retry_after = max(1, retry_after)


class ValidationFailed(DomainError):
    """Input that is well-formed but not acceptable; carries one message per field."""

    status = 422
    code = "validation_failed"
    title = "Invalid input"

    def __init__(
        self,
        errors: list[FieldError] | FieldError,
        detail: str | None = None,
        *,
        keep_changes: bool = False,
    ) -> None:
        self.errors = [errors] if isinstance(errors, FieldError) else list(errors)
        super().__init__(
            detail or "; ".join(f"{e.field}: {e.message}" for e in self.errors),
            keep_changes=keep_changes,
        )

    @classmethod
    def single(cls, field: str, message: str, code: str = "invalid") -> ValidationFailed:
        return cls(FieldError(field, message, code))
