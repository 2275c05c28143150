"""The VAT return pages: a period's return laid out as the country's form, the lines
behind each box, downloads, filing, the filed returns and a chart of the year."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import Query, Request, Response

from comptoir.compliance.service import vat_exports, vat_layouts, vat_periods, vat_returns
from comptoir.compliance.service.vat_periods import Period
from comptoir.kit import clock
from comptoir.kit.errors import DomainError, FieldError, ValidationFailed
from comptoir.ledger.service.exports import encoded
from comptoir.web.formatting import page_formats
from comptoir.web.websession import (
    CurrentVisitor,
    Db,
    FormState,
    PostedForm,
    Visitor,
    attachment,
    discard,
    redirect,
    render,
    web_router,
)

router = web_router()

PAGE_SIZE = 200
PARTS = [
    ("", "Whole year"),
    *((f"Q{q}", f"Quarter {q}") for q in range(1, 5)),
    *(
        (f"{m:02d}", name)
        for m, name in enumerate(
            [
                "January",
                "February",
                "March",
                "April",
                "May",
                "June",
                "July",
                "August",
                "September",
                "October",
                "November",
                "December",
            ],
            start=1,
        )
    ),
]
LAYOUT_CHOICES = [("fr_ca3", "France (CA3)"), ("zm", "Zambia"), ("generic", "Generic")]
NOTICES = {"filed": "The return is filed: its boxes are frozen and the books locked."}
Text = Annotated[str, Query(max_length=30)]
# The chart's drawing area, in SVG units.
CHART_WIDTH = 720
CHART_HEIGHT = 160


def _today() -> date:
    return clock.now().date()


@dataclass
class Choice:
    period: Period | None
    layout: str
    form: FormState

    def query(self, **more: str) -> str:
        values = {"period": self.period.name if self.period else "", "layout": self.layout}
        return urlencode({k: v for k, v in {**values, **more}.items() if v})


def _choose(period: str, year: str, part: str, layout: str) -> Choice:
    """The period from ``period`` (links) or from the picker's year and part."""
    if not period and not year:
        # The quarter to file now: the last one that is over.
        today = _today()
        quarter = (today.month + 2) // 3 - 1
        period = f"{today.year}-Q{quarter}" if quarter else f"{today.year - 1}-Q4"
    if not period:
        period = f"{year.strip()}-{part}" if part else year.strip()
    values = {"period": period, "layout": layout}
    errors: dict[str, str] = {}
    chosen = None
    try:
        chosen = vat_periods.parse(period)
    except ValidationFailed as exc:
        errors["year"] = exc.errors[0].message
    if layout and layout not in vat_layouts.LAYOUTS:
        errors["layout"] = "Choose a layout from the list."
    if chosen is not None:
        values["year"] = str(chosen.start.year)
        values["part"] = chosen.name[5:] if len(chosen.name) == 7 else ""
    else:
        values |= {"year": year, "part": part}
    return Choice(chosen, layout, FormState(values, errors, status=422 if errors else 200))


def _bars(months: list[vat_returns.MonthTotals]) -> dict[str, Any]:
    peak = max([1] + [max(m.collected, m.deductible) for m in months])
    slot = CHART_WIDTH / 12
    bar = slot * 0.34
    bars = []
    for index, month in enumerate(months):
        x = index * slot + slot * 0.14
        bars.append(
            {
                "month": month.period.name,
                "label": month.period.start.strftime("%b"),
                "x": round(x, 1),
                "x2": round(x + bar + 2, 1),
                "mid": round(index * slot + slot / 2, 1),
                "collected": month.collected,
                "deductible": month.deductible,
                "h1": round(CHART_HEIGHT * max(0, month.collected) / peak, 1),
                "h2": round(CHART_HEIGHT * max(0, month.deductible) / peak, 1),
            }
        )
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "bar": round(bar, 1),
        "bars": bars,
        "peak": peak if any(b["collected"] or b["deductible"] for b in bars) else 0,
    }


def _page(
    request: Request,
    visitor: Visitor,
    session: Db,
    choice: Choice,
    *,
    file_form: FormState | None = None,
    notice: str = "",
    status_code: int | None = None,
) -> Response:
    computed = None
    if choice.period is not None and not choice.form.errors:
        try:
            computed = vat_returns.compute(session, choice.period, choice.layout or None)
        except ValidationFailed as exc:
            for error in exc.errors:
                choice.form.errors.setdefault(error.field, error.message)
            choice.form.status = 422
    year = choice.period.start.year if choice.period else _today().year
    filed = vat_returns.list_filed(session, limit=50)
    context: dict[str, Any] = {
        "section": "accounting",
        "subsection": "vat",
        "form": choice.form,
        "file_form": file_form
        or FormState({"period": choice.period.name if choice.period else ""}),
        "computed": computed,
        "parts": PARTS,
        "layout_choices": LAYOUT_CHOICES,
        "query": choice.query(),
        "filed_returns": filed.items,
        "chart": _bars(vat_returns.monthly(session, year)),
        "chart_year": year,
        "notice": NOTICES.get(notice),
        "can_file": visitor.can("reports:write"),
        "period_open": choice.period is not None and choice.period.end >= _today(),
        "period_name": lambda filed: vat_periods.between(filed.period_start, filed.period_end).name,
        "base_currency": visitor.organization.base_currency,
        **page_formats(visitor.organization),
    }
    status = status_code or max(choice.form.status, file_form.status if file_form else 200)
    return render(request, "compliance/vat.html", context, status_code=status)


@router.get("/accounting/vat")
def vat_page(
    request: Request,
    visitor: CurrentVisitor,
    session: Db,
    period: Text = "",
    year: Text = "",
    part: Text = "",
    layout: Text = "",
    notice: Text = "",
) -> Response:
    visitor.require("reports:read")
    return _page(request, visitor, session, _choose(period, year, part, layout), notice=notice)


Format = Annotated[Literal["csv", "pdf"], Query(alias="format")]


@router.get("/accounting/vat/download")
def vat_download(
    visitor: CurrentVisitor,
    session: Db,
    fmt: Format = "csv",
    period: Text = "",
    layout: Text = "",
) -> Response:
    visitor.require("reports:read")
    choice = _choose(period, "", "", layout)
    if choice.period is None or choice.form.errors:
        raise ValidationFailed([FieldError(k, v) for k, v in choice.form.errors.items()])
    computed = vat_returns.compute(session, choice.period, layout or None)
    name = vat_exports.filename(computed)
    if fmt == "pdf":
        body = vat_exports.to_pdf(computed, vat_returns.organization_name(session))
        return attachment(body, "application/pdf", f"{name}.pdf")
    body, media_type = encoded(vat_exports.table(computed), "csv")
    return attachment(body, media_type, f"{name}.csv")


@router.get("/accounting/vat/lines")
def vat_lines_page(
    request: Request,
    visitor: CurrentVisitor,
    session: Db,
    box: Text = "",
    period: Text = "",
    layout: Text = "",
    cursor: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    visitor.require("reports:read")
    choice = _choose(period, "", "", layout)
    page = None
    found = None
    if choice.period is not None and not choice.form.errors:
        try:
            computed = vat_returns.compute(session, choice.period, layout or None)
            found = computed.boxes().get(box)
            page = vat_returns.box_lines(
                session,
                choice.period,
                box,
                layout=layout or None,
                limit=PAGE_SIZE,
                cursor=cursor or None,
            )
        except ValidationFailed as exc:
            for error in exc.errors:
                choice.form.errors.setdefault(error.field, error.message)
            choice.form.status = 422
    next_url = None
    if page is not None and page.next_cursor:
        next_url = f"?{choice.query(box=box, cursor=page.next_cursor)}"
    return render(
        request,
        "compliance/vat_lines.html",
        {
            "section": "accounting",
            "subsection": "vat",
            "form": choice.form,
            "box": found if page is not None else None,
            "page": page,
            "period": choice.period,
            "back": f"/accounting/vat?{choice.query()}",
            "next_url": next_url,
            "base_currency": visitor.organization.base_currency,
            **page_formats(visitor.organization),
        },
        status_code=choice.form.status,
    )


def _text(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name)
    return value.strip()[:200] if isinstance(value, str) else ""


@router.post("/accounting/vat/file")
def vat_file(request: Request, visitor: CurrentVisitor, session: Db, form: PostedForm) -> Response:
    visitor.require("reports:write")
    values = {name: _text(form, name) for name in ("period", "layout", "reference", "confirm")}
    choice = _choose(values["period"][:30], "", "", values["layout"][:20])
    try:
        if choice.period is None or choice.form.errors:
            raise ValidationFailed.single(
                "period", choice.form.errors.get("year", "Choose the period to file.")
            )
        if values["confirm"] != "yes":
            raise ValidationFailed.single(
                "confirm", "Tick the box to confirm that this return is final.", "required"
            )
        vat_returns.file_return(
            session,
            choice.period,
            layout=values["layout"] or None,
            reference=values["reference"],
            actor_id=visitor.user.id,
        )
    except DomainError as exc:
        discard(session, exc)
        errors = (
            {e.field: e.message for e in exc.errors}
            if isinstance(exc, ValidationFailed)
            else {"period": exc.detail}
        )
        file_form = FormState(values, errors, status=exc.status)
        return _page(request, visitor, session, choice, file_form=file_form)
    return redirect(f"/accounting/vat?{choice.query(notice='filed')}", request)
