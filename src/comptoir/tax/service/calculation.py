"""The one tax calculation: document lines in, per-line net/tax/gross, a breakdown per tax
and document totals out, in minor units of the document's currency.

Every document (quote, invoice, credit note, bill, expense), the API's calculator and the
UI preview call :func:`calculate`, so that they all show the same cents.

- Rounding is half-up (away from zero) to the currency's minor unit, either per line (each
  line's tax is rounded, the document adds up rounded figures) or per document (each tax's
  exact amounts are added over the lines and rounded once; the rounded total is then shared
  out over the lines so that lines still add up to the totals).
- A line's net is its quantity times its unit price less its discount, rounded. When prices
  include tax, that rounded figure is the gross the user typed: the taxes are taken out of
  it and the net is what remains, so net + tax always equals the typed gross.
- A compound tax is computed on the net plus the taxes listed before it on the line (e.g.
  a provincial tax over a federal one); other taxes on the net alone. Exact amounts carry
  into compound bases, so that the order of rounding never changes a result.
- A fixed tax is an amount per unit of quantity, never included in the price.
- A self-assessed tax (a reverse charge at a non-zero rate: the buyer owes the VAT the
  seller does not charge, and deducts it) is computed on the line's base like any other
  but is neither in the line's tax nor in its gross, which is what the supplier is paid; it
  is never included in a price, and compound taxes leave it out of their base. Lines and
  totals report it apart, as ``self_assessed``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from typing import Literal

from comptoir.kit.money import minor_unit_exponent

Rounding = Literal["line", "document"]
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class TaxRule:
    """What the calculation needs to know of a tax."""

    code: str
    rate: Decimal = Decimal(0)  # percent, for kind "percent"
    kind: Literal["percent", "fixed"] = "percent"
    amount: Decimal = Decimal(0)  # per unit in major units, for kind "fixed"
    compound: bool = False
    # A tax whose rate is always part of the price, whatever the document says.
    price_included: bool = False
    self_assessed: bool = False


@dataclass(frozen=True)
class LineInput:
    quantity: Decimal
    unit_price: Decimal
    taxes: Sequence[TaxRule] = ()
    discount_percent: Decimal = Decimal(0)


@dataclass(frozen=True)
class LineTax:
    code: str
    base: int
    amount: int
    self_assessed: bool = False


@dataclass(frozen=True)
class LineResult:
    net: int
    tax: int
    gross: int
    taxes: tuple[LineTax, ...]
    # Self-assessed taxes of the line, outside ``tax`` and ``gross``.
    self_assessed: int = 0


@dataclass(frozen=True)
class TaxTotal:
    code: str
    rate: Decimal
    kind: str
    base: int
    amount: int
    self_assessed: bool = False


@dataclass(frozen=True)
class Calculation:
    currency: str
    prices_include_tax: bool
    rounding: Rounding
    lines: list[LineResult]
    taxes: list[TaxTotal]
    net: int
    tax: int
    gross: int
    self_assessed: int = 0
    # The exact (unrounded) amounts per line and tax, for tests and audits of rounding.
    exact: list[dict[str, Decimal]] = field(default_factory=list, repr=False)


# Wide enough for a billion units at a trillion each with six decimals on both, exactly.
_CONTEXT = Context(prec=80)


def _round(value: Decimal, exponent: int) -> int:
    return int(value.scaleb(exponent).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _exact_taxes(net: Decimal, quantity: Decimal, taxes: Sequence[TaxRule]) -> list[Decimal]:
    """Each tax's exact amount (major units) on an exact net."""
    amounts: list[Decimal] = []
    for tax in taxes:
        if tax.kind == "fixed":
            amounts.append(quantity * tax.amount)
            continue
        # Taxes the buyer self-assesses are not charged, so no tax is charged on them.
        charged = (
            amount
            for previous, amount in zip(taxes, amounts, strict=False)
            if not previous.self_assessed
        )
        base = net + sum(charged, Decimal(0)) if tax.compound else net
        amounts.append(base * tax.rate / HUNDRED)
    return amounts


def _included(tax: TaxRule, prices_include_tax: bool) -> bool:
    return (
        tax.kind == "percent"
        and not tax.self_assessed
        and (prices_include_tax or tax.price_included)
    )


def _exact_line(
    line: LineInput, prices_include_tax: bool, exponent: int
) -> tuple[Decimal, int, list[Decimal]]:
    """(exact net, the rounded amount typed, exact taxes). When the price includes taxes the
    rounded amount is the gross; the net is found by dividing the percent taxes out."""
    amount = line.quantity * line.unit_price * (HUNDRED - line.discount_percent) / HUNDRED
    typed = _round(amount, exponent)
    if not any(_included(tax, prices_include_tax) for tax in line.taxes):
        net = Decimal(typed).scaleb(-exponent)
        return net, typed, _exact_taxes(net, line.quantity, line.taxes)
    # Taxes are linear in the net: gross = net * factor + the excluded and fixed part. Find
    # the factor from a net of one with only the included taxes, then solve.
    included = [tax for tax in line.taxes if _included(tax, prices_include_tax)]
    factor = 1 + sum(_exact_taxes(Decimal(1), Decimal(0), included), Decimal(0))
    net = Decimal(typed).scaleb(-exponent) / factor
    return net, typed, _exact_taxes(net, line.quantity, line.taxes)


def _share_out(total: int, exact: Sequence[Decimal], exponent: int) -> list[int]:
    """``total`` split over lines in proportion to their exact amounts: each rounded, then
    the difference given a unit at a time to the lines rounded furthest from their value."""
    rounded = [_round(value, exponent) for value in exact]
    difference = total - sum(rounded)
    if difference:
        step = 1 if difference > 0 else -1
        gaps = [value.scaleb(exponent) - units for value, units in zip(exact, rounded, strict=True)]
        order = sorted(range(len(exact)), key=lambda i: (-gaps[i] * step, i))
        for index in order[: abs(difference)]:
            rounded[index] += step
    return rounded


def calculate(
    lines: Sequence[LineInput],
    *,
    currency: str,
    prices_include_tax: bool = False,
    rounding: Rounding = "line",
) -> Calculation:
    exponent = minor_unit_exponent(currency)
    with localcontext(_CONTEXT):
        exact_lines = [_exact_line(line, prices_include_tax, exponent) for line in lines]
        # Taxes in order of first appearance, each with its exact and rounded figures.
        codes: dict[str, TaxRule] = {}
        for line in lines:
            for tax in line.taxes:
                codes.setdefault(tax.code, tax)
        line_amounts: list[list[int]] = []
        if rounding == "line":
            line_amounts = [
                [_round(value, exponent) for value in amounts] for _, _, amounts in exact_lines
            ]
        else:
            per_tax: dict[str, list[tuple[int, int, Decimal]]] = {code: [] for code in codes}
            for row, (line, (_, _, amounts)) in enumerate(zip(lines, exact_lines, strict=True)):
                for column, (tax, value) in enumerate(zip(line.taxes, amounts, strict=True)):
                    per_tax[tax.code].append((row, column, value))
            line_amounts = [[0] * len(line.taxes) for line in lines]
            for entries in per_tax.values():
                total = _round(sum((value for _, _, value in entries), Decimal(0)), exponent)
                shares = _share_out(total, [value for _, _, value in entries], exponent)
                for (row, column, _), share in zip(entries, shares, strict=True):
                    line_amounts[row][column] = share

        results: list[LineResult] = []
        bases: dict[str, int] = dict.fromkeys(codes, 0)
        amounts_by_code: dict[str, int] = dict.fromkeys(codes, 0)
        exact_report: list[dict[str, Decimal]] = []
        for line, (exact_net, typed, exact_taxes), rounded in zip(
            lines, exact_lines, line_amounts, strict=True
        ):
            # Included taxes come out of the typed amount; with none, the net is what was typed.
            net = typed - sum(
                units
                for tax, units in zip(line.taxes, rounded, strict=True)
                if _included(tax, prices_include_tax)
            )
            tax_total = sum(
                units
                for tax, units in zip(line.taxes, rounded, strict=True)
                if not tax.self_assessed
            )
            line_taxes: list[LineTax] = []
            for index, (tax, units) in enumerate(zip(line.taxes, rounded, strict=True)):
                charged = (
                    before
                    for previous, before in zip(line.taxes[:index], rounded[:index], strict=True)
                    if not previous.self_assessed
                )
                base = net + (sum(charged) if tax.compound else 0)
                line_taxes.append(LineTax(tax.code, base, units, tax.self_assessed))
                bases[tax.code] += base
                amounts_by_code[tax.code] += units
            results.append(
                LineResult(
                    net,
                    tax_total,
                    net + tax_total,
                    tuple(line_taxes),
                    sum(rounded) - tax_total,
                )
            )
            exact_report.append(
                {"net": exact_net}
                | {tax.code: value for tax, value in zip(line.taxes, exact_taxes, strict=True)}
            )
    totals = [
        TaxTotal(code, tax.rate, tax.kind, bases[code], amounts_by_code[code], tax.self_assessed)
        for code, tax in codes.items()
    ]
    net_total = sum(result.net for result in results)
    tax_total = sum(result.tax for result in results)
    return Calculation(
        currency,
        prices_include_tax,
        rounding,
        results,
        totals,
        net_total,
        tax_total,
        net_total + tax_total,
        sum(result.self_assessed for result in results),
        exact_report,
    )
