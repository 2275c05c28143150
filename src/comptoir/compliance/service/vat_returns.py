"""VAT returns computed from the ledger, their boxes laid out as the country's form, the
lines behind each box, and filing: freezing the boxes and locking the period.

Everything is read from the posted lines that carry a tax code (see
``ledger.service.reports.tax_code_sums``), summed per account and code, and each sum is
placed by what its account is to its tax:

- the tax's collected account: VAT due, credit - debit, on the base ``-tax_base`` (VAT
  on payments arrives here from the pending account when the payment comes, and
  self-assessed reverse charge is collected here too);
- an account of subtype ``tax_deductible_assets``: VAT deductible on fixed assets;
- the tax's deductible account: other deductible VAT, debit - credit, on ``tax_base``;
- the tax's pending account: VAT not due yet, left out;
- a revenue account, for a tax at rate 0: the sales it covers (exports, intra-EU
  supplies, exempt sales), credit - debit.

A code that matches no tax of the organization, a tax line on an account that is none of
its tax's, or a sum no box of the layout declares (a tax without the box codes the layout
picks it by), is listed as unmapped rather than dropped.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from comptoir.audit import service as audit
from comptoir.compliance.models import VatReturn
from comptoir.compliance.service import vat_layouts, vat_periods
from comptoir.compliance.service.vat_layouts import BoxSpec, Kind, Part, VatLayout
from comptoir.compliance.service.vat_periods import Period
from comptoir.kit import clock
from comptoir.kit.errors import Conflict, NotFound, ValidationFailed
from comptoir.kit.money import format_minor
from comptoir.kit.pagination import Page, sorted_keyset_page
from comptoir.ledger.service import accounts, organization, periods, reports
from comptoir.outbox import service as outbox
from comptoir.parties.service import parties
from comptoir.tax.service import taxes

ASSETS_SUBTYPE = "tax_deductible_assets"


class TaxFacts(Protocol):
    @property
    def code(self) -> str: ...
    @property
    def rate(self) -> Decimal: ...
    @property
    def collected_account_id(self) -> uuid.UUID | None: ...
    @property
    def deductible_account_id(self) -> uuid.UUID | None: ...
    @property
    def pending_account_id(self) -> uuid.UUID | None: ...
    @property
    def base_box(self) -> str | None: ...
    @property
    def return_box(self) -> str | None: ...
    @property
    def deductible_box(self) -> str | None: ...


@dataclass(frozen=True)
class Contribution:
    """One account's lines of one tax code in the period, placed by ``kind``."""

    kind: Kind
    tax: TaxFacts
    account_id: uuid.UUID
    base: int
    amount: int
    account_code: str = "?"
    debit: int = 0
    credit: int = 0


@dataclass(frozen=True)
class Unmapped:
    tax_code: str
    account_code: str
    debit: int
    credit: int
    # "unknown_tax": no tax has the code; "account_not_of_tax": a tax line on an account
    # that is none of the tax's; "no_box": no box of the layout declares the sum.
    reason: str


@dataclass
class Box:
    code: str
    label: str
    label_en: str
    section: str
    amount: int
    base: int | None = None
    # The lines behind it can be listed: a box filled from the ledger, not a formula.
    drillable: bool = False
    contributions: list[Contribution] = field(default_factory=list)
    value: str = "amount"
    total: bool = False


@dataclass
class Section:
    code: str
    label: str
    label_en: str
    boxes: list[Box]


@dataclass
class Computed:
    period: Period
    layout: VatLayout
    currency: str
    sections: list[Section]
    net_due: int
    unmapped: list[Unmapped]
    filed: VatReturn | None = None

    @property
    def credit(self) -> int:
        return max(0, -self.net_due)

    def boxes(self) -> dict[str, Box]:
        return {box.code: box for section in self.sections for box in section.boxes}

    def frozen(self) -> dict[str, int]:
        """What filing stores: each box's amount, and its base as ``<code>.base``."""
        result: dict[str, int] = {}
        for box in self.boxes().values():
            result[box.code] = box.amount
            if box.base is not None:
                result[f"{box.code}.base"] = box.base
        return result

    def differences(self) -> dict[str, tuple[int, int]]:
        """Boxes whose filed amount differs from the ledger now: (filed, now)."""
        if self.filed is None:
            return {}
        live = self.frozen()
        stored = {key: int(value) for key, value in self.filed.boxes.items()}
        return {
            key: (stored.get(key, 0), live.get(key, 0))
            for key in sorted(set(live) | set(stored))
            if stored.get(key, 0) != live.get(key, 0)
        }


@dataclass(frozen=True)
class _Lookups:
    """The organization's taxes and accounts, read once for several periods."""

    taxes: dict[str, TaxFacts]
    accounts: dict[uuid.UUID, reports.AccountFacts]

    @classmethod
    def load(cls, session: Session) -> _Lookups:
        return cls(
            {tax.code: tax for tax in taxes.list_taxes(session)},
            {a.account_id: a for a in reports.postable_accounts(session)},
        )


def _classify(
    session: Session, period: Period, lookups: _Lookups | None = None
) -> tuple[list[Contribution], list[Unmapped]]:
    lookups = lookups or _Lookups.load(session)
    found = lookups.taxes
    facts = lookups.accounts
    codes = {account_id: a.code for account_id, a in facts.items()}
    placed: list[Contribution] = []
    unmapped: list[Unmapped] = []
    for row in reports.tax_code_sums(session, date_from=period.start, date_to=period.end):
        tax = found.get(row.tax_code)
        account = facts.get(row.account_id)
        account_code = codes.get(row.account_id, "?")
        if tax is None:
            unmapped.append(
                Unmapped(row.tax_code, account_code, row.debit, row.credit, "unknown_tax")
            )
            continue
        if row.account_id == tax.collected_account_id:
            kind: Kind = "collected"
            base, amount = -row.tax_base, row.credit - row.debit
        elif account is not None and account.subtype == ASSETS_SUBTYPE:
            kind, base, amount = "deductible_assets", row.tax_base, row.debit - row.credit
        elif row.account_id == tax.deductible_account_id:
            kind, base, amount = "deductible", row.tax_base, row.debit - row.credit
        elif row.account_id == tax.pending_account_id:
            continue
        elif account is not None and account.type == "income" and tax.rate == 0:
            kind, base = "sales", row.credit - row.debit
            amount = base
        else:
            if row.tax_base:
                unmapped.append(
                    Unmapped(
                        row.tax_code, account_code, row.debit, row.credit, "account_not_of_tax"
                    )
                )
            continue
        placed.append(
            Contribution(
                kind, tax, row.account_id, base, amount, account_code, row.debit, row.credit
            )
        )
    return placed, unmapped


def _matches(part: Part, contribution: Contribution) -> bool:
    tax = contribution.tax
    return (
        part.kind == contribution.kind
        and (part.base_box is None or tax.base_box == part.base_box)
        and (part.return_box is None or tax.return_box == part.return_box)
        and (part.deductible_box is None or tax.deductible_box == part.deductible_box)
        and (not part.codes or tax.code in part.codes)
    )


def _data_box(spec: BoxSpec, section: str, placed: list[Contribution]) -> Box:
    chosen = [c for c in placed if any(_matches(part, c) for part in spec.parts)]
    base = sum(c.base for c in chosen)
    amount = base if spec.value == "base" else sum(c.amount for c in chosen)
    return Box(
        spec.code,
        spec.label,
        spec.label_en,
        section,
        amount,
        base if spec.with_base else None,
        drillable=True,
        contributions=chosen,
        value=spec.value,
        total=spec.total,
    )


def _rate_text(rate: Decimal) -> str:
    return f"{rate.normalize():f}"


def _per_rate_boxes(
    prefix: str, label: str, kinds: set[Kind], section: str, placed: list[Contribution]
) -> list[Box]:
    by_rate: dict[Decimal, list[Contribution]] = defaultdict(list)
    for c in placed:
        if c.kind in kinds:
            by_rate[c.tax.rate].append(c)
    boxes = []
    for rate in sorted(by_rate, reverse=True):
        chosen = by_rate[rate]
        text = _rate_text(rate)
        boxes.append(
            Box(
                f"{prefix}{text}",
                label.format(rate=text),
                label.format(rate=text),
                section,
                sum(c.amount for c in chosen),
                sum(c.base for c in chosen),
                drillable=True,
                contributions=chosen,
            )
        )
    return boxes


def _undeclared(placed: list[Contribution], sections: list[Section]) -> list[Unmapped]:
    """The sums no box declares, totals aside: VAT in no box declaring VAT, or a rate-0
    sale in no box at all. Totals re-add other boxes, so they do not count as declaring."""
    declared: set[int] = set()
    for section in sections:
        for box in section.boxes:
            if box.total:
                continue
            declared |= {
                id(c) for c in box.contributions if c.kind == "sales" or box.value == "amount"
            }
    return [
        Unmapped(c.tax.code, c.account_code, c.debit, c.credit, "no_box")
        for c in placed
        if id(c) not in declared and (c.debit or c.credit)
    ]


def _formula(terms: Iterable[tuple[int, str]], values: dict[str, int]) -> int:
    return sum(sign * values.get(code, 0) for sign, code in terms)


def latest_filed_before(session: Session, start: date) -> VatReturn | None:
    return session.scalar(
        select(VatReturn)
        .where(VatReturn.period_end < start)
        .order_by(VatReturn.period_end.desc())
        .limit(1)
    )


def filed_for(session: Session, period: Period) -> VatReturn | None:
    return session.scalar(
        select(VatReturn).where(
            VatReturn.period_start == period.start, VatReturn.period_end == period.end
        )
    )


def choose_layout(session: Session, layout: str | None) -> VatLayout:
    if layout is None or layout == "":
        return vat_layouts.load(vat_layouts.for_country(organization.current(session).country))
    if layout not in vat_layouts.LAYOUTS:
        raise ValidationFailed.single(
            "layout", f"One of {', '.join(vat_layouts.LAYOUTS)}.", "invalid_layout"
        )
    return vat_layouts.load(layout)


def compute(session: Session, period: Period, layout: str | None = None) -> Computed:
    """The return of ``period`` as the ledger has it now, with the filed one if any."""
    chosen = choose_layout(session, layout)
    placed, unmapped = _classify(session, period)
    values: dict[str, int] = {}
    sections = []
    for spec in chosen.sections:
        boxes: list[Box] = []
        if spec.per_rate is not None:
            kinds: set[Kind] = {spec.per_rate.kind}
            if spec.per_rate.kind == "deductible":
                kinds.add("deductible_assets")
            boxes += _per_rate_boxes(
                spec.per_rate.prefix, spec.per_rate.label, kinds, spec.code, placed
            )
            values |= {box.code: box.amount for box in boxes}
        for box_spec in spec.boxes:
            if box_spec.parts:
                box = _data_box(box_spec, spec.code, placed)
            elif box_spec.carried_credit:
                previous = latest_filed_before(session, period.start)
                carried = -previous.net_due if previous and previous.net_due < 0 else 0
                box = Box(box_spec.code, box_spec.label, box_spec.label_en, spec.code, carried)
            else:
                amount = _formula(box_spec.formula, values)
                box = Box(
                    box_spec.code,
                    box_spec.label,
                    box_spec.label_en,
                    spec.code,
                    max(0, amount) if box_spec.positive else amount,
                )
            boxes.append(box)
            values[box.code] = box.amount
        sections.append(Section(spec.code, spec.label, spec.label_en, boxes))
    return Computed(
        period=period,
        layout=chosen,
        currency=organization.current(session).base_currency,
        sections=sections,
        net_due=_formula(chosen.net_due, values),
        unmapped=unmapped + _undeclared(placed, sections),
        filed=filed_for(session, period),
    )


@dataclass(frozen=True)
class BoxLine:
    """A ledger line behind a box, with what it brings to the box."""

    line_id: uuid.UUID
    entry_id: uuid.UUID
    entry_number: str | None
    journal_code: str
    date: date
    account_code: str
    label: str | None
    party_id: uuid.UUID | None
    party_name: str | None
    tax_code: str
    base: int
    amount: int
    # What the line adds to the box: its base or its VAT, as the box declares.
    value: int


def box_lines(
    session: Session,
    period: Period,
    box_code: str,
    *,
    layout: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> Page[BoxLine]:
    """The posted lines behind one box, in date order, a page at a time; their ``value``
    adds up to the box."""
    computed = compute(session, period, layout)
    box = computed.boxes().get(box_code)
    if box is None:
        raise ValidationFailed.single(
            "box", f"No box {box_code} on the {computed.layout.name} return.", "unknown_box"
        )
    if not box.drillable:
        raise ValidationFailed.single(
            "box", f"Box {box_code} is computed from other boxes; open those.", "computed_box"
        )
    kinds = {(c.tax.code, c.account_id): c.kind for c in box.contributions}
    selection: dict[str, list[uuid.UUID]] = defaultdict(list)
    for code, account_id in kinds:
        selection[code].append(account_id)
    page = reports.lines_of_tax_codes(
        session,
        dict(selection),
        date_from=period.start,
        date_to=period.end,
        limit=limit,
        cursor=cursor,
    )
    codes = accounts.codes_of(session, {line.account_id for line in page.lines if line.account_id})
    names = {
        party.id: party.name
        for party in parties.by_ids(
            session, {line.party_id for line in page.lines if line.party_id}
        ).values()
    }
    items = []
    for line in page.lines:
        code = line.tax_code or ""
        kind = kinds[(code, line.account_id)] if line.account_id else "collected"
        net = line.credit - line.debit
        amount = -net if kind in ("deductible", "deductible_assets") else net
        base = net if kind == "sales" else (line.tax_base or 0) * (-1 if kind == "collected" else 1)
        items.append(
            BoxLine(
                line.line_id,
                line.entry_id,
                line.display_number,
                line.journal_code,
                line.date,
                codes.get(line.account_id, "?") if line.account_id else "?",
                line.label,
                line.party_id,
                names.get(line.party_id) if line.party_id else None,
                code,
                base,
                amount,
                base if box.value == "base" else amount,
            )
        )
    return Page(items, page.next_cursor)


@dataclass(frozen=True)
class MonthTotals:
    period: Period
    collected: int
    deductible: int


def monthly(session: Session, year: int) -> list[MonthTotals]:
    """Collected and deductible VAT of each month of ``year``, for the chart."""
    result = []
    lookups = _Lookups.load(session)
    for month in vat_periods.months_of(year):
        placed, _ = _classify(session, month, lookups)
        result.append(
            MonthTotals(
                month,
                sum(c.amount for c in placed if c.kind == "collected"),
                sum(c.amount for c in placed if c.kind in ("deductible", "deductible_assets")),
            )
        )
    return result


def file_return(
    session: Session,
    period: Period,
    *,
    layout: str | None = None,
    reference: str | None = None,
    actor_id: uuid.UUID | None = None,
) -> VatReturn:
    """Freeze the return of ``period`` as computed now and lock the books to its last day.
    Only a period that is over can be filed (422), and none overlapping a filed return
    (409): a correction goes into a later return. Draft entries dated in the period are
    left out, as in every report."""
    reference = (reference or "").strip() or None
    if reference is not None and len(reference) > 100:
        raise ValidationFailed.single("reference", "At most 100 characters.", "too_long")
    if period.end >= clock.now().date():
        raise ValidationFailed.single(
            "period",
            f"The period ends on {period.end.isoformat()}: a return is filed once its period "
            "is over.",
            "period_not_ended",
        )
    # Before the overlap check: two filings run one after the other, and no posting lands
    # in the period between the computation and the lock.
    periods.settings_for_change(session)
    overlapping = session.scalar(
        select(VatReturn).where(
            VatReturn.period_start <= period.end, VatReturn.period_end >= period.start
        )
    )
    if overlapping is not None:
        raise Conflict(
            f"A return for {overlapping.period_start.isoformat()} to "
            f"{overlapping.period_end.isoformat()} is filed already; "
            "corrections go into a later return.",
            code="vat_return_overlaps",
        )
    computed = compute(session, period, layout)
    filed = VatReturn(
        layout=computed.layout.name,
        period_start=period.start,
        period_end=period.end,
        currency=computed.currency,
        boxes=computed.frozen(),
        net_due=computed.net_due,
        reference=reference,
        filed_by_id=actor_id,
    )
    session.add(filed)
    session.flush()
    locked = periods.lock_date(session)
    if locked is None or locked < period.end:
        periods.set_lock_date(session, period.end)
    summary = {
        "id": str(filed.id),
        "layout": filed.layout,
        "period_start": period.start.isoformat(),
        "period_end": period.end.isoformat(),
        "currency": filed.currency,
        "net_due": filed.net_due,
        "reference": reference,
    }
    audit.record(
        session, "vat_return.filed", target_type="vat_return", target_id=filed.id, after=summary
    )
    outbox.emit(session, "vat_return.filed", summary)
    return filed


def get(session: Session, return_id: uuid.UUID) -> VatReturn:
    filed = session.get(VatReturn, return_id)
    if filed is None:
        raise NotFound("No such VAT return.")
    return filed


def list_filed(
    session: Session, *, limit: int | None = None, cursor: str | None = None
) -> Page[VatReturn]:
    """Filed returns, the latest period first."""
    return sorted_keyset_page(
        session,
        select(VatReturn),
        VatReturn.period_end,
        VatReturn.id,
        descending=True,
        limit=limit,
        cursor=cursor,
    )


def as_json_boxes(boxes: dict[str, Any], currency: str) -> dict[str, str]:
    return {key: format_minor(int(value), currency) for key, value in boxes.items()}


def organization_name(session: Session) -> str:
    return organization.current(session).legal_name


def organization_currency(session: Session) -> str:
    return organization.current(session).base_currency
