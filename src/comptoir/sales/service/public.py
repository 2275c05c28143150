"""The page a customer opens from a document's link, without an account: which document
a link leads to, and when the customer first looked at it.

The link's token is the only key: it is long and random (see ``documents.public_path``),
and a document is shown only once it has gone out (a quote once sent, an invoice or a
credit note once issued), so that a draft never reaches a customer by accident."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from comptoir.kit import clock
from comptoir.kit.errors import NotFound
from comptoir.kit.tenancy import all_tenants, set_organization
from comptoir.sales.models import SalesDocument
from comptoir.sales.service import documents

_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")
UNKNOWN = "This link does not lead to a document. Check the address in the e-mail you received."


def is_published(document: SalesDocument) -> bool:
    if document.kind == "quote":
        return document.sent_at is not None
    return document.number is not None


def open_document(session: Session, token: str) -> SalesDocument:
    """The document of this link, with the session now working in its organization."""
    if not _TOKEN.fullmatch(token):
        raise NotFound(UNKNOWN)
    with all_tenants(session):
        document = session.scalar(select(SalesDocument).where(SalesDocument.public_token == token))
    if document is None or not is_published(document):
        raise NotFound(UNKNOWN)
    set_organization(session, document.organization_id)
    return document


def open_quote(session: Session, token: str) -> SalesDocument:
    """The quote of this link, for the customer's answer; any other document is not
    found here."""
    document = open_document(session, token)
    if document.kind != "quote":
        raise NotFound(UNKNOWN)
    return document


def record_view(session: Session, document: SalesDocument) -> None:
    """The customer's first look, once: when they opened it is what the seller wants to
    know; how many times they reloaded it is not."""
    if document.viewed_at is None:
        document.viewed_at = clock.now()
        documents.log(session, document, "viewed")
        session.flush()
