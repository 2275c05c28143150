"""Tax API: the organization's taxes, the calculation every document uses, settings."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, status

from comptoir.identity.service.sessions import Principal
from comptoir.kit.money import format_minor, plain_decimal
from comptoir.kit.settings import Settings
from comptoir.server.deps import DbSession, get_settings, require_scope
from comptoir.tax import schemas
from comptoir.tax.models import Tax
from comptoir.tax.service import documents, rules, taxes, validation
from comptoir.tax.service.calculation import Calculation

router = APIRouter(prefix="/api/v1", tags=["taxes"])

TaxesReader = Annotated[Principal, require_scope("taxes:read")]
TaxesWriter = Annotated[Principal, require_scope("taxes:write")]


def tax_out(tax: Tax, codes: dict[uuid.UUID, str]) -> schemas.TaxOut:
    def code(account_id: uuid.UUID | None) -> str | None:
        return codes.get(account_id) if account_id else None

    return schemas.TaxOut(
        id=tax.id,
        code=tax.code,
        label=tax.label,
        kind="fixed" if tax.kind == "fixed" else "percent",
        rate=plain_decimal(tax.rate),
        amount=plain_decimal(tax.amount),
        price_included=tax.price_included,
        compound=tax.compound,
        sequence=tax.sequence,
        category=tax.category,
        treatment=tax.treatment,
        supply=tax.supply,
        country=tax.country,
        region=tax.region,
        exigibility=tax.exigibility,
        collected_account=code(tax.collected_account_id),
        deductible_account=code(tax.deductible_account_id),
        pending_account=code(tax.pending_account_id),
        base_box=tax.base_box,
        return_box=tax.return_box,
        deductible_box=tax.deductible_box,
        mention=tax.mention,
        origin="template" if tax.origin == "template" else "custom",
        active=tax.active,
    )


def _one(session: DbSession, tax: Tax) -> schemas.TaxOut:
    return tax_out(tax, taxes.account_codes(session, [tax]))


@router.get("/taxes", summary="The organization's taxes")
def list_taxes(
    principal: TaxesReader, session: DbSession, active_only: bool = False
) -> list[schemas.TaxOut]:
    """Every tax the organization can put on a document: those its country's template
    gave it (some disabled until needed, e.g. Corsican rates) and its own."""
    found = taxes.list_taxes(session, include_inactive=not active_only)
    codes = taxes.account_codes(session, found)
    return [tax_out(tax, codes) for tax in found]


@router.post("/taxes", status_code=status.HTTP_201_CREATED, summary="Add a tax")
def create_tax(
    body: schemas.TaxCreate, principal: TaxesWriter, session: DbSession
) -> schemas.TaxOut:
    """An organization-defined tax: a local sales tax, a levy, a fixed amount per unit.
    Accounts are codes of the chart; left out, the chart's tax accounts are used."""
    values = body.model_dump(exclude_unset=True)
    values.setdefault("kind", body.kind)
    return _one(session, taxes.create(session, values))


@router.get("/taxes/{tax_id}", summary="One tax")
def get_tax(tax_id: uuid.UUID, principal: TaxesReader, session: DbSession) -> schemas.TaxOut:
    """A tax of the country template or the organization's own, with its rate,
    accounts and whether documents may still use it."""
    return _one(session, taxes.get(session, tax_id))


@router.patch("/taxes/{tax_id}", summary="Change, enable or disable a tax")
def update_tax(
    tax_id: uuid.UUID, body: schemas.TaxUpdate, principal: TaxesWriter, session: DbSession
) -> schemas.TaxOut:
    """`{"active": false}` disables a tax: documents can no longer use it."""
    return _one(session, taxes.update(session, tax_id, body.model_dump(exclude_unset=True)))


def calculation_out(result: Calculation) -> schemas.CalculationOut:
    currency = result.currency

    def money(units: int) -> str:
        return format_minor(units, currency)

    return schemas.CalculationOut(
        currency=currency,
        prices_include_tax=result.prices_include_tax,
        rounding=result.rounding,
        lines=[
            schemas.CalculationLineOut(
                net=money(line.net),
                tax=money(line.tax),
                gross=money(line.gross),
                taxes=[
                    schemas.LineTaxOut(
                        code=t.code,
                        base=money(t.base),
                        amount=money(t.amount),
                        self_assessed=t.self_assessed or None,
                    )
                    for t in line.taxes
                ],
                self_assessed=money(line.self_assessed)
                if any(t.self_assessed for t in line.taxes)
                else None,
            )
            for line in result.lines
        ],
        taxes=[
            schemas.TaxTotalOut(
                code=t.code,
                rate=plain_decimal(t.rate),
                kind="fixed" if t.kind == "fixed" else "percent",
                base=money(t.base),
                amount=money(t.amount),
                self_assessed=t.self_assessed or None,
            )
            for t in result.taxes
        ],
        totals=schemas.TotalsOut(
            net=money(result.net),
            tax=money(result.tax),
            gross=money(result.gross),
        ),
        self_assessed=money(result.self_assessed),
    )


@router.post(
    "/tax/calculate",
    summary="Calculate a document's taxes",
    # Taxes and lines show `self_assessed` only when they have such a tax.
    response_model_exclude_none=True,
)
def calculate(
    body: schemas.CalculationIn, principal: TaxesReader, session: DbSession
) -> schemas.CalculationOut:
    """The calculation every quote, invoice, credit note, bill and expense uses: per-line
    net, tax and gross, a breakdown per tax and the totals, rounded per line or per
    document (the organization's setting unless `rounding` is given). With
    `prices_include_tax`, unit prices are gross and net + tax equals the gross typed.
    A tax the buyer self-assesses (a reverse charge with a rate, e.g. FR-AI-S-20) is in
    `taxes` with `self_assessed: true` and added up in `self_assessed`, never in `tax` or
    `gross`: the supplier is paid the gross, and net + tax = gross still holds."""
    result = documents.calculate_document(
        session,
        currency=body.currency,
        prices_include_tax=body.prices_include_tax,
        rounding=body.rounding,
        lines=[
            documents.DocumentLine(
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount_percent=line.discount_percent,
                tax_codes=line.tax_codes,
            )
            for line in body.lines
        ],
    )
    return calculation_out(result)


@router.get("/tax/settings", summary="How documents round their taxes")
def get_tax_settings(principal: TaxesReader, session: DbSession) -> schemas.TaxSettingsOut:
    """`line` (the default): each line's tax is rounded, then the lines are added up;
    `document`: the exact taxes of all lines are added and rounded once per tax."""
    return schemas.TaxSettingsOut(rounding=documents.rounding_of(session))


@router.put("/tax/settings", summary="Round taxes per line or per document")
def put_tax_settings(
    body: schemas.TaxSettingsIn, principal: TaxesWriter, session: DbSession
) -> schemas.TaxSettingsOut:
    """Applies to documents computed from now on; issued ones keep their amounts."""
    documents.set_rounding(session, body.rounding)
    return schemas.TaxSettingsOut(rounding=documents.rounding_of(session))


@router.post("/tax/resolve", summary="Which tax a sale takes")
def resolve(
    body: schemas.ResolveIn, principal: TaxesReader, session: DbSession
) -> schemas.ResolveOut:
    """The tax the organization (the seller) charges on a sale, from the buyer's country
    and status and the product's category and supply: domestic rate, intra-EU reverse
    charge to a business with a valid VAT number, export, exempt or domestic reverse
    charge, with the legal mention to print. `rule` names the rule that decided."""
    found = rules.resolve_sale(
        session,
        buyer_country=body.buyer_country,
        buyer_region=body.buyer_region,
        buyer_vat_number=body.buyer_vat_number,
        buyer_is_business=body.buyer_is_business,
        category=body.category,
        supply=body.supply,
        domestic_reverse_charge=body.domestic_reverse_charge,
    )
    tax = found.tax
    return schemas.ResolveOut(
        code=tax.code,
        label=tax.label,
        rate=plain_decimal(tax.rate),
        kind="fixed" if tax.kind == "fixed" else "percent",
        treatment=found.treatment,
        rule=found.rule,
        place=found.place,
        buyer_status=found.buyer_status,
        mention=found.mention,
    )


@router.post(
    "/tax/validate-id", summary="Check a VAT number, SIREN, SIRET, IBAN, BIC, TPIN or phone"
)
def validate_id(
    body: schemas.ValidateIdIn,
    principal: TaxesReader,
    settings: Annotated[Settings, Depends(get_settings)],
) -> schemas.ValidateIdOut:
    """Always 200 for a well-formed request: `valid: false` with a `reason` and the `rule`
    that failed (format, length, checksum, country, empty) otherwise. `normalized` is the
    form Comptoir stores. With VIES enabled on the server (or `online: true`), a valid
    VAT number is also looked up online; `online.checked` is false when VIES is
    unreachable, and the offline verdict stands."""
    result, online = validation.validate_identifier(
        body.kind,
        body.value,
        body.country,
        online=body.online,
        access=validation.ViesAccess(
            settings.vies_enabled, settings.vies_url, settings.vies_timeout_seconds
        ),
    )
    return schemas.ValidateIdOut(
        kind=body.kind,
        valid=result.valid,
        normalized=result.normalized,
        reason=result.reason,
        rule=result.rule,
        online=schemas.OnlineCheckOut.model_validate(online, from_attributes=True)
        if online
        else None,
    )
