"""Customer and supplier API: /api/v1/customers and /api/v1/suppliers, one party model."""

from __future__ import annotations

import uuid
from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Response, UploadFile, status

from comptoir.identity.service.sessions import Principal
from comptoir.kit.csvtext import decode_upload
from comptoir.kit.errors import ValidationFailed
from comptoir.parties import schemas
from comptoir.parties.models import Contact, Party
from comptoir.parties.service import parties, transfer
from comptoir.parties.service.parties import Role
from comptoir.server.deps import DbSession, require_scope
from comptoir.server.idempotency import IdempotencyGuard

router = APIRouter(prefix="/api/v1")

Reader = Annotated[Principal, require_scope("parties:read")]
Writer = Annotated[Principal, require_scope("parties:write")]
MAX_UPLOAD_BYTES = transfer.MAX_FILE_BYTES


def party_out(party: Party, contacts: list[Contact]) -> schemas.PartyOut:
    shipping = None
    if party.shipping_line1 or party.shipping_city or party.shipping_country:
        shipping = schemas.AddressOut(
            line1=party.shipping_line1,
            line2=party.shipping_line2,
            postal_code=party.shipping_postal_code,
            city=party.shipping_city,
            region=party.shipping_region,
            country=party.shipping_country or party.country,
        )
    return schemas.PartyOut(
        id=party.id,
        code=party.code or "",
        name=party.name,
        kind=party.kind or "company",
        is_customer=bool(party.is_customer),
        is_supplier=bool(party.is_supplier),
        email=party.email,
        phone=party.phone,
        website=party.website,
        vat_number=party.vat_number,
        company_number=party.company_number,
        country=party.country,
        currency=party.currency,
        language=party.language,
        payment_terms=party.payment_terms or "net_30",
        billing_address=schemas.AddressOut(
            line1=party.billing_line1,
            line2=party.billing_line2,
            postal_code=party.billing_postal_code,
            city=party.billing_city,
            region=party.billing_region,
            country=party.country,
        ),
        shipping_address=shipping,
        notes=party.notes,
        contacts=[
            schemas.ContactOut(id=c.id, name=c.name, email=c.email, phone=c.phone, role=c.role)
            for c in contacts
        ],
        archived=party.archived_at is not None,
        created_at=party.created_at,
        updated_at=party.updated_at,
    )


def _values(body: schemas.PartyFields) -> dict[str, Any]:
    """The body as the service's flat values: addresses become billing_/shipping_ fields."""
    values = body.model_dump(exclude_unset=True, exclude={"billing_address", "shipping_address"})
    values.pop("archived", None)
    if "billing_address" in body.model_fields_set:
        address = body.billing_address.model_dump() if body.billing_address else {}
        for key in ("line1", "line2", "postal_code", "city", "region"):
            values[f"billing_{key}"] = address.get(key)
    if "shipping_address" in body.model_fields_set:
        shipping = body.shipping_address.model_dump() if body.shipping_address else {}
        for key in ("line1", "line2", "postal_code", "city", "region", "country"):
            values[f"shipping_{key}"] = shipping.get(key)
    if "contacts" in values and values["contacts"] is None:
        values["contacts"] = []
    return values


def _one(session: DbSession, party: Party) -> schemas.PartyOut:
    return party_out(party, parties.contacts_of(session, [party.id])[party.id])


def _register(role: Role, plural: str, label: str) -> None:
    path = f"/{plural}"
    tags: list[str | Enum] = [plural]

    @router.get(path, summary=f"{label}s", tags=tags, name=f"list_{plural}")
    def list_parties(
        principal: Reader,
        session: DbSession,
        q: Annotated[
            str | None, Query(max_length=200, description="In name, code, e-mail, VAT number, city")
        ] = None,
        archived: bool = False,
        country: Annotated[str | None, Query(max_length=2)] = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        cursor: Annotated[str | None, Query(max_length=100)] = None,
    ) -> schemas.PartyPage:
        """Newest first; `q` searches name, code, e-mail, VAT number and city; archived
        ones only with `archived=true`. Paginate with `next_cursor`."""
        page = parties.list_parties(
            session,
            parties.PartyFilter(role=role, q=q, archived=archived, country=country),
            limit=limit,
            cursor=cursor,
        )
        contacts = parties.contacts_of(session, [party.id for party in page.items])
        return schemas.PartyPage(
            items=[party_out(party, contacts[party.id]) for party in page.items],
            next_cursor=page.next_cursor,
        )

    @router.post(
        path,
        status_code=status.HTTP_201_CREATED,
        summary=f"Add a {label.lower()}",
        tags=tags,
        name=f"create_{role}",
        response_model=schemas.PartyOut,
    )
    def create_party(
        body: schemas.PartyIn, principal: Writer, session: DbSession, guard: IdempotencyGuard
    ) -> Response:
        """Only `name` is required; `country` defaults to the organization's, `code` to
        the next free one, `payment_terms` to `net_30`. Identifiers are checked by the
        rules of the party's country (422 naming the field and the rule). Send
        `Idempotency-Key` to make retries safe."""

        def produce() -> schemas.PartyOut:
            party = parties.create(session, _values(body), role=role, actor_id=principal.user_id)
            return _one(session, party)

        return guard.run(principal, body, produce, status_code=status.HTTP_201_CREATED)

    @router.get(
        f"{path}/export",
        summary=f"{label}s as CSV",
        tags=tags,
        name=f"export_{plural}",
        response_class=Response,
        responses={200: {"content": {"text/csv": {}}}},
    )
    def export_parties(principal: Reader, session: DbSession) -> Response:
        """Every party of this role not archived, in the columns the import reads."""
        return Response(
            transfer.export_csv(session, role),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{plural}.csv"'},
        )

    @router.post(
        f"{path}/import",
        summary=f"Import {label.lower()}s from CSV",
        tags=tags,
        name=f"import_{plural}",
    )
    async def import_parties(
        principal: Writer,
        session: DbSession,
        file: Annotated[UploadFile, File(description="CSV with a header row; see the docs")],
        dry_run: bool = False,
    ) -> schemas.ImportOut:
        """Columns: `name` (required), `code`, `kind`, `email`, `phone`, `website`,
        `vat_number`, `company_number`, `country`, `currency`, `language`,
        `payment_terms`, `address_line1`, `address_line2`, `postal_code`, `city`, `region`,
        `notes`. Every problem is reported with its row and column; nothing is created
        unless every row is right. `dry_run=true` only checks and previews."""
        raw = await file.read(MAX_UPLOAD_BYTES + 1)
        if len(raw) > MAX_UPLOAD_BYTES:
            raise ValidationFailed.single("file", "At most 5 MB.", "too_large")
        result = transfer.import_csv(session, decode_upload(raw), role, dry_run=dry_run)
        return schemas.ImportOut(
            dry_run=dry_run,
            rows=result.rows,
            created=0 if dry_run or result.errors else len(result.parties),
            errors=[
                schemas.ImportRowError(row=e.row, column=e.field, message=e.message)
                for e in result.errors
            ],
            preview=[party_out(party, []) for party in result.parties] if dry_run else [],
        )

    @router.get(
        f"{path}/{{party_id}}", summary=f"One {label.lower()}", tags=tags, name=f"get_{role}"
    )
    def get_party(party_id: uuid.UUID, principal: Reader, session: DbSession) -> schemas.PartyOut:
        """With its contacts and addresses. 404 for an unknown id, another organization's,
        or a party without this role."""
        return _one(session, parties.get(session, party_id, role))

    @router.patch(
        f"{path}/{{party_id}}",
        summary=f"Change a {label.lower()}",
        tags=tags,
        name=f"update_{role}",
    )
    def update_party(
        party_id: uuid.UUID, body: schemas.PartyUpdate, principal: Writer, session: DbSession
    ) -> schemas.PartyOut:
        """Fields left out stay as they are; `contacts` replaces the list;
        `"archived": true` archives (kept with its history, offered on no new document)."""
        party = parties.update(session, party_id, _values(body), role=role)
        if body.archived is not None:
            party = parties.archive(session, party_id, role=role, archived=body.archived)
        return _one(session, party)

    @router.delete(
        f"{path}/{{party_id}}",
        status_code=status.HTTP_204_NO_CONTENT,
        summary=f"Delete an unused {label.lower()}",
        tags=tags,
        name=f"delete_{role}",
    )
    def delete_party(party_id: uuid.UUID, principal: Writer, session: DbSession) -> Response:
        """409 once documents or postings refer to it: archive it instead."""
        parties.delete_party(session, party_id, role=role)
        return Response(status_code=status.HTTP_204_NO_CONTENT)


_register("customer", "customers", "Customer")
_register("supplier", "suppliers", "Supplier")
