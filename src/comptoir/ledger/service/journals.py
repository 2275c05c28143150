"""Journals: the FEC ``JournalCode`` books entries are numbered in."""

from __future__ import annotations

import re
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from comptoir.audit import service as audit
from comptoir.kit.errors import Conflict, FieldError, NotFound, ValidationFailed
from comptoir.ledger.models import Journal, JournalEntry
from comptoir.ledger.service import accounts, archiving
from comptoir.ledger.service.vocabulary import JOURNAL_TYPES

_CODE = re.compile(r"^[A-Za-z0-9]{1,10}$")


def get(session: Session, journal_id: uuid.UUID) -> Journal:
    journal = session.get(Journal, journal_id)
    if journal is None:
        raise NotFound("No such journal.")
    return journal


def resolve(session: Session, reference: str, field: str = "journal") -> Journal:
    text = (reference or "").strip()
    try:
        journal = session.get(Journal, uuid.UUID(text))
    except ValueError:
        journal = session.scalar(select(Journal).where(Journal.code == text.upper()))
    if journal is None:
        raise ValidationFailed.single(field, f"No journal {text!r}.", "unknown_journal")
    return journal


def by_type(session: Session, kind: str) -> Journal | None:
    return session.scalars(
        select(Journal)
        .where(Journal.type == kind, Journal.archived_at.is_(None))
        .order_by(Journal.code)
    ).first()


def list_journals(session: Session, *, include_archived: bool = False) -> list[Journal]:
    query = select(Journal).order_by(Journal.code)
    if not include_archived:
        query = query.where(Journal.archived_at.is_(None))
    return list(session.scalars(query))


def _validate(session: Session, values: dict[str, Any], current: Journal | None) -> dict[str, Any]:
    errors: list[FieldError] = []
    clean: dict[str, Any] = {}
    if "code" in values:
        code = str(values["code"] or "").strip().upper()
        if not _CODE.match(code):
            errors.append(
                FieldError("code", "Use 1 to 10 letters or digits (the FEC JournalCode).")
            )
        else:
            other = session.scalar(select(Journal).where(Journal.code == code))
            if other is not None and (current is None or other.id != current.id):
                errors.append(FieldError("code", f"Journal {code} already exists.", "duplicate"))
        clean["code"] = code
    if "name" in values:
        name = " ".join(str(values["name"] or "").split())
        if not name or len(name) > 100:
            errors.append(FieldError("name", "Give a name of 1 to 100 characters."))
        clean["name"] = name
    if "type" in values:
        if values["type"] not in JOURNAL_TYPES:
            errors.append(FieldError("type", f"Use one of {', '.join(JOURNAL_TYPES)}."))
        clean["type"] = values["type"]
    for side in ("default_debit_account", "default_credit_account"):
        if side in values:
            clean[f"{side}_id"] = None
            if values[side]:
                try:
                    clean[f"{side}_id"] = accounts.resolve(
                        session, str(values[side]), field=side
                    ).id
                except ValidationFailed as exc:
                    errors += exc.errors
    if errors:
        raise ValidationFailed(errors)
    return clean


def create(session: Session, values: dict[str, Any]) -> Journal:
    for required in ("code", "name", "type"):
        values.setdefault(required, None)
    journal = Journal(**_validate(session, values, None))
    session.add(journal)
    session.flush()
    audit.record(
        session,
        "journal.created",
        target_type="journal",
        target_id=journal.id,
        after={"code": journal.code, "name": journal.name, "type": journal.type},
    )
    return journal


def update(session: Session, journal_id: uuid.UUID, values: dict[str, Any]) -> Journal:
    journal = get(session, journal_id)
    clean = _validate(session, values, journal)
    if (
        "code" in clean
        and clean["code"] != journal.code
        and session.scalar(
            select(JournalEntry.id)
            .where(JournalEntry.journal_id == journal.id, JournalEntry.status == "posted")
            .limit(1)
        )
    ):
        raise Conflict(
            "Entries are numbered in this journal; its code cannot change.", code="journal_in_use"
        )
    audit.apply_changes(session, journal, clean, action="journal.updated", target_type="journal")
    return journal


def archive(session: Session, journal_id: uuid.UUID, archived: bool = True) -> Journal:
    journal = get(session, journal_id)
    archiving.set_archived(session, journal, archived, "journal")
    return journal
