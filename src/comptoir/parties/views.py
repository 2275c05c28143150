"""Web pages of customers and suppliers: the list (search, country, archived, pages), the
form with its contacts, the detail page (archive, restore, delete while unused), the CSV
import with its preview, and the export.

One set of pages serves both roles, as one party model does: customers under Sales
(``/sales/customers``), suppliers under Purchases (``/purchases/suppliers``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlencode

import phonenumbers
from fastapi import Depends, Query, Request, Response
from starlette.datastructures import FormData, UploadFile

from comptoir.kit.csvtext import decode_upload
from comptoir.kit.errors import DomainError, FieldError, ValidationFailed
from comptoir.parties.service import parties, transfer
from comptoir.parties.service.parties import Role
from comptoir.parties.service.terms import PAYMENT_TERMS
from comptoir.web.formatting import page_formats
from comptoir.web.templating import country_options
from comptoir.web.websession import (
    CurrentVisitor,
    Db,
    FormState,
    PostedForm,
    Visitor,
    discard,
    failed_form,
    notice,
    parse_id,
    redirect,
    render,
    web_router,
)

if TYPE_CHECKING:
    from comptoir.parties.models import Contact, Party

router = web_router()

PAGE_SIZE = 50
# Blank contact rows under the existing ones; "Add a contact" gives more, up to the limit.
BLANK_CONTACT_ROWS = 2
MAX_CONTACT_ROWS = parties.MAX_CONTACTS
# The import's preview lists this many rows; the rest are counted.
PREVIEW_ROWS = 100
CONTACT_FIELDS = ("name", "email", "phone", "role")
ADDRESS_FIELDS = ("line1", "line2", "postal_code", "city", "region")
# Every field of the form but the contacts, named as the service names them.
PARTY_FIELDS = (
    "name",
    "kind",
    "code",
    "email",
    "phone",
    "website",
    "vat_number",
    "company_number",
    "country",
    "currency",
    "language",
    "payment_terms",
    *(f"billing_{name}" for name in ADDRESS_FIELDS),
    *(f"shipping_{name}" for name in ADDRESS_FIELDS),
    "shipping_country",
    "notes",
)
SHIPPING_FIELDS = (*(f"shipping_{name}" for name in ADDRESS_FIELDS), "shipping_country")
KIND_LABELS = {"company": "Company", "individual": "Individual"}
# Beside a drop-down, "choose one" says more than the list of valid codes.
CHOICE_MESSAGES = {
    "country": "Choose a country.",
    "kind": "Choose company or individual.",
    "payment_terms": "Choose payment terms.",
}


@dataclass(frozen=True)
class RolePages:
    """Where the pages of one role live: its path and its section of the sidebar."""

    role: Role
    base: str
    section: str
    other: Role
    other_base: str

    @property
    def label(self) -> str:
        return self.role

    @property
    def plural(self) -> str:
        return f"{self.role}s"

    @property
    def title(self) -> str:
        return self.plural.capitalize()

    @property
    def notices(self) -> dict[str, str]:
        return {
            "created": f"The {self.label} is added.",
            "saved": "The changes are saved.",
            "archived": f"The {self.label} is archived: it keeps its history and is offered "
            "on no new document.",
            "restored": f"The {self.label} is back in use.",
            "deleted": f"The {self.label} is deleted.",
            "imported": f"The {self.plural} are imported.",
        }


CUSTOMERS = RolePages(
    role="customer",
    base="/sales/customers",
    section="sales",
    other="supplier",
    other_base="/purchases/suppliers",
)
SUPPLIERS = RolePages(
    role="supplier",
    base="/purchases/suppliers",
    section="purchases",
    other="customer",
    other_base="/sales/customers",
)


# -- shared helpers ----------------------------------------------------------------------


def _text(value: str | UploadFile | None) -> str:
    return value.strip() if isinstance(value, str) else ""


def phone_text(value: str | None) -> str:
    """A number stored in E.164 (``+49301234567``) as people write it: ``+49 30 1234567``."""
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return value
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL))


def _page(
    request: Request,
    visitor: Visitor,
    pages: RolePages,
    template: str,
    context: Mapping[str, Any],
    *,
    status_code: int = 200,
) -> Response:
    values = {
        "section": pages.section,
        "subsection": pages.plural,
        "pages": pages,
        "writer": visitor.can("parties:write"),
        "kind_labels": KIND_LABELS,
        "terms_labels": PAYMENT_TERMS,
        "phone_text": phone_text,
        **page_formats(visitor.organization),
        **context,
    }
    return render(request, template, values, status_code=status_code)


# -- the form ----------------------------------------------------------------------------


@dataclass
class TypedParty:
    """The form as typed, every value kept as text so that it can be shown again."""

    values: dict[str, str]
    contacts: list[dict[str, str]] = field(default_factory=list)
    action: str = "save"

    def form_values(self) -> dict[str, str]:
        """Values by field name, with a key for every place the service may point an error
        at (``contacts``, ``contacts.2.email``...), so that each lands beside its field."""
        values = {**self.values, "contacts": ""}
        for index, contact in enumerate(self.contacts):
            for name in CONTACT_FIELDS:
                values[f"contacts.{index}.{name}"] = contact[name]
        return values

    def filled_rows(self) -> list[int]:
        """Contact rows with something typed in; blank ones are spare rows."""
        return [i for i, contact in enumerate(self.contacts) if any(contact.values())]


def _blank_contact() -> dict[str, str]:
    return dict.fromkeys(CONTACT_FIELDS, "")


def _typed_party(source: Mapping[str, Any]) -> TypedParty:
    values = {name: _text(source.get(name)) for name in PARTY_FIELDS}
    # Browsers send a textarea's lines as CRLF; stored notes use LF, as the API's do.
    values["notes"] = values["notes"].replace("\r\n", "\n")
    for flag in ("other_role", "has_shipping"):
        values[flag] = "on" if source.get(flag) else ""
    indexes = set()
    for key in source:
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == "contacts" and parts[1].isdigit():
            indexes.add(int(parts[1]))
    contacts = [
        {name: _text(source.get(f"contacts.{index}.{name}")) for name in CONTACT_FIELDS}
        for index in sorted(indexes)[:MAX_CONTACT_ROWS]
    ]
    return TypedParty(values, contacts, _text(source.get("action")) or "save")


async def _party_from_request(request: Request) -> TypedParty:
    source = await request.form() if request.method == "POST" else request.query_params
    return _typed_party(source)


TypedPartyForm = Annotated[TypedParty, Depends(_party_from_request)]


def _service_values(pages: RolePages, typed: TypedParty, *, creating: bool) -> dict[str, Any]:
    """The form as the service's values: blanks are "none", an empty code on a new party
    asks for the next free one, and shipping fields count only when the box is ticked."""
    typed_values = typed.values
    values: dict[str, Any] = {
        name: typed_values[name] or None for name in PARTY_FIELDS if name not in SHIPPING_FIELDS
    }
    for name in ("name", "kind", "country", "payment_terms"):
        values[name] = typed_values[name]
    if creating and not typed_values["code"]:
        del values["code"]
    else:
        values["code"] = typed_values["code"]
    shipping = bool(typed_values["has_shipping"])
    for name in SHIPPING_FIELDS:
        values[name] = (typed_values[name] or None) if shipping else None
    values[f"is_{pages.other}"] = bool(typed_values["other_role"])
    values["contacts"] = [
        {name: typed.contacts[row][name] or None for name in CONTACT_FIELDS}
        for row in typed.filled_rows()
    ]
    return values


def _on_form_rows(exc: ValidationFailed, typed: TypedParty) -> ValidationFailed:
    """The service counts the contacts it was given (``contacts[1].email``); the form also
    has blank rows in between (``contacts.3.email``)."""
    rows = typed.filled_rows()

    def moved(error: FieldError) -> FieldError:
        if not error.field.startswith("contacts[") or "]." not in error.field:
            return error
        position, _, name = error.field.removeprefix("contacts[").partition("].")
        if not position.isdigit() or int(position) >= len(rows):
            return error
        message = error.message
        if name == "name" and not typed.contacts[rows[int(position)]]["name"]:
            message = "Give the contact a name."
        return FieldError(f"contacts.{rows[int(position)]}.{name}", message, error.code)

    return ValidationFailed([moved(error) for error in exc.errors], exc.detail)


def _explain_choices(pages: RolePages, state: FormState) -> FormState:
    messages = {**CHOICE_MESSAGES, "name": f"Give the {pages.label} a name."}
    for name, message in messages.items():
        if name in state.errors and not state.values.get(name):
            state.errors[name] = message
    return state


def _edit_contacts(typed: TypedParty, *, add: bool, remove: int | None) -> int | None:
    """Add or remove a contact row; answers the row to focus (the new one)."""
    if remove is not None and 0 <= remove < len(typed.contacts):
        del typed.contacts[remove]
    if not typed.contacts:
        typed.contacts.append(_blank_contact())
    if add and len(typed.contacts) < MAX_CONTACT_ROWS:
        typed.contacts.append(_blank_contact())
        return len(typed.contacts) - 1
    return None


def _contacts_context(typed: TypedParty, form: FormState, focus: int | None) -> dict[str, Any]:
    return {
        "form": form,
        "contact_count": len(typed.contacts),
        "max_contacts": MAX_CONTACT_ROWS,
        "focus": focus,
    }


def _form_page(
    request: Request,
    visitor: Visitor,
    pages: RolePages,
    typed: TypedParty,
    form: FormState,
    party: Party | None = None,
    focus: int | None = None,
) -> Response:
    return _page(
        request,
        visitor,
        pages,
        "parties/form.html",
        {
            **_contacts_context(typed, form, focus),
            "party": party,
            "kind_options": list(KIND_LABELS.items()),
            "terms_options": list(PAYMENT_TERMS.items()),
            "shipping_country_options": [(code, name) for code, name, _ in country_options()],
            "base_currency": visitor.organization.base_currency,
        },
        status_code=form.status,
    )


def _new_party(visitor: Visitor) -> TypedParty:
    values = dict.fromkeys(PARTY_FIELDS, "")
    values.update(
        kind="company",
        country=visitor.organization.country,
        payment_terms="net_30",
        other_role="",
        has_shipping="",
    )
    return TypedParty(values, [_blank_contact() for _ in range(BLANK_CONTACT_ROWS)])


def _stored_party(pages: RolePages, party: Party, contacts: list[Contact]) -> TypedParty:
    values = {name: str(getattr(party, name) or "") for name in PARTY_FIELDS}
    values["kind"] = party.kind or "company"
    values["payment_terms"] = party.payment_terms or "net_30"
    values["other_role"] = "on" if getattr(party, f"is_{pages.other}") else ""
    values["has_shipping"] = "on" if any(getattr(party, n) for n in SHIPPING_FIELDS) else ""
    # Numbers as people write them; the service reads them back to the same E.164.
    values["phone"] = phone_text(party.phone)
    rows = [
        {name: str(getattr(contact, name) or "") for name in CONTACT_FIELDS} for contact in contacts
    ]
    for row in rows:
        row["phone"] = phone_text(row["phone"])
    rows += [_blank_contact() for _ in range(BLANK_CONTACT_ROWS)]
    return TypedParty(values, rows[:MAX_CONTACT_ROWS])


def _save(
    request: Request,
    visitor: Visitor,
    session: Db,
    pages: RolePages,
    typed: TypedParty,
    party: Party | None,
) -> Response:
    """Create or change the party; contact rows added or removed without HTMX land here."""
    if typed.action == "add_contact" or typed.action.startswith("remove-"):
        remove = typed.action.removeprefix("remove-")
        focus = _edit_contacts(
            typed,
            add=typed.action == "add_contact",
            remove=int(remove) if remove.isdigit() else None,
        )
        form = FormState(typed.form_values())
        return _form_page(request, visitor, pages, typed, form, party, focus)
    values = _service_values(pages, typed, creating=party is None)
    try:
        if party is None:
            saved = parties.create(session, values, role=pages.role, actor_id=visitor.user.id)
        else:
            saved = parties.update(session, party.id, values, role=pages.role)
    except ValidationFailed as exc:
        state = failed_form(session, _on_form_rows(exc, typed), typed.form_values())
        return _reshown(
            request, visitor, session, pages, typed, _explain_choices(pages, state), party
        )
    except DomainError as exc:
        state = failed_form(session, exc, typed.form_values())
        return _reshown(request, visitor, session, pages, typed, state, party)
    done = "created" if party is None else "saved"
    return redirect(f"{pages.base}/{saved.id}?notice={done}")


def _reshown(
    request: Request,
    visitor: Visitor,
    session: Db,
    pages: RolePages,
    typed: TypedParty,
    state: FormState,
    party: Party | None,
) -> Response:
    """The form again after a refusal; the rollback expired the party, so it is read again."""
    current = parties.get(session, party.id, pages.role) if party is not None else None
    return _form_page(request, visitor, pages, typed, state, current)


# -- the detail page ---------------------------------------------------------------------


def _detail_page(
    request: Request,
    visitor: Visitor,
    session: Db,
    pages: RolePages,
    party: Party,
    *,
    alert: str | None = None,
    status_code: int = 200,
) -> Response:
    return _page(
        request,
        visitor,
        pages,
        "parties/detail.html",
        {
            "party": party,
            "contacts": parties.contacts_of(session, [party.id])[party.id],
            "also_other": bool(getattr(party, f"is_{pages.other}")),
            "has_shipping": any(getattr(party, name) for name in SHIPPING_FIELDS),
            "alert": alert,
            "notice": notice(request, pages.notices),
        },
        status_code=status_code,
    )


# -- the import --------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """One line of the import's report."""

    row: int | None
    column: str
    message: str


def _import_page(
    request: Request,
    visitor: Visitor,
    pages: RolePages,
    form: FormState,
    *,
    result: transfer.ImportResult | None = None,
    text: str = "",
    status_code: int = 200,
) -> Response:
    report = (
        sorted(
            (RowError(e.row, e.field, _row_message(pages, e)) for e in result.errors),
            key=_report_order,
        )
        if result
        else []
    )
    return _page(
        request,
        visitor,
        pages,
        "parties/import.html",
        {
            "form": form,
            "result": result,
            "report": report,
            "preview": result.parties[:PREVIEW_ROWS] if result else [],
            "text": text if result and not result.errors else "",
            "columns": list(transfer.COLUMNS),
            "max_megabytes": transfer.MAX_FILE_BYTES // (1024 * 1024),
            "max_rows": transfer.MAX_ROWS,
        },
        status_code=status_code,
    )


def _row_message(pages: RolePages, error: FieldError) -> str:
    if error.field == "name" and error.code == "required":
        return f"Give the {pages.label} a name."
    return error.message


def _report_order(error: RowError) -> tuple[bool, int]:
    return (error.row is None, error.row or 0)


def _import_text(form: FormData, confirm: bool) -> str:
    """The file's text: uploaded, or carried back by the preview's hidden field."""
    too_large = ValidationFailed.single(
        "file", f"At most {transfer.MAX_FILE_BYTES // (1024 * 1024)} MB.", "too_large"
    )
    if confirm:
        text = form.get("text")
        if not isinstance(text, str) or not text:
            raise ValidationFailed.single("file", "Choose the file again.")
        if len(text.encode()) > transfer.MAX_FILE_BYTES:
            raise too_large
        # The page held the file with LF line ends; the browser sent them back as CRLF.
        return text.replace("\r\n", "\n")
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise ValidationFailed.single("file", "Choose a CSV file to import.")
    raw = upload.file.read(transfer.MAX_FILE_BYTES + 1)
    if len(raw) > transfer.MAX_FILE_BYTES:
        raise too_large
    return decode_upload(raw)


# -- routes ------------------------------------------------------------------------------


def _register(pages: RolePages) -> None:
    base = pages.base
    role = pages.role

    @router.get(base, name=f"{role}_list")
    def list_page(
        request: Request,
        visitor: CurrentVisitor,
        session: Db,
        q: Annotated[str, Query(max_length=200)] = "",
        country: Annotated[str, Query(max_length=2)] = "",
        archived: bool = False,
        cursor: Annotated[str | None, Query(max_length=100)] = None,
    ) -> Response:
        visitor.require("parties:read")
        filters = {"q": q.strip(), "country": country.strip().upper()}
        page = parties.list_parties(
            session,
            parties.PartyFilter(
                role=role, q=filters["q"] or None, archived=archived, country=filters["country"]
            ),
            limit=PAGE_SIZE,
            cursor=cursor or None,
        )
        kept = {name: value for name, value in filters.items() if value}
        if archived:
            kept["archived"] = "true"
        return _page(
            request,
            visitor,
            pages,
            "parties/list.html",
            {
                "rows": page.items,
                "form": FormState(filters),
                "archived": archived,
                "filtered": bool(filters["q"] or filters["country"]),
                "first_page": not cursor,
                "first_url": base + (f"?{urlencode(kept)}" if kept else ""),
                "next_url": f"{base}?{urlencode({**kept, 'cursor': page.next_cursor})}"
                if page.next_cursor
                else None,
                "country_filter_options": [(code, name) for code, name, _ in country_options()],
                "notice": notice(request, pages.notices),
            },
        )

    @router.get(f"{base}/new", name=f"{role}_new")
    def new_page(request: Request, visitor: CurrentVisitor) -> Response:
        visitor.require("parties:write")
        typed = _new_party(visitor)
        return _form_page(request, visitor, pages, typed, FormState(typed.form_values()))

    @router.post(f"{base}/new", name=f"{role}_create")
    def create(
        request: Request, visitor: CurrentVisitor, session: Db, typed: TypedPartyForm
    ) -> Response:
        visitor.require("parties:write")
        return _save(request, visitor, session, pages, typed, None)

    @router.get(f"{base}/contact-rows", name=f"{role}_contact_rows")
    def contact_rows(
        request: Request,
        visitor: CurrentVisitor,
        typed: TypedPartyForm,
        add: bool = False,
        remove: Annotated[int | None, Query(ge=0, lt=MAX_CONTACT_ROWS)] = None,
    ) -> Response:
        """The contact rows again with one more or one less, as typed: HTMX's "add" and
        "remove" buttons."""
        visitor.require("parties:write")
        focus = _edit_contacts(typed, add=add, remove=remove)
        context = _contacts_context(typed, FormState(typed.form_values()), focus)
        return _page(request, visitor, pages, "parties/_contacts.html", context)

    @router.get(f"{base}/export", name=f"{role}_export")
    def export(visitor: CurrentVisitor, session: Db) -> Response:
        visitor.require("parties:read")
        return Response(
            transfer.export_csv(session, role),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{pages.plural}.csv"',
                "Cache-Control": "no-store",
            },
        )

    @router.get(f"{base}/import", name=f"{role}_import_page")
    def import_page(request: Request, visitor: CurrentVisitor) -> Response:
        visitor.require("parties:write")
        return _import_page(request, visitor, pages, FormState({"file": ""}))

    @router.post(f"{base}/import", name=f"{role}_import")
    def import_file(
        request: Request, visitor: CurrentVisitor, session: Db, form: PostedForm
    ) -> Response:
        """The uploaded file is checked and previewed (nothing created); the preview's
        "Import" sends the same text back to create every row, or none."""
        visitor.require("parties:write")
        confirm = _text(form.get("action")) == "import"
        try:
            text = _import_text(form, confirm)
            result = transfer.import_csv(session, text, role, dry_run=not confirm)
        except DomainError as exc:
            state = failed_form(session, exc, {"file": ""})
            return _import_page(request, visitor, pages, state, status_code=state.status)
        if result.errors:
            # Nothing was created: every row is checked before any is written.
            return _import_page(
                request, visitor, pages, FormState({"file": ""}), result=result, status_code=422
            )
        if confirm:
            return redirect(f"{base}?notice=imported")
        return _import_page(
            request, visitor, pages, FormState({"file": ""}), result=result, text=text
        )

    @router.get(f"{base}/{{party_id}}", name=f"{role}_detail")
    def detail(request: Request, party_id: str, visitor: CurrentVisitor, session: Db) -> Response:
        visitor.require("parties:read")
        party = parties.get(session, parse_id(party_id), role)
        return _detail_page(request, visitor, session, pages, party)

    @router.get(f"{base}/{{party_id}}/edit", name=f"{role}_edit")
    def edit_page(
        request: Request, party_id: str, visitor: CurrentVisitor, session: Db
    ) -> Response:
        visitor.require("parties:write")
        party = parties.get(session, parse_id(party_id), role)
        contacts = parties.contacts_of(session, [party.id])[party.id]
        typed = _stored_party(pages, party, contacts)
        return _form_page(request, visitor, pages, typed, FormState(typed.form_values()), party)

    @router.post(f"{base}/{{party_id}}/edit", name=f"{role}_save")
    def save(
        request: Request,
        party_id: str,
        visitor: CurrentVisitor,
        session: Db,
        typed: TypedPartyForm,
    ) -> Response:
        visitor.require("parties:write")
        party = parties.get(session, parse_id(party_id), role)
        return _save(request, visitor, session, pages, typed, party)

    @router.post(f"{base}/{{party_id}}/archive", name=f"{role}_archive")
    def archive(party_id: str, visitor: CurrentVisitor, session: Db) -> Response:
        visitor.require("parties:write")
        party = parties.archive(session, parse_id(party_id), role=role, archived=True)
        return redirect(f"{base}/{party.id}?notice=archived")

    @router.post(f"{base}/{{party_id}}/restore", name=f"{role}_restore")
    def restore(party_id: str, visitor: CurrentVisitor, session: Db) -> Response:
        visitor.require("parties:write")
        party = parties.archive(session, parse_id(party_id), role=role, archived=False)
        return redirect(f"{base}/{party.id}?notice=restored")

    @router.post(f"{base}/{{party_id}}/delete", name=f"{role}_delete")
    def delete(request: Request, party_id: str, visitor: CurrentVisitor, session: Db) -> Response:
        visitor.require("parties:write")
        party = parties.get(session, parse_id(party_id), role)
        try:
            parties.delete_party(session, party.id, role=role)
        except DomainError as exc:
            discard(session, exc)
            party = parties.get(session, party.id, role)
            return _detail_page(
                request, visitor, session, pages, party, alert=exc.detail, status_code=exc.status
            )
        return redirect(f"{base}?notice=deleted")


_register(CUSTOMERS)
_register(SUPPLIERS)
