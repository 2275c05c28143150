"""The customer statement a customer's page links to: a PDF in the customer's language."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Response

from comptoir.sales.service import statements
from comptoir.sales.views import common
from comptoir.web.websession import CurrentVisitor, Db, parse_id, web_router

router = web_router()


@router.get("/sales/customers/{party_id}/statement")
def statement_pdf(
    party_id: str,
    visitor: CurrentVisitor,
    session: Db,
    date_from: Annotated[str, Query(max_length=10)] = "",
    date_to: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    """From the first of January to today unless the link says otherwise."""
    visitor.require("reports:read")
    found = statements.statement(
        session,
        parse_id(party_id, "No such customer."),
        date_from=common.day(date_from),
        date_to=common.day(date_to) or common.today(visitor),
    )
    return Response(
        statements.render_pdf(session, found),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{statements.file_name(found)}"',
            "Cache-Control": "no-store",
        },
    )
