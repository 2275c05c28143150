"""Request and response bodies of the approval rules API. Amounts are decimal strings in the
organization's base currency ("1000.00"), never floats."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue

EXAMPLE_RULES: list[JsonValue] = [
    {"up_to": "100.00", "steps": []},
    {"up_to": "1000.00", "steps": ["admin"]},
    {"up_to": None, "steps": ["admin", "owner"]},
]


class RulesIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"rules": EXAMPLE_RULES}]}
    )

    # Each band is checked by the service so that every mistake answers beside its field
    # (rules[i].up_to, rules[i].steps) instead of a generic type error.
    rules: list[Any] = Field(
        max_length=100,
        description="Bands in increasing order: `up_to` (inclusive, base currency; null on "
        "the last band, which covers every larger amount) and `steps`, the roles that "
        "approve in turn (owner, admin, accountant; empty: approved at once). At most 10 "
        "bands and 3 steps each. An empty list goes back to the default.",
    )


class BandOut(BaseModel):
    up_to: str | None = Field(description="Inclusive upper limit; null: every larger amount")
    steps: list[str] = Field(description="Roles that approve in turn; empty: approved at once")


class RulesOut(BaseModel):
    applies_to: str = Field(description="expense or bill")
    is_default: bool = Field(description="True while the organization has set no rules")
    currency: str = Field(description="The base currency the limits are in")
    rules: list[BandOut]


class RulesList(BaseModel):
    items: list[RulesOut]


class PreviewOut(BaseModel):
    applies_to: str = Field(description="expense or bill")
    amount: str
    currency: str
    band: BandOut = Field(description="The band the amount falls in")
    steps: list[str] = Field(description="Roles that approve in turn; empty: approved at once")
    auto_approved: bool


# Shared by the bills and the expenses APIs: one schema each in the OpenAPI document.


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=5000)


class RejectIn(Request):
    reason: str = Field(max_length=2000, description="Why; the submitter reads it")


class ApprovalOut(BaseModel):
    steps: list[str] = Field(description="The role approving each step, in order, as submitted")
    done: int = Field(description="Steps approved so far")
    pending_role: str | None = Field(description="The role the next step waits for")
    self_approved: bool = Field(
        description="Someone approved their own document because nobody else could"
    )


class ActorOut(BaseModel):
    id: uuid.UUID
    name: str | None


class HistoryOut(BaseModel):
    action: str = Field(
        description="created, submitted, auto_approved, approved, self_approved, rejected, "
        "posted; bills also credited, payment, paid and cancelled; expenses also reimbursed"
    )
    step: int | None
    role: str | None
    actor: ActorOut | None
    reason: str | None
    at: datetime
