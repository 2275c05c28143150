"""POST /api/v1/payments/callbacks/{provider}: where payment providers report payments.

No user signs in here: the `key` in the URL names the organization's connection and the
signature of the raw body proves the provider sent it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request

from comptoir.sales import schemas
from comptoir.sales.service import callbacks
from comptoir.server.deps import DbSession, public

router = APIRouter(prefix="/api/v1", tags=["payment providers"])

MAX_SIGNATURE_HEADER = 1000


async def _raw_body(request: Request) -> bytes:
    # The signature covers the bytes as sent: parsing and re-serializing would change them.
    return await request.body()


RawBody = Annotated[bytes, Depends(_raw_body)]
SignatureHeader = Annotated[str | None, Header(max_length=MAX_SIGNATURE_HEADER)]

_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "description": "The provider's event, signed as it is sent (see docs/payment-"
                "providers.md). Generic format: {id, type: payment.succeeded, data: {invoice, "
                "amount, currency, date?, reference?}}",
            }
        }
    },
}


@router.post(
    "/payments/callbacks/{provider}",
    summary="Receive a payment provider's event",
    openapi_extra={"requestBody": _BODY},
    responses={
        401: {"description": "Missing, wrong or old signature: nothing was written"},
        404: {"description": "No active connection of this provider has this key"},
        422: {"description": "Signed, but not in the provider's format: nothing was written"},
    },
)
@public
def receive_callback(
    provider: schemas.ProviderName,
    key: Annotated[str, Query(min_length=1, max_length=64, description="From callback_url")],
    session: DbSession,
    body: RawBody,
    comptoir_signature: SignatureHeader = None,
    stripe_signature: SignatureHeader = None,
) -> schemas.CallbackOut:
    """Checks the signature (`Comptoir-Signature` or `Stripe-Signature`:
    `t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, within 5 minutes), then
    processes the event once: a payment received, allocated to the invoice (what exceeds
    the amount due stays as customer credit). An event id seen before answers 200
    `duplicate` and does nothing. Events that need nothing done, or that cannot be booked
    (unknown invoice, other currency), answer 200 with outcome `ignored` or `rejected` and
    the reason, so that the provider stops retrying; they are listed under
    `GET /api/v1/payment-providers/{provider}/events`."""
    signature = comptoir_signature if provider == "generic" else stripe_signature
    received = callbacks.receive(session, provider, key, body, signature)
    event = received.event
    return schemas.CallbackOut.model_validate(
        {
            "status": "duplicate" if event is None else "processed",
            "event_id": received.event_id,
            "outcome": event.outcome if event else None,
            "detail": event.detail if event else None,
            "payment_id": event.payment_id if event else None,
        }
    )
