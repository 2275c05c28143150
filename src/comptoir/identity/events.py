"""Events about the organization and its members."""

from __future__ import annotations

from comptoir.outbox.catalog import EventType

_MEMBERSHIP_ID = "01939d2f-8c99-73aa-f4bb-15cc06dd17ee"
_USER_ID = "01939d2f-9daa-74bb-a5cc-26dd17ee28ff"

EVENTS: tuple[EventType, ...] = (
    EventType(
        "member.invited",
        "Someone was invited to join the organization with a role.",
        {
            "invitation_id": "01939d2f-aebb-75cc-b6dd-37ee28ff3900",
            "email": "claire@example.com",
            "role": "accountant",
        },
    ),
    EventType(
        "member.joined",
        "A member joined: by accepting an invitation, or by creating the organization.",
        {
            "id": _MEMBERSHIP_ID,
            "user_id": _USER_ID,
            "email": "claire@example.com",
            "role": "accountant",
        },
    ),
    EventType(
        "member.role_changed",
        "A member's role changed.",
        {"id": _MEMBERSHIP_ID, "user_id": _USER_ID, "from": "accountant", "to": "admin"},
    ),
    EventType(
        "member.party_changed",
        "A portal member was linked to another customer or supplier (or unlinked).",
        {
            "id": _MEMBERSHIP_ID,
            "user_id": _USER_ID,
            "from": None,
            "to": "01939d2e-6f1a-7c3b-9a4e-2b8f0c1d5e6a",
        },
    ),
    EventType(
        "member.removed",
        "A member left or was removed from the organization.",
        {"id": _MEMBERSHIP_ID, "user_id": _USER_ID},
    ),
    EventType(
        "organization.updated",
        "The organization's profile changed; the payload names the fields.",
        {"id": "01939d2f-bfcc-76dd-c7ee-48ff3900411a", "changed": ["address", "vat_number"]},
    ),
)
