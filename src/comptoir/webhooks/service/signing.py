"""Standard Webhooks headers: the message id, the time of the attempt and the signatures."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from standardwebhooks import Webhook

from comptoir import __version__
from comptoir.kit import clock
from comptoir.webhooks.service.messages import message_id

USER_AGENT = f"Comptoir-Webhooks/{__version__}"


def signing_secrets(
    secret: str, previous_secret: str | None, previous_expires_at: datetime | None
) -> tuple[str, ...]:
    """The current secret, then the previous one while the rotation overlap lasts."""
    if previous_secret and previous_expires_at is not None and previous_expires_at > clock.now():
        return (secret, previous_secret)
    return (secret,)


def headers(
    delivery_id: uuid.UUID, body: str, secrets: tuple[str, ...], *, at: datetime | None = None
) -> dict[str, str]:
    """Headers of one attempt; one ``v1,`` signature per secret, space-separated.

    The timestamp is the wall clock, not ``clock.now()``: receivers hold it against their
    own clock to refuse replays, and the application clock is the one tests move.
    """
    sent_at = at or datetime.now(UTC)
    msg_id = message_id(delivery_id)
    signature = " ".join(Webhook(secret).sign(msg_id, sent_at, body) for secret in secrets)
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": signature,
    }
