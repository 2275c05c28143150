"""Exchange rates: per date and currency pair, entered by hand or imported (CSV, ECB)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from comptoir.audit import service as audit
from comptoir.kit.csvtext import read_records, read_rows
from comptoir.kit.errors import FieldError, NotFound, ValidationFailed
from comptoir.kit.money import from_minor, is_currency, round_to_minor
from comptoir.kit.pagination import Page, sorted_keyset_page
from comptoir.ledger.models import ExchangeRate

RATE_PLACES = Decimal("0.000000000001")
MAX_RATE = Decimal("1e9")
# ECB reference rates are quoted against the euro; cross rates go through it.
PIVOT = "EUR"


def _currency(value: str, field: str) -> str:
    code = (value or "").strip().upper()
    if not is_currency(code):
        raise ValidationFailed.single(field, "Use a three-letter ISO 4217 currency code.")
    return code


def parse_rate(value: object, field: str = "rate") -> Decimal:
    try:
        rate = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationFailed.single(field, "This is not a number.") from None
    if not rate.is_finite() or rate <= 0 or rate >= MAX_RATE:
        raise ValidationFailed.single(field, "A rate is a positive number below one billion.")
    return rate.quantize(RATE_PLACES)


def set_rate(
    session: Session, base: str, quote: str, on: date, rate: object, *, source: str = "manual"
) -> ExchangeRate:
    """Record that one ``base`` buys ``rate`` ``quote`` on ``on`` (replacing that day's rate)."""
    base_code, quote_code = _currency(base, "base"), _currency(quote, "quote")
    if base_code == quote_code:
        raise ValidationFailed.single("quote", "The two currencies must differ.")
    value = parse_rate(rate)
    existing = session.scalar(
        select(ExchangeRate).where(
            ExchangeRate.base == base_code,
            ExchangeRate.quote == quote_code,
            ExchangeRate.date == on,
        )
    )
    if existing is not None:
        existing.rate, existing.source = value, source
        session.flush()
        return existing
    row = ExchangeRate(base=base_code, quote=quote_code, date=on, rate=value, source=source)
    session.add(row)
    session.flush()
    return row


def delete_rate(session: Session, rate_id: uuid.UUID) -> None:
    row = session.get(ExchangeRate, rate_id)
    if row is None:
        raise NotFound("No such exchange rate.")
    session.delete(row)
    session.flush()


@dataclass(frozen=True)
class RateFilter:
    base: str | None = None
    quote: str | None = None
    date_from: date | None = None
    date_to: date | None = None


def list_rates(
    session: Session, filters: RateFilter, *, limit: int | None = None, cursor: str | None = None
) -> Page[ExchangeRate]:
    """Newest date first, a page at a time."""
    query = select(ExchangeRate)
    if filters.base:
        query = query.where(ExchangeRate.base == filters.base.upper())
    if filters.quote:
        query = query.where(ExchangeRate.quote == filters.quote.upper())
    if filters.date_from:
        query = query.where(ExchangeRate.date >= filters.date_from)
    if filters.date_to:
        query = query.where(ExchangeRate.date <= filters.date_to)
    return sorted_keyset_page(
        session,
        query,
        ExchangeRate.date,
        ExchangeRate.id,
        descending=True,
        limit=limit,
        cursor=cursor,
    )


def _latest(session: Session, base: str, quote: str, on: date) -> Decimal | None:
    row = session.scalars(
        select(ExchangeRate)
        .where(ExchangeRate.base == base, ExchangeRate.quote == quote, ExchangeRate.date <= on)
        .order_by(ExchangeRate.date.desc())
        .limit(1)
    ).first()
    return row.rate if row else None


def _direct(session: Session, source: str, target: str, on: date) -> Decimal | None:
    rate = _latest(session, source, target, on)
    if rate is not None:
        return rate
    inverse = _latest(session, target, source, on)
    return (Decimal(1) / inverse).quantize(RATE_PLACES) if inverse is not None else None


def find_rate(
    session: Session, source: str, target: str, on: date, field: str = "exchange_rate"
) -> Decimal:
    """Units of ``target`` for one ``source``: the latest rate on or before ``on``, direct,
    inverse, or crossed through the euro. A missing rate is an error, never 1."""
    if source == target:
        return Decimal(1)
    rate = _direct(session, source, target, on)
    if rate is None and PIVOT not in (source, target):
        via_source = _direct(session, source, PIVOT, on)
        via_target = _direct(session, PIVOT, target, on)
        if via_source is not None and via_target is not None:
            rate = (via_source * via_target).quantize(RATE_PLACES)
    if rate is None:
        raise ValidationFailed.single(
            field,
            f"No {source}/{target} exchange rate on or before {on.isoformat()}; add one first.",
            "missing_exchange_rate",
        )
    return rate


def convert(amount: int, source: str, target: str, rate: Decimal) -> int:
    """Minor units of ``source`` to minor units of ``target`` at ``rate``, rounded half-up."""
    return round_to_minor(from_minor(amount, source) * rate, target)


@dataclass(frozen=True)
class ImportResult:
    imported: int
    errors: list[FieldError]


def _parse_day(text: str) -> date:
    text = text.strip()
    for pattern in ("%Y-%m-%d", "%d %B %Y", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(text)


def import_csv(session: Session, text: str) -> ImportResult:
    """Rows ``date,base,quote,rate``; nothing is written unless every row is valid."""
    header, records = read_records(text)
    missing = {"date", "base", "quote", "rate"} - set(header)
    if missing:
        raise ValidationFailed.single("file", f"Missing column(s): {', '.join(sorted(missing))}.")
    rows: list[tuple[str, str, date, object]] = []
    errors: list[FieldError] = []
    for number, row in records:
        try:
            day = _parse_day(row["date"] or "")
        except ValueError:
            errors.append(FieldError("date", "Use YYYY-MM-DD.", row=number))
            continue
        try:
            base, quote = _currency(row["base"], "base"), _currency(row["quote"], "quote")
            parse_rate(row["rate"])
        except ValidationFailed as exc:
            errors += [FieldError(e.field, e.message, e.code, row=number) for e in exc.errors]
            continue
        rows.append((base, quote, day, row["rate"]))
    if errors:
        raise ValidationFailed(errors, f"{len(errors)} row(s) need fixing; nothing was imported.")
    for base, quote, day, rate in rows:
        set_rate(session, base, quote, day, rate, source="csv")
    audit.record(
        session,
        "exchange_rates.imported",
        target_type="exchange_rates",
        after={"rows": len(rows), "format": "csv"},
    )
    return ImportResult(len(rows), [])


def import_ecb(session: Session, text: str) -> ImportResult:
    """The European Central Bank's ``eurofxref`` CSV (daily or historical): one row per day,
    one column per currency, each the units of that currency for one euro."""
    rows = read_rows(text)
    header = [h.strip() for h in rows[0]] if rows else []
    if not header or header[0] != "Date":
        raise ValidationFailed.single(
            "file", "This is not an ECB eurofxref CSV file (no Date column)."
        )
    count = 0
    for row in rows[1:]:
        if not row or not row[0].strip():
            continue
        try:
            day = _parse_day(row[0])
        except ValueError:
            raise ValidationFailed.single("file", f"Unreadable date {row[0]!r}.") from None
        for code, cell in zip(header[1:], row[1:], strict=False):
            value = cell.strip()
            if not code or not value or value == "N/A" or not is_currency(code):
                continue
            set_rate(session, PIVOT, code, day, value, source="ecb")
            count += 1
    audit.record(
        session,
        "exchange_rates.imported",
        target_type="exchange_rates",
        after={"rows": count, "format": "ecb"},
    )
    return ImportResult(count, [])
