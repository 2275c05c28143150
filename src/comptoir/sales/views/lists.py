"""The list of one kind of document: search, status, customer, dates, sort and pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, Query, Request, Response

from comptoir.sales.service import documents
from comptoir.sales.views import common
from comptoir.sales.views.common import KindPages
from comptoir.web.websession import Db, FormState, Visitor, notice

STATUS_FILTERS: dict[str, list[tuple[str, str]]] = {
    "invoice": [
        ("draft", "Drafts"),
        ("open", "Unpaid"),
        ("overdue", "Overdue"),
        ("issued", "Issued, not sent"),
        ("sent", "Sent"),
        ("partially_paid", "Partly paid"),
        ("paid", "Paid"),
        ("cancelled", "Cancelled"),
    ],
    "credit_note": [("draft", "Drafts"), ("issued", "Issued")],
    "quote": [
        ("draft", "Drafts"),
        ("submitted", "Awaiting approval"),
        ("approved", "Approved"),
        ("rejected", "Rejected"),
        ("sent", "Sent"),
        ("accepted", "Accepted"),
        ("declined", "Declined"),
        ("expired", "Expired"),
        ("converted", "Invoiced"),
    ],
}
SORTS: dict[str, list[tuple[str, str]]] = {
    "invoice": [
        ("-created", "Newest first"),
        ("-issue_date", "Latest issue date"),
        ("issue_date", "Earliest issue date"),
        ("due_date", "Soonest due"),
        ("-gross", "Largest total"),
        ("-number", "Number, last first"),
    ],
    "credit_note": [
        ("-created", "Newest first"),
        ("-issue_date", "Latest issue date"),
        ("-gross", "Largest total"),
        ("-number", "Number, last first"),
    ],
    "quote": [
        ("-created", "Newest first"),
        ("-issue_date", "Latest issue date"),
        ("-gross", "Largest total"),
    ],
}


@dataclass(frozen=True)
class ListQuery:
    q: str = ""
    status: str = ""
    customer: str = ""
    date_from: str = ""
    date_to: str = ""
    sort: str = ""
    cursor: str | None = None


def _list_query(
    q: Annotated[str, Query(max_length=200)] = "",
    status: Annotated[str, Query(max_length=20)] = "",
    customer: Annotated[str, Query(max_length=200)] = "",
    date_from: Annotated[str, Query(max_length=10)] = "",
    date_to: Annotated[str, Query(max_length=10)] = "",
    sort: Annotated[str, Query(max_length=20)] = "",
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> ListQuery:
    return ListQuery(q, status, customer, date_from, date_to, sort, cursor)


# The query string of every list page, read and bounded the same way.
Listed = Annotated[ListQuery, Depends(_list_query)]


def list_page(
    request: Request,
    visitor: Visitor,
    session: Db,
    pages: KindPages,
    query: ListQuery,
    *,
    notices: dict[str, str] | None = None,
) -> Response:
    status_options = STATUS_FILTERS[pages.kind]
    sort_options = SORTS[pages.kind]
    filters = {
        "q": query.q.strip(),
        "status": query.status if query.status in dict(status_options) else "",
        "customer": query.customer.strip(),
        "date_from": query.date_from.strip(),
        "date_to": query.date_to.strip(),
        "sort": query.sort if query.sort in dict(sort_options) else "",
    }
    form = FormState(filters)
    party = common.customer_by_text(session, filters["customer"])
    if filters["customer"] and party is None:
        form.errors["customer"] = "No such customer: pick one from the list."
    for name in ("date_from", "date_to"):
        if filters[name] and common.day(filters[name]) is None:
            form.errors[name] = "A date such as 2026-01-31."
    page = documents.list_documents(
        session,
        documents.DocumentFilter(
            kind=pages.kind,
            status=filters["status"] or None,
            party_id=party.id if party else None,
            date_from=common.day(filters["date_from"]),
            date_to=common.day(filters["date_to"]),
            q=filters["q"] or None,
            sort=filters["sort"] or documents.NEWEST_FIRST,
        ),
        limit=common.PAGE_SIZE,
        cursor=query.cursor,
    )
    kept = {name: value for name, value in filters.items() if value}
    return common.page(
        request,
        visitor,
        "sales/documents.html",
        {
            "pages": pages,
            "rows": page.items,
            "customers_of": documents.customers_of(session, page.items),
            "form": form,
            "filtered": any(value for name, value in kept.items() if name != "sort"),
            "status_options": status_options,
            "sort_options": sort_options,
            "customers": common.customer_options(session),
            "writer": visitor.can(pages.write),
            "first_page": query.cursor is None,
            "first_url": pages.base + (f"?{urlencode(kept)}" if kept else ""),
            "next_url": f"{pages.base}?" + urlencode({**kept, "cursor": page.next_cursor})
            if page.next_cursor
            else None,
            "notice": notice(request, notices or {}),
        },
        nav=pages.nav,
    )
