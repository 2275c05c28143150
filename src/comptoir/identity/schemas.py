"""Request and response bodies of the identity API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from comptoir.identity.roles import Role


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=5000)


class RegisterRequest(Request):
    email: str = Field(max_length=320, examples=["owner@example.com"])
    password: str = Field(max_length=1000, description="At least 10 characters, not a common one.")
    organization_name: str = Field(max_length=300, examples=["Boulangerie Martin SARL"])
    country: str = Field(max_length=2, description="ISO 3166 alpha-2", examples=["FR"])
    base_currency: str = Field(max_length=3, description="ISO 4217", examples=["EUR"])
    name: str = Field(default="", max_length=200, description="Your name")


class LoginRequest(Request):
    email: str = Field(max_length=320)
    password: str = Field(max_length=1000)


class RefreshRequest(Request):
    refresh_token: str = Field(max_length=200)


class TokenRequest(Request):
    token: str = Field(max_length=200)


class PasswordResetRequest(Request):
    email: str = Field(max_length=320)


class AcceptedOut(BaseModel):
    status: Literal["accepted"] = "accepted"
    detail: str = Field(
        examples=["If an account exists for this address, a reset link is on its way."]
    )


class PasswordResetConfirm(Request):
    token: str = Field(max_length=200)
    password: str = Field(max_length=1000)


class ChangePasswordRequest(Request):
    current_password: str = Field(max_length=1000)
    new_password: str = Field(max_length=1000)


class ProfileUpdate(Request):
    name: str = Field(max_length=200, description="Your display name")


class SwitchOrganizationRequest(Request):
    organization_id: uuid.UUID


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    name: str
    email_verified: bool
    created_at: datetime


class OrganizationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    legal_name: str
    country: str
    base_currency: str
    fiscal_year_start_month: int
    locale: str
    timezone: str
    address_line1: str | None
    address_line2: str | None
    postal_code: str | None
    city: str | None
    region: str | None
    siren: str | None
    vat_number: str | None
    tpin: str | None
    company_registration: str | None
    email: str | None
    phone: str | None
    created_at: datetime
    updated_at: datetime


class OrganizationSummary(BaseModel):
    id: uuid.UUID
    legal_name: str
    role: Role


class TokenResponse(BaseModel):
    access_token: str
    refresh_token: str | None = Field(
        description="Present when a new session starts or rotates; keep it secret."
    )
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int = Field(description="Seconds until the access token expires")
    user: UserOut
    organization: OrganizationOut
    role: Role


class MeResponse(BaseModel):
    user: UserOut
    organization: OrganizationOut
    role: Role
    scopes: list[str]
    organizations: list[OrganizationSummary]


class OrganizationCreate(Request):
    legal_name: str = Field(max_length=300)
    country: str = Field(max_length=2)
    base_currency: str = Field(max_length=3)


class OrganizationUpdate(Request):
    """Only the fields sent change; send "" to clear an optional field."""

    legal_name: str | None = Field(default=None, max_length=300)
    country: str | None = Field(default=None, max_length=2)
    base_currency: str | None = Field(default=None, max_length=3)
    fiscal_year_start_month: StrictInt | None = Field(default=None, ge=1, le=12)
    locale: str | None = Field(default=None, max_length=20)
    timezone: str | None = Field(default=None, max_length=64)
    address_line1: str | None = Field(default=None, max_length=300)
    address_line2: str | None = Field(default=None, max_length=300)
    postal_code: str | None = Field(default=None, max_length=40)
    city: str | None = Field(default=None, max_length=200)
    region: str | None = Field(default=None, max_length=200)
    siren: str | None = Field(default=None, max_length=20, description="French SIREN, 9 digits")
    vat_number: str | None = Field(default=None, max_length=30)
    tpin: str | None = Field(default=None, max_length=20, description="Zambian TPIN, 10 digits")
    company_registration: str | None = Field(default=None, max_length=60)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=60)


class MemberOut(BaseModel):
    id: uuid.UUID = Field(description="The membership id")
    user_id: uuid.UUID
    email: str
    name: str
    role: Role
    party_id: uuid.UUID | None = Field(
        description="Portal members (client, supplier): the customer or supplier whose "
        "documents they see"
    )
    joined_at: datetime


class MemberUpdate(Request):
    """Only the fields sent change."""

    role: Role | None = None
    party: uuid.UUID | None = Field(
        default=None,
        description="The id of the customer (role client) or supplier (role supplier) the "
        "member sees in the portal; null to unlink. Other roles take no party. Without it, "
        "a new role keeps the party when it fits and drops it otherwise.",
    )


class InvitationCreate(Request):
    email: str = Field(max_length=320)
    role: Role
    party: uuid.UUID | None = Field(
        default=None,
        description="Portal invitations (client, supplier): the customer or supplier the "
        "member will see on joining",
    )


class InvitationOut(BaseModel):
    id: uuid.UUID
    email: str
    role: Role
    party_id: uuid.UUID | None = None
    created_at: datetime
    expires_at: datetime


class InvitationCreated(InvitationOut):
    accept_url: str = Field(description="The link sent by e-mail; shown once")


class InvitationPreviewOut(BaseModel):
    email: str
    role: Role
    organization_name: str
    expires_at: datetime
    account_exists: bool = Field(description="Whether the invitee must enter their password")


class InvitationAccept(Request):
    password: str | None = Field(default=None, max_length=1000)
    name: str = Field(default="", max_length=200)
