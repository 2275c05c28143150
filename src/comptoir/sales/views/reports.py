"""The aged receivables page: what each customer owed on a date, by days past due."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Query, Request, Response

from comptoir.kit import ageing
from comptoir.parties.service import parties
from comptoir.parties.service.parties import Party
from comptoir.sales.service import receivables
from comptoir.sales.views import common
from comptoir.web.websession import CurrentVisitor, Db, FormState, web_router

router = web_router()

BUCKET_LABELS = {
    "not_due": "Not yet due",
    "days_1_30": "1-30 days",
    "days_31_60": "31-60 days",
    "days_61_90": "61-90 days",
    "over_90": "Over 90 days",
}


@dataclass(frozen=True)
class CurrencyReport:
    currency: str
    rows: list[tuple[Party, ageing.AgedLine]]
    total: ageing.AgedLine


@router.get("/sales/reports/aged-receivables")
def aged_receivables_page(
    request: Request,
    visitor: CurrentVisitor,
    session: Db,
    as_of: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    visitor.require("reports:read")
    form = FormState({"as_of": as_of.strip()})
    on = common.day(as_of)
    if as_of.strip() and on is None:
        form.errors["as_of"] = "A date such as 2026-01-31."
    on = on or common.today(visitor)
    form.values["as_of"] = on.isoformat()
    lines = receivables.aged_receivables(session, on)
    customers = parties.by_ids(session, {line.party_id for line in lines})
    reports = []
    for currency in sorted({line.currency for line in lines}):
        rows = sorted(
            (line for line in lines if line.currency == currency),
            key=lambda line: customers[line.party_id].name.lower(),
        )
        reports.append(
            CurrencyReport(
                currency,
                [(customers[line.party_id], line) for line in rows],
                ageing.total_of(rows),
            )
        )
    return common.page(
        request,
        visitor,
        "sales/aged_receivables.html",
        {
            "form": form,
            "as_of": on,
            "reports": reports,
            "buckets": list(BUCKET_LABELS.items()),
        },
        nav="aged_receivables",
    )
