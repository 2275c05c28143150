"""Customers and suppliers to and from CSV files, with a per-row report of every problem."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from comptoir.audit import service as audit
from comptoir.identity.service import organizations
from comptoir.kit import clock
from comptoir.kit.csvtext import read_import
from comptoir.kit.errors import FieldError, ValidationFailed
from comptoir.kit.ids import new_id
from comptoir.parties.models import Party
from comptoir.parties.service import parties
from comptoir.parties.service.parties import Role

MAX_ROWS = 10_000
# The largest file the API and the web pages accept.
MAX_FILE_BYTES = 5 * 1024 * 1024
# CSV column → model attribute; the file speaks of "the address", the model of billing.
COLUMNS = {
    "code": "code",
    "name": "name",
    "kind": "kind",
    "email": "email",
    "phone": "phone",
    "website": "website",
    "vat_number": "vat_number",
    "company_number": "company_number",
    "country": "country",
    "currency": "currency",
    "language": "language",
    "payment_terms": "payment_terms",
    "address_line1": "billing_line1",
    "address_line2": "billing_line2",
    "postal_code": "billing_postal_code",
    "city": "billing_city",
    "region": "billing_region",
    "notes": "notes",
}
_COLUMN_OF = {attribute: column for column, attribute in COLUMNS.items()}


def export_csv(session: Session, role: Role) -> str:
    """Every party of the role that is in use (not archived), by name, in the import's
    columns: a file exported from one organization imports into another."""
    flag = Party.is_customer if role == "customer" else Party.is_supplier
    query = select(Party).where(flag.is_(True), Party.archived_at.is_(None)).order_by(Party.name)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for party in session.scalars(query):
        writer.writerow([getattr(party, attribute) or "" for attribute in COLUMNS.values()])
    return out.getvalue()


@dataclass
class ImportResult:
    rows: int
    parties: list[Party] = field(default_factory=list)
    errors: list[FieldError] = field(default_factory=list)


def import_csv(session: Session, text: str, role: Role, *, dry_run: bool) -> ImportResult:
    """Check every row, report every problem with its row and column, and create the
    parties only if there is none (all or nothing). A dry run checks and shows what would
    be created without creating anything."""
    records = read_import(text, COLUMNS, MAX_ROWS)
    result = ImportResult(rows=len(records))
    country = organizations.get_current(session).country
    codes_in_file: dict[str, int] = {}
    for number, record in records:
        values: dict[str, object] = {
            COLUMNS[column]: value for column, value in record.items() if value != ""
        }
        values.setdefault("country", country)
        values.setdefault("name", "")
        values[f"is_{role}"] = True
        code = str(values.get("code") or "")
        if code and code in codes_in_file:
            result.errors.append(
                FieldError("code", f"Also used on row {codes_in_file[code]}.", "duplicate", number)
            )
        elif code:
            codes_in_file[code] = number
        try:
            clean = parties.validate_values(session, values, None)
        except ValidationFailed as exc:
            result.errors += [
                FieldError(_COLUMN_OF.get(e.field, e.field), e.message, e.code, number)
                for e in exc.errors
            ]
            continue
        now = clock.now()
        # Ids and times set now, so that a dry run's preview shows parties as they would be.
        result.parties.append(Party(id=new_id(), created_at=now, updated_at=now, **clean))
    if result.errors or dry_run:
        return result
    for party in result.parties:
        if not party.code:
            party.code = parties.next_code(session, role)
        session.add(party)
        session.flush()
    audit.record(
        session,
        f"{role}s.imported",
        target_type="party",
        after={"count": len(result.parties)},
    )
    return result
