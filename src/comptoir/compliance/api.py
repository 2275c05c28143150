"""Compliance API: the FEC (export, checks, import) and exports to other accounting tools."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import StreamingResponse

from comptoir.compliance import schemas
from comptoir.compliance.service import exports, fec, fec_checks, fec_import
from comptoir.identity.service.sessions import Principal
from comptoir.kit.errors import ValidationFailed
from comptoir.server.deps import DbSession, get_database, require_scope
from comptoir.server.openapi import file_responses, problem_responses

router = APIRouter(prefix="/api/v1/accounting", tags=["accounting"])

ReportsReader = Annotated[Principal, require_scope("reports:read")]
EntriesWriter = Annotated[Principal, require_scope("entries:write")]
FiscalYearParam = Annotated[
    str,
    Query(
        min_length=1,
        max_length=40,
        description="The fiscal year: its id or its start date",
        examples=["2026-01-01"],
    ),
]


def check_out(result: fec_checks.ExportCheck) -> schemas.FecCheckOut:
    report = result.report
    return schemas.FecCheckOut(
        fiscal_year_start=result.year_start,
        fiscal_year_end=result.year_end,
        filename=result.filename,
        lines=report.lines,
        entries=report.entries,
        ok=report.ok,
        problems=[
            schemas.FecProblemOut(line=p.line, column=p.column, code=p.code, message=p.message)
            for p in report.problems
        ],
        more_problems=report.more,
    )


@router.get(
    "/fec",
    summary="Download the FEC of a fiscal year",
    response_class=StreamingResponse,
    responses={**file_responses("text/plain"), **problem_responses(404)},
)
def download_fec(
    request: Request,
    principal: ReportsReader,
    session: DbSession,
    fiscal_year: FiscalYearParam,
    separator: Annotated[
        fec.Separator, Query(description="Field separator: `|` (pipe) or a tab")
    ] = "pipe",
    encoding: Annotated[fec.Encoding, Query(description="Character set of the file")] = "utf-8",
    check: Annotated[
        bool, Query(description="Check the file first; refuse with 422 listing problems")
    ] = False,
) -> StreamingResponse:
    """The *fichier des écritures comptables* (article A47 A-1 of the LPF) of one fiscal
    year, streamed: the 18 legal columns after a header row, opening entries first, then
    entries in the order they were posted. The file is named `{SIREN}FEC{closing date}.txt`
    (Content-Disposition); without a SIREN in the organization settings the answer is 422.
    With `check=true` the file is checked first and any problem answers 422."""
    chosen = fec.plan(session, fiscal_year, separator=separator, encoding=encoding)
    if check:
        report = fec_checks.check_export(session, fiscal_year).report
        if report.problems:
            raise ValidationFailed(
                fec_import.problems_as_errors(report.problems),
                f"The FEC has {len(report.problems) + report.more} problem(s); "
                "see GET /api/v1/accounting/fec/check.",
            )
    return StreamingResponse(
        fec.stream(get_database(request), chosen),
        media_type=f"text/plain; charset={encoding}",
        headers={"Content-Disposition": f'attachment; filename="{chosen.filename}"'},
    )


@router.get(
    "/fec/check",
    summary="Check the FEC of a fiscal year",
    response_model=schemas.FecCheckOut,
    responses=problem_responses(404),
)
def check_fec(
    principal: ReportsReader, session: DbSession, fiscal_year: FiscalYearParam
) -> schemas.FecCheckOut:
    """Runs Comptoir's checks on the file it would produce: each entry balanced, numbers
    continuous per journal, dates inside the fiscal year, mandatory fields present,
    `CompteNum` starting with three digits, the columns, dates and amounts in the legal
    format. Each problem names its line and column."""
    return check_out(fec_checks.check_export(session, fiscal_year))


@router.post(
    "/fec/import",
    summary="Import a FEC file",
    response_model=schemas.FecImportOut,
    responses=problem_responses(409),
)
async def import_fec(
    principal: EntriesWriter,
    session: DbSession,
    file: Annotated[UploadFile, File(description="A FEC file (UTF-8 or ISO-8859-15)")],
) -> schemas.FecImportOut:
    """Migrates books from another tool: the file is checked (422 lists every problem with
    its line), then its accounts, journals, customers (`411…`) and suppliers (`401…`) are
    created when missing, its entries posted and its lettering redone, all or nothing. The
    years it covers must hold no posted entry (409 otherwise)."""
    raw = await file.read(fec_import.MAX_BYTES + 1)
    summary = fec_import.import_fec(session, raw, actor_id=principal.user_id)
    return schemas.FecImportOut(
        entries=summary.entries,
        lines=summary.lines,
        accounts_created=summary.accounts_created,
        journals_created=summary.journals_created,
        parties_created=summary.parties_created,
        matchings=summary.matchings,
        unmatched_letterings=summary.unmatched_letterings,
    )


@router.get(
    "/export",
    summary="Export the books to another accounting tool",
    response_class=StreamingResponse,
    responses=file_responses(*exports.MEDIA_TYPES),
)
def export_books(
    request: Request,
    principal: ReportsReader,
    session: DbSession,
    format: Annotated[
        exports.Format, Query(description="The file to produce (see the formats above)")
    ],
    date_from: Annotated[
        date | None,
        Query(
            description="First day (default: the current fiscal year's)", examples=["2026-01-01"]
        ),
    ] = None,
    date_to: Annotated[
        date | None,
        Query(description="Last day (default: the current fiscal year's)", examples=["2026-12-31"]),
    ] = None,
    opening: Annotated[
        bool,
        Query(
            description="hledger and beancount: start with the opening balances of `date_from` "
            "(Pennylane always does)"
        ),
    ] = False,
) -> StreamingResponse:
    """The posted lines dated between `date_from` and `date_to` (at most 10 years; an
    inverted or longer range answers 422), streamed in one of these formats:

    - `pennylane`: the FEC layout Pennylane imports (18 columns, `|`, UTF-8);
    - `sage`: Sage 100 Comptabilité's fixed-width import layout (Windows-1252, CR LF);
    - `sage-tab`: the same fields tab-separated with a header row;
    - `csv`: one row per ledger line with every field (UTF-8, header row);
    - `hledger`: an hledger journal, one transaction per entry;
    - `beancount`: a beancount ledger with its `open` directives.

    `pennylane` starts with the balances of `date_from` (the opening entry of a close, else
    one made up from the balances the day before); `opening=true` does the same for
    `hledger` and `beancount`. A `sage` range with a journal code longer than 3 characters
    answers 422 `journal_code_too_long`.

    The file is named `{SIREN or organization}_{format}_{from}_{to}.{ext}`
    (Content-Disposition). Columns and layouts: docs/accounting-exports.md."""
    chosen = exports.plan(session, format, date_from, date_to, opening=opening)
    return StreamingResponse(
        exports.stream(get_database(request), chosen),
        media_type=chosen.kind.media_type,
        headers={"Content-Disposition": f'attachment; filename="{chosen.filename}"'},
    )
