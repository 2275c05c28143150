"""The wording of the e-mails that carry sales documents: a built-in text per kind and
language, which an organization may replace with its own.

Templates are plain text with merge fields such as ``{customer_name}``. Users edit them,
so they are never run through Jinja or ``str.format`` (both reach attributes of the
values): a regular expression swaps each known ``{name}`` for its text and nothing else.
``{{`` and ``}}`` write a literal brace; a name that is not a merge field is refused
when the template is saved."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from babel import Locale, UnknownLocaleError
from sqlalchemy import select
from sqlalchemy.orm import Session

from comptoir.audit import service as audit
from comptoir.identity.service import organizations
from comptoir.kit.errors import FieldError, NotFound, ValidationFailed
from comptoir.sales.models import EmailTemplate

KINDS = ("quote", "invoice", "credit_note", "reminder", "statement")
BUILT_IN_LANGUAGES = ("en", "fr")
SUBJECT_LIMIT = 300
BODY_LIMIT = 20_000

FIELDS: dict[str, str] = {
    "customer_name": "The customer's name",
    "company_name": "Your organization's name",
    "document_number": "The quote, invoice or credit note number",
    "issue_date": "The document's date",
    "due_date": "The invoice's due date",
    "valid_until": "The last day the quote can be accepted",
    "total": "The document's total including tax, with its currency",
    "amount_due": "What is left to pay on the invoice (the balance, on a statement)",
    "days_overdue": "Days since the due date (0 before it)",
    "reference": "The customer's reference",
    "portal_link": "The link where the customer views the document online",
}

# {{ and }} are literal braces; anything else between braces must name a merge field
# (spaces inside are forgiven), so that {customer_name.__class__} is refused, not kept.
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}\n]{0,100})\}")

_BUILT_IN: dict[str, dict[str, tuple[str, str]]] = {
    "en": {
        "quote": (
            "Quote {document_number} from {company_name}",
            "Hello {customer_name},\n\n"
            "Please find attached our quote {document_number} for {total}, valid until "
            "{valid_until}.\n\n"
            "You can view and accept it online: {portal_link}\n\n"
            "Best regards,\n{company_name}",
        ),
        "invoice": (
            "Invoice {document_number} from {company_name}",
            "Hello {customer_name},\n\n"
            "Please find attached invoice {document_number} for {total}, due on {due_date}.\n\n"
            "You can also view it online: {portal_link}\n\n"
            "Thank you for your business,\n{company_name}",
        ),
        "credit_note": (
            "Credit note {document_number} from {company_name}",
            "Hello {customer_name},\n\n"
            "Please find attached credit note {document_number} for {total}.\n\n"
            "You can also view it online: {portal_link}\n\n"
            "Best regards,\n{company_name}",
        ),
        "reminder": (
            "Payment reminder: invoice {document_number}",
            "Hello {customer_name},\n\n"
            "This is a reminder that invoice {document_number}, due on {due_date}, still has "
            "{amount_due} to pay.\n\n"
            "If you have already paid it, please disregard this message. You can view the "
            "invoice online: {portal_link}\n\n"
            "Best regards,\n{company_name}",
        ),
        "statement": (
            "Statement of account from {company_name}",
            "Hello {customer_name},\n\n"
            "Please find attached your statement of account. The balance due is {amount_due}."
            "\n\nBest regards,\n{company_name}",
        ),
    },
    "fr": {
        "quote": (
            "Devis {document_number} de {company_name}",
            "Bonjour {customer_name},\n\n"
            "Veuillez trouver ci-joint notre devis {document_number} d'un montant de {total}, "
            "valable jusqu'au {valid_until}.\n\n"
            "Vous pouvez le consulter et l'accepter en ligne : {portal_link}\n\n"
            "Cordialement,\n{company_name}",
        ),
        "invoice": (
            "Facture {document_number} de {company_name}",
            "Bonjour {customer_name},\n\n"
            "Veuillez trouver ci-joint la facture {document_number} d'un montant de {total}, "
            "à régler au plus tard le {due_date}.\n\n"
            "Vous pouvez aussi la consulter en ligne : {portal_link}\n\n"
            "Merci de votre confiance,\n{company_name}",
        ),
        "credit_note": (
            "Avoir {document_number} de {company_name}",
            "Bonjour {customer_name},\n\n"
            "Veuillez trouver ci-joint l'avoir {document_number} d'un montant de {total}.\n\n"
            "Vous pouvez aussi le consulter en ligne : {portal_link}\n\n"
            "Cordialement,\n{company_name}",
        ),
        "reminder": (
            "Relance : facture {document_number}",
            "Bonjour {customer_name},\n\n"
            "Nous vous rappelons que la facture {document_number}, à échéance du {due_date}, "
            "présente un solde de {amount_due} restant à régler.\n\n"
            "Si vous l'avez déjà réglée, merci de ne pas tenir compte de ce message. Vous "
            "pouvez consulter la facture en ligne : {portal_link}\n\n"
            "Cordialement,\n{company_name}",
        ),
        "statement": (
            "Relevé de compte de {company_name}",
            "Bonjour {customer_name},\n\n"
            "Veuillez trouver ci-joint votre relevé de compte. Le solde restant dû est de "
            "{amount_due}.\n\nCordialement,\n{company_name}",
        ),
    },
}


@dataclass(frozen=True)
class Template:
    kind: str
    language: str
    subject: str
    body: str
    # False: the built-in wording; True: the organization's own.
    customized: bool
    updated_at: datetime | None = None


def language_of(value: str | None) -> str:
    """The language part of a locale (``fr`` for ``fr_BE`` or ``fr-FR``); English when
    it is missing or unknown."""
    try:
        return Locale.parse((value or "en").replace("-", "_")).language
    except (UnknownLocaleError, ValueError, TypeError):
        return "en"


def check_language(value: object, field: str = "language") -> str:
    text = str(value or "").strip()
    try:
        return Locale.parse(text.replace("-", "_")).language
    except (UnknownLocaleError, ValueError, TypeError):
        raise ValidationFailed.single(
            field, "A language code such as en or fr.", "invalid"
        ) from None


def requested_language(session: Session, value: str | None) -> str:
    """The language a client asked for, else the organization's own."""
    if value is None:
        return language_of(organizations.get_current(session).locale)
    return check_language(value)


def require_kind(kind: str) -> str:
    if kind not in KINDS:
        raise NotFound(f"No such e-mail template; the kinds are {', '.join(KINDS)}.")
    return kind


def unknown_fields(text: str) -> list[str]:
    """What ``text`` puts between braces that is not a merge field, in order."""
    names = (m.group(1).strip() for m in _TOKEN.finditer(text) if m.group(1) is not None)
    return list(dict.fromkeys(name for name in names if name not in FIELDS))


def check_text(text: object, field: str, limit: int, *, required: bool = True) -> str:
    """A subject or body as given, or ValidationFailed naming the field and, when it uses
    one, the unknown merge field."""
    value = str(text or "").strip() if text is not None else ""
    if not value:
        if required:
            raise ValidationFailed.single(field, "Write something here.", "required")
        return value
    if len(value) > limit:
        raise ValidationFailed.single(field, f"At most {limit} characters.", "too_long")
    unknown = unknown_fields(value)
    if unknown:
        names = ", ".join(f"{{{name}}}" for name in unknown)
        raise ValidationFailed.single(
            field,
            f"Unknown merge field {names}; use one of "
            f"{', '.join(f'{{{name}}}' for name in FIELDS)}, or write {{{{ for a brace.",
            "unknown_merge_field",
        )
    return value


def fill(text: str, values: Mapping[str, str]) -> str:
    """``text`` with each merge field replaced by its value (empty when the document has
    none, a quote's due date say). Values are inserted as they are: never read again."""

    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        name = match.group(1).strip()
        return values.get(name, "") if name in FIELDS else token

    return _TOKEN.sub(replace, text)


def built_in(kind: str, language: str) -> Template:
    texts = _BUILT_IN.get(language, _BUILT_IN["en"])
    subject, body = texts[kind]
    return Template(kind, language if language in _BUILT_IN else "en", subject, body, False)


def _row(session: Session, kind: str, language: str) -> EmailTemplate | None:
    return session.scalar(
        select(EmailTemplate).where(EmailTemplate.kind == kind, EmailTemplate.language == language)
    )


def _from_row(row: EmailTemplate) -> Template:
    return Template(row.kind, row.language, row.subject, row.body, True, row.updated_at)


def get(session: Session, kind: str, language: str) -> Template:
    """The template of ``kind`` in exactly ``language``: the organization's, else built-in
    (English for a language without a built-in text)."""
    require_kind(kind)
    row = _row(session, kind, language)
    return _from_row(row) if row is not None else built_in(kind, language)


def effective(session: Session, kind: str, language: str | None) -> Template:
    """What a mail to a reader of ``language`` uses: the organization's text in that
    language, the built-in one in it, then the organization's English one."""
    wanted = language_of(language)
    found = get(session, kind, wanted)
    if found.customized or wanted in _BUILT_IN:
        return found
    return get(session, kind, "en")


def list_templates(session: Session) -> list[Template]:
    """Every kind in the built-in languages and in any language the organization wrote."""
    rows = {(row.kind, row.language): row for row in session.scalars(select(EmailTemplate))}
    languages = sorted(set(BUILT_IN_LANGUAGES) | {language for _, language in rows})
    return [
        _from_row(rows[(kind, language)])
        if (kind, language) in rows
        else Template(kind, language, *_BUILT_IN.get(language, _BUILT_IN["en"])[kind], False)
        for kind in KINDS
        for language in languages
    ]


def save(session: Session, kind: str, language: str, subject: object, body: object) -> Template:
    require_kind(kind)
    errors: list[FieldError] = []
    clean: dict[str, str] = {}
    for field, value, limit in (("subject", subject, SUBJECT_LIMIT), ("body", body, BODY_LIMIT)):
        try:
            clean[field] = check_text(value, field, limit)
        except ValidationFailed as exc:
            errors.extend(exc.errors)
    if "subject" in clean and "\n" in clean["subject"]:
        errors.append(FieldError("subject", "A subject is one line.", "invalid"))
    if errors:
        raise ValidationFailed(errors)
    row = _row(session, kind, language)
    before = {"subject": row.subject, "body": row.body} if row is not None else None
    if row is None:
        row = EmailTemplate(kind=kind, language=language, **clean)
        session.add(row)
    else:
        row.subject, row.body = clean["subject"], clean["body"]
    session.flush()
    audit.record(
        session,
        "email_template.updated",
        target_type="email_template",
        target_id=row.id,
        before=before,
        after={"kind": kind, "language": language, **clean},
    )
    return _from_row(row)


def reset(session: Session, kind: str, language: str) -> Template:
    """Back to the built-in wording; nothing to do when the template was never changed."""
    require_kind(kind)
    row = _row(session, kind, language)
    if row is not None:
        session.delete(row)
        session.flush()
        audit.record(
            session,
            "email_template.reset",
            target_type="email_template",
            target_id=row.id,
            before={"kind": kind, "language": language, "subject": row.subject},
        )
    return built_in(kind, language)
