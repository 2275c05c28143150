"""The send dialog of the document pages: to whom, the subject and the message, first
filled from the organization's e-mail template for the document's language."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

from fastapi import Request, Response

from comptoir.kit.errors import FieldError, ValidationFailed
from comptoir.sales.service import email_templates, mailing
from comptoir.sales.views import common, detail
from comptoir.web.websession import Db, FormState, Visitor

if TYPE_CHECKING:
    from comptoir.sales.models import SalesDocument

SEND_FIELDS = ("to", "subject", "message")
_SEPARATORS = re.compile(r"[\s,;]+")
_ADDRESS_ERROR = re.compile(r"to\[\d+\]$")


def send_form(session: Db, document: SalesDocument) -> FormState:
    """The customer's address and the template's wording, merge fields still in braces:
    they are filled in when the e-mail goes."""
    template = email_templates.effective(session, document.kind, document.language)
    return FormState(
        {
            "to": mailing.default_recipient(session, document.party_id) or "",
            "subject": template.subject,
            "message": template.body,
        }
    )


def typed_send(form: Mapping[str, Any]) -> dict[str, str]:
    typed = {name: str(form.get(name) or "").strip() for name in SEND_FIELDS}
    # Browsers send a textarea's lines as CRLF; the templates use LF.
    typed["message"] = typed["message"].replace("\r\n", "\n")
    return typed


def send(typed: dict[str, str], deliver: Callable[..., Any]) -> None:
    """``deliver`` (the kind's sending service) with the dialog's values; an address that
    is refused is reported beside the addresses."""
    addresses = [address for address in _SEPARATORS.split(typed["to"]) if address]
    try:
        deliver(
            to=addresses,
            subject=typed["subject"] or None,
            message=typed["message"] or None,
        )
    except ValidationFailed as exc:
        raise ValidationFailed(
            [
                FieldError("to", error.message, error.code)
                if _ADDRESS_ERROR.match(error.field)
                else error
                for error in exc.errors
            ],
            exc.detail,
        ) from None


def send_page(request: Request, visitor: Visitor, session: Db, document: SalesDocument) -> Response:
    """The send form on a page of its own, for browsers without the dialog."""
    pages = common.KINDS[document.kind]
    return common.page(
        request,
        visitor,
        "sales/send_form.html",
        {"document": document, "pages": pages, "send_form": send_form(session, document)},
        nav=pages.nav,
    )


def send_document(
    actions: detail.PageActions, form: Mapping[str, Any], deliver: Callable[..., Any]
) -> Response:
    """The send dialog posted: ``deliver`` with its values, then back to the page; refused,
    the dialog opens again with the reasons."""
    typed = typed_send(form)
    pages = common.KINDS[actions.document.kind]
    return actions.run(
        partial(send, typed, deliver),
        f"{pages.path(actions.document)}?notice=sent",
        form="send_form",
        typed=typed,
    )
