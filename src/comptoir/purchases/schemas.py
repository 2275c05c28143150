"""Request and response bodies of the approval rules API. Amounts are decimal strings in the
organization's base currency ("1000.00"), never floats."""

from __future__ import annotations

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
