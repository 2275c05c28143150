"""``Idempotency-Key`` on POSTs that move money (DESIGN, API conventions).

The key is stored in the request's own transaction together with the answer, so a
retry after a lost response replays the first answer instead of posting twice; a
concurrent duplicate waits on the key's unique index and then gets 409.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any, cast

from fastapi import Depends, Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import CursorResult, delete, select
from sqlalchemy.orm import Session

from comptoir.identity.service.sessions import Principal
from comptoir.kit import clock
from comptoir.kit.errors import Conflict, ValidationFailed
from comptoir.kit.tenancy import all_tenants
from comptoir.server.deps import DbSession
from comptoir.server.models import IdempotencyKey

KEY_HEADER = "Idempotency-Key"


@dataclass
class Idempotency:
    session: Session
    key: str | None
    method: str
    path: str

    def run(
        self,
        principal: Principal,
        body: BaseModel | None,
        produce: Callable[[], Any],
        *,
        status_code: int = 200,
    ) -> JSONResponse:
        """Answer ``produce()``'s result, or the stored answer of an earlier identical request."""
        if self.key is None:
            return JSONResponse(jsonable_encoder(produce()), status_code=status_code)
        payload = body.model_dump_json() if body is not None else ""
        fingerprint = hashlib.sha256(f"{self.method} {self.path} {payload}".encode()).hexdigest()
        stored = self.session.scalar(select(IdempotencyKey).where(IdempotencyKey.key == self.key))
        if stored is not None:
            if stored.fingerprint != fingerprint or stored.user_id != principal.user_id:
                raise ValidationFailed.single(
                    "Idempotency-Key",
                    "This key was used for a different request.",
                    "idempotency_key_reused",
                )
            if stored.status_code is None:
                raise Conflict(
                    "The first request with this key is still running.",
                    code="idempotency_in_progress",
                )
            return JSONResponse(
                json.loads(stored.response_body or "null"),
                status_code=stored.status_code,
                headers={"Idempotent-Replayed": "true"},
            )
        record = IdempotencyKey(key=self.key, user_id=principal.user_id, fingerprint=fingerprint)
        self.session.add(record)
        self.session.flush()
        content = jsonable_encoder(produce())
        record.status_code = status_code
        record.response_body = json.dumps(content)
        self.session.flush()
        return JSONResponse(content, status_code=status_code)


def idempotency(
    request: Request,
    session: DbSession,
    key: Annotated[
        str | None, Header(alias=KEY_HEADER, max_length=255, description="Retry-safe key")
    ] = None,
) -> Idempotency:
    if key is not None and not key.strip():
        raise ValidationFailed.single(KEY_HEADER, "The key is empty.")
    return Idempotency(session, key.strip() if key else None, request.method, request.url.path)


# For the OpenAPI document: a reused key answers 422, a retry racing the first one 409.
idempotency.problem_statuses = (409, 422)  # type: ignore[attr-defined]


IdempotencyGuard = Annotated[Idempotency, Depends(idempotency)]


KEEP_FOR = timedelta(days=7)


def purge(session: Session) -> int:
    """Forget keys older than a week: retries come within minutes, not weeks."""
    cutoff = clock.now() - KEEP_FOR
    with all_tenants(session):
        result = cast(
            CursorResult[Any],
            session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < cutoff)),
        )
    return result.rowcount or 0
