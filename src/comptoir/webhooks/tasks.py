"""The worker's side of webhooks: fan-out of dispatched events, the sender and the purge
of the delivery log."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from comptoir.kit.settings import Settings
from comptoir.webhooks.service import fanout, retention, sending
from comptoir.worker import registry

registry.on_dispatch(fanout.fan_out)
registry.pump("webhooks.deliver")(sending.deliver_due)


@registry.periodic("webhooks.purge_log", every=timedelta(hours=6))
def purge_log(session: Session, settings: Settings) -> None:
    retention.purge(session)
