"""VAT return API: the return of a period, the lines behind a box, the monthly series,
filing, and the filed returns."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from comptoir.compliance import vat_schemas as schemas
from comptoir.compliance.models import VatReturn
from comptoir.compliance.service import vat_exports, vat_periods, vat_returns
from comptoir.identity.service.sessions import Principal
from comptoir.kit.money import format_minor
from comptoir.ledger.service.exports import encoded
from comptoir.server.deps import DbSession, require_scope
from comptoir.server.idempotency import IdempotencyGuard
from comptoir.server.openapi import file_responses, problem_responses

router = APIRouter(prefix="/api/v1/accounting/vat", tags=["accounting"])

ReportsReader = Annotated[Principal, require_scope("reports:read")]
ReportsWriter = Annotated[Principal, require_scope("reports:write")]
PeriodQuery = Annotated[
    str | None,
    Query(
        max_length=30,
        description="`2026-03` (a month), `2026-Q1` (a quarter), `2026` (a year) or "
        "`2026-01-01..2026-02-15`",
        examples=["2026-Q1"],
    ),
]
FromQuery = Annotated[date | None, Query(description="With date_to, instead of period")]
ToQuery = Annotated[date | None, Query(description="Last day; a year after date_from at most")]
LayoutQuery = Annotated[
    schemas.LayoutName | None,
    Query(description="`fr_ca3`, `zm` or `generic`; by default the organization's country's"),
]


def filed_out(filed: VatReturn) -> schemas.VatFiledOut:
    money = filed.currency
    return schemas.VatFiledOut(
        id=filed.id,
        layout=filed.layout,
        period_start=filed.period_start,
        period_end=filed.period_end,
        currency=money,
        boxes=vat_returns.as_json_boxes(filed.boxes, money),
        net_due=format_minor(filed.net_due, money),
        reference=filed.reference,
        filed_at=filed.filed_at,
        filed_by_id=filed.filed_by_id,
    )


def return_out(computed: vat_returns.Computed) -> schemas.VatReturnOut:
    money = computed.currency

    def optional(value: int | None) -> str | None:
        return None if value is None else format_minor(value, money)

    return schemas.VatReturnOut(
        period=computed.period.name,
        date_from=computed.period.start,
        date_to=computed.period.end,
        layout=computed.layout.name,
        title=computed.layout.title,
        currency=money,
        sections=[
            schemas.VatSectionOut(
                code=section.code,
                label=section.label,
                label_en=section.label_en,
                boxes=[
                    schemas.VatBoxOut(
                        code=box.code,
                        label=box.label,
                        label_en=box.label_en,
                        base=optional(box.base),
                        amount=format_minor(box.amount, money),
                        drillable=box.drillable,
                    )
                    for box in section.boxes
                ],
            )
            for section in computed.sections
        ],
        net_due=format_minor(computed.net_due, money),
        credit=format_minor(computed.credit, money),
        filed=None if computed.filed is None else filed_out(computed.filed),
        differences=[
            schemas.VatDifferenceOut(
                box=key, filed=format_minor(filed, money), now=format_minor(now, money)
            )
            for key, (filed, now) in computed.differences().items()
        ],
        unmapped=[
            schemas.VatUnmappedOut(
                tax_code=row.tax_code,
                account=row.account_code,
                debit=format_minor(row.debit, money),
                credit=format_minor(row.credit, money),
                reason=row.reason,
            )
            for row in computed.unmapped
        ],
    )


@router.get(
    "",
    summary="VAT return of a period",
    response_model=schemas.VatReturnOut,
    responses=file_responses("text/csv", "application/pdf"),
)
def vat_return(
    principal: ReportsReader,
    session: DbSession,
    period: PeriodQuery = None,
    date_from: FromQuery = None,
    date_to: ToQuery = None,
    layout: LayoutQuery = None,
    format: schemas.VatFormat = "json",
) -> Response:
    """The VAT return of a month, a quarter, a year (`period`) or of two dates at most a
    year apart, computed from the posted ledger lines that carry a tax code, laid out as
    the organization's country's form: the French CA3 (`fr_ca3`), the Zambian return
    (`zm`) or a generic one (output and input VAT per rate). Each box gives its amount
    and, where the form has one, its base; `net_due` is negative when the period ends in
    a credit. When the period is filed, `filed` is the return as filed and
    `differences` the boxes the ledger now disagrees with. `unmapped` lists lines whose
    tax code no box takes. `format=csv` (columns `section, box, label, base, amount`) and
    `format=pdf` download the same figures.

    Example: `GET /api/v1/accounting/vat?period=2026-Q1`
    """
    chosen = vat_periods.choose(period, date_from, date_to)
    computed = vat_returns.compute(session, chosen, layout)
    if format == "json":
        return Response(return_out(computed).model_dump_json(), media_type="application/json")
    name = vat_exports.filename(computed)
    if format == "pdf":
        body = vat_exports.to_pdf(computed, vat_returns.organization_name(session))
        media_type = "application/pdf"
    else:
        body, media_type = encoded(vat_exports.table(computed), "csv")
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}.{format}"'},
    )


@router.get(
    "/lines",
    summary="Ledger lines behind a VAT box",
    response_model=schemas.VatLinePage,
    responses=problem_responses(422),
)
def vat_box_lines(
    principal: ReportsReader,
    session: DbSession,
    box: Annotated[
        str, Query(min_length=1, max_length=20, description="Box code", examples=["08"])
    ],
    period: PeriodQuery = None,
    date_from: FromQuery = None,
    date_to: ToQuery = None,
    layout: LayoutQuery = None,
    limit: Annotated[int, Query(ge=1, le=200, description="Lines per page")] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> schemas.VatLinePage:
    """The posted lines that fill one box of the return, in date order, with their entry,
    journal, account, party, base and VAT; each line's `value` is what it adds to the
    box, and the values of all the pages add up to the box. Boxes computed from other
    boxes (totals, the credit carried forward) answer 422.

    Example: `GET /api/v1/accounting/vat/lines?period=2026-Q1&box=08&limit=50`
    """
    chosen = vat_periods.choose(period, date_from, date_to)
    page = vat_returns.box_lines(session, chosen, box, layout=layout, limit=limit, cursor=cursor)
    money = vat_returns.organization_currency(session)
    return schemas.VatLinePage(
        items=[
            schemas.VatLineOut(
                line_id=line.line_id,
                entry_id=line.entry_id,
                entry_number=line.entry_number,
                journal=line.journal_code,
                date=line.date,
                account=line.account_code,
                label=line.label,
                party_id=line.party_id,
                party_name=line.party_name,
                tax_code=line.tax_code,
                base=format_minor(line.base, money),
                amount=format_minor(line.amount, money),
                value=format_minor(line.value, money),
            )
            for line in page.items
        ],
        next_cursor=page.next_cursor,
    )


@router.get("/monthly", summary="Collected and deductible VAT per month")
def vat_monthly(
    principal: ReportsReader,
    session: DbSession,
    year: Annotated[int, Query(ge=1900, le=2999, description="Calendar year", examples=[2026])],
) -> schemas.VatMonthlyOut:
    """For each month of the year: the VAT collected (due) and the VAT deductible, as the
    return of that month would count them; what the page's chart shows."""
    money = vat_returns.organization_currency(session)
    return schemas.VatMonthlyOut(
        year=year,
        currency=money,
        months=[
            schemas.VatMonthOut(
                month=month.period.name,
                collected=format_minor(month.collected, money),
                deductible=format_minor(month.deductible, money),
            )
            for month in vat_returns.monthly(session, year)
        ],
    )


@router.post(
    "/returns",
    summary="File a VAT return",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.VatFiledOut,
    responses=problem_responses(409),
)
def file_vat_return(
    body: schemas.VatFileIn, principal: ReportsWriter, session: DbSession, guard: IdempotencyGuard
) -> Response:
    """Computes the return of the period again, stores its boxes as filed and locks the
    books up to the period's last day (unless they are locked later already), so that
    nothing can be posted into a declared period any more. A filed return never changes;
    a correction goes into a later return. A period overlapping a filed return answers
    409 `vat_return_overlaps`. Send `Idempotency-Key` to make retries safe.

        {"period": "2026-Q1", "reference": "CA3 2026-Q1"}
    """

    def produce() -> schemas.VatFiledOut:
        chosen = vat_periods.choose(body.period, body.date_from, body.date_to)
        filed = vat_returns.file_return(
            session,
            chosen,
            layout=body.layout,
            reference=body.reference,
            actor_id=principal.user_id,
        )
        return filed_out(filed)

    return guard.run(principal, body, produce, status_code=status.HTTP_201_CREATED)


@router.get("/returns", summary="Filed VAT returns")
def list_vat_returns(
    principal: ReportsReader,
    session: DbSession,
    limit: Annotated[int, Query(ge=1, le=200, description="Returns per page")] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> schemas.VatFiledPage:
    """The returns filed so far, the latest period first, each with its frozen boxes."""
    page = vat_returns.list_filed(session, limit=limit, cursor=cursor)
    return schemas.VatFiledPage(
        items=[filed_out(filed) for filed in page.items], next_cursor=page.next_cursor
    )


@router.get("/returns/{return_id}", summary="One filed VAT return")
def get_vat_return(
    return_id: uuid.UUID, principal: ReportsReader, session: DbSession
) -> schemas.VatFiledOut:
    """The boxes as they were filed, the net due (negative: a credit), the reference,
    who filed it and when."""
    return filed_out(vat_returns.get(session, return_id))
