"""The catalogue of business events: every type the application emits, with a description
and a sample payload. Domains declare their events; ``comptoir.wiring`` registers them.

Public events are the ones webhooks deliver and ``GET /api/v1/webhooks/events`` lists;
internal ones (approval requests routed to the notification centre, say) are catalogued
too, so that emitting an unknown type can be caught.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class EventType:
    name: str
    description: str
    sample: dict[str, Any] = field(default_factory=dict)
    public: bool = True

    @property
    def resource(self) -> str:
        return self.name.split(".", 1)[0]


class UnknownEventType(LookupError):
    """An event type emitted without being catalogued, caught in strict mode."""


_catalogue: dict[str, EventType] = {}
# When set, emitting a type missing from the catalogue fails at once (the test suite sets it),
# so that no event ships without a description and a sample.
STRICT = False


def register(event_type: EventType) -> None:
    _catalogue[event_type.name] = event_type


def get(name: str) -> EventType | None:
    return _catalogue.get(name)


def all_types(*, public_only: bool = True) -> list[EventType]:
    return sorted(
        (kind for kind in _catalogue.values() if kind.public or not public_only),
        key=lambda kind: kind.name,
    )


def is_public(name: str) -> bool:
    kind = _catalogue.get(name)
    return kind is not None and kind.public
