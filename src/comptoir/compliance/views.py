"""The FEC pages: choose a fiscal year, check its file, download it; import a FEC. The
exports page: the books of a range of dates in another accounting tool's format."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Query, Request, Response
from fastapi.responses import StreamingResponse
from starlette.datastructures import UploadFile

from comptoir.compliance.service import exports, fec, fec_checks, fec_import
from comptoir.kit.errors import DomainError, ValidationFailed
from comptoir.server.deps import get_database
from comptoir.web.formatting import page_formats
from comptoir.web.websession import (
    CurrentVisitor,
    Db,
    FormState,
    PostedForm,
    Visitor,
    discard,
    failed_form,
    redirect,
    render,
    web_router,
)

router = web_router()

NOTICES = {"imported": "The FEC is imported: its entries are posted."}


def _page(
    request: Request,
    visitor: Visitor,
    session: Db,
    *,
    fiscal_year: str = "",
    checked: fec_checks.ExportCheck | None = None,
    import_errors: list[dict[str, Any]] | None = None,
    import_alert: str | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    years = fec.fiscal_years(session)
    return render(
        request,
        "compliance/fec.html",
        {
            "section": "accounting",
            "subsection": "fec",
            "years": years,
            "chosen": fiscal_year or (str(years[0].start_date) if years else ""),
            "checked": checked,
            "import_errors": import_errors or [],
            "import_alert": import_alert,
            "notice": NOTICES.get(notice or ""),
            **page_formats(visitor.organization),
        },
        status_code=status_code,
    )


@router.get("/accounting/fec")
def fec_page(
    request: Request,
    visitor: CurrentVisitor,
    session: Db,
    fiscal_year: Annotated[str, Query(max_length=40)] = "",
    check: bool = False,
    notice: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    visitor.require("reports:read")
    checked = fec_checks.check_export(session, fiscal_year) if check and fiscal_year else None
    return _page(request, visitor, session, fiscal_year=fiscal_year, checked=checked, notice=notice)


@router.get("/accounting/fec/download")
def fec_download(
    request: Request,
    visitor: CurrentVisitor,
    session: Db,
    fiscal_year: Annotated[str, Query(min_length=1, max_length=40)],
    separator: fec.Separator = "pipe",
    encoding: fec.Encoding = "utf-8",
) -> Response:
    visitor.require("reports:read")
    chosen = fec.plan(session, fiscal_year, separator=separator, encoding=encoding)
    return StreamingResponse(
        fec.stream(get_database(request), chosen),
        media_type=f"text/plain; charset={encoding}",
        headers={"Content-Disposition": f'attachment; filename="{chosen.filename}"'},
    )


@router.post("/accounting/fec/import")
def fec_import_form(
    request: Request, visitor: CurrentVisitor, session: Db, form: PostedForm
) -> Response:
    visitor.require("entries:write")
    upload = form.get("file")
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise ValidationFailed.single("file", "Choose a FEC file to import.", "missing_file")
        raw = upload.file.read(fec_import.MAX_BYTES + 1)
        fec_import.import_fec(session, raw, actor_id=visitor.user.id)
    except DomainError as exc:
        discard(session, exc)
        errors = exc.errors if isinstance(exc, ValidationFailed) else []
        return _page(
            request,
            visitor,
            session,
            import_errors=[{"row": e.row, "column": e.field, "message": e.message} for e in errors],
            import_alert=exc.detail,
            status_code=exc.status,
        )
    return redirect("/accounting/fec?notice=imported")


def _exports_page(request: Request, visitor: Visitor, form: FormState) -> Response:
    return render(
        request,
        "compliance/exports.html",
        {
            "section": "accounting",
            "subsection": "exports",
            "form": form,
            "formats": [(name, exports.KINDS[name]) for name in exports.FORMATS],
            **page_formats(visitor.organization),
        },
        status_code=form.status,
    )


@router.get("/accounting/exports")
def exports_page(request: Request, visitor: CurrentVisitor, session: Db) -> Response:
    visitor.require("reports:read")
    start, end = exports.default_range(session)
    values = {"format": "csv", "date_from": start.isoformat(), "date_to": end.isoformat()}
    return _exports_page(request, visitor, FormState(values))


@router.get("/accounting/exports/download")
def exports_download(
    request: Request,
    visitor: CurrentVisitor,
    session: Db,
    format: Annotated[str, Query(max_length=100)] = "",
    date_from: Annotated[str, Query(max_length=100)] = "",
    date_to: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    visitor.require("reports:read")
    values = {"format": format, "date_from": date_from, "date_to": date_to}
    errors: dict[str, str] = {}
    days: dict[str, date] = {}
    for name in ("date_from", "date_to"):
        try:
            days[name] = date.fromisoformat(values[name].strip())
        except ValueError:
            errors[name] = "Use a date like 2026-12-31."
    if errors:
        return _exports_page(request, visitor, FormState(values, errors, status=422))
    try:
        chosen = exports.plan(session, format, days["date_from"], days["date_to"])
    except ValidationFailed as exc:
        return _exports_page(request, visitor, failed_form(session, exc, values))
    return StreamingResponse(
        exports.stream(get_database(request), chosen),
        media_type=chosen.kind.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{chosen.filename}"',
            "Cache-Control": "no-store",
        },
    )
