"""The tax calculation, case by case: the rounding traps of invoicing tools, compound and
fixed taxes, zero-rated lines, and invariants over any document (hypothesis)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from comptoir.tax.service.calculation import LineInput, TaxRule, calculate

VAT20 = TaxRule("FR-20", Decimal(20))
VAT55 = TaxRule("FR-5.5", Decimal("5.5"))
GST = TaxRule("CA-GST", Decimal(5))
QST = TaxRule("QC-QST", Decimal("9.975"), compound=True)
REVERSE = TaxRule("EU-RC", Decimal(0))
ECO = TaxRule("ECO", kind="fixed", amount=Decimal("0.50"))


def line(quantity: str, price: str, *taxes: TaxRule, discount: str = "0") -> LineInput:
    return LineInput(Decimal(quantity), Decimal(price), taxes, Decimal(discount))


def totals(result) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    return result.net, result.tax, result.gross


@pytest.mark.parametrize(
    ("lines", "options", "expected"),
    [
        # 10.00 tax included at 20 %: 1.666… of tax rounds to 1.67, the net is what remains.
        ([line("1", "10", VAT20)], {"prices_include_tax": True}, (833, 167, 1000)),
        # Three lines of 9.99 included: per line, 1.665 rounds up on each line …
        ([line("1", "9.99", VAT20)] * 3, {"prices_include_tax": True}, (2496, 501, 2997)),
        # … per document, 4.995 of tax rounds once; the typed 29.97 holds either way.
        (
            [line("1", "9.99", VAT20)] * 3,
            {"prices_include_tax": True, "rounding": "document"},
            (2497, 500, 2997),
        ),
        # 100 lines of 0.10 at 5.5 %: 0.0055 rounds to a cent on each line …
        ([line("1", "0.10", VAT55)] * 100, {}, (1000, 100, 1100)),
        # … but to 0.55 on the whole document.
        ([line("1", "0.10", VAT55)] * 100, {"rounding": "document"}, (1000, 55, 1055)),
        # Québec: GST 5 % on 100, QST 9.975 % on 105 (compound): 10.47375 → 10.47.
        ([line("1", "100", GST, QST)], {}, (10000, 1547, 11547)),
        # Without compounding QST is 9.975 → 9.98.
        ([line("1", "100", GST, TaxRule("QST", Decimal("9.975")))], {}, (10000, 1498, 11498)),
        # 100 lines of 3 x 0.333: each line's 0.999 rounds to 1.00.
        ([line("3", "0.333", VAT20)] * 100, {}, (10000, 2000, 12000)),
        ([line("3", "0.333", VAT20)] * 100, {"rounding": "document"}, (10000, 2000, 12000)),
        # A fixed tax per unit next to VAT on the net.
        ([line("3", "10", ECO, VAT20)], {}, (3000, 750, 3750)),
        # Reverse charge and exempt lines carry a base and no tax.
        ([line("2", "250", REVERSE)], {}, (50000, 0, 50000)),
        # 10 % discount on 2 x 50.
        ([line("2", "50", VAT20, discount="10")], {}, (9000, 1800, 10800)),
        # A credit line: -12.345 rounds away from zero to -12.35, its tax to -2.47.
        ([line("1", "100", VAT20), line("-1", "12.345", VAT20)], {}, (8765, 1753, 10518)),
        # Yen have no minor unit: 1,000 included at 10 % is 909 + 91.
        (
            [line("1", "1000", TaxRule("JP-10", Decimal(10)))],
            {"currency": "JPY", "prices_include_tax": True},
            (909, 91, 1000),
        ),
        # Kuwaiti dinars have three.
        ([line("1", "1.0005", TaxRule("KW", Decimal(5)))], {"currency": "KWD"}, (1001, 50, 1051)),
        # Two included taxes: 115.00 with 5 % and 10 %: the net is 100.00 exactly.
        (
            [line("1", "115", GST, TaxRule("T10", Decimal(10)))],
            {"prices_include_tax": True},
            (10000, 1500, 11500),
        ),
        # No tax at all.
        ([line("4", "2.50")], {}, (1000, 0, 1000)),
        ([], {}, (0, 0, 0)),
    ],
)
def test_calculation_cases(lines: list[LineInput], options: dict, expected: tuple) -> None:
    options = {"currency": "EUR"} | options
    assert totals(calculate(lines, **options)) == expected


def test_per_document_rounding_is_shared_out_over_the_lines() -> None:
    result = calculate([line("1", "0.10", VAT55)] * 100, currency="EUR", rounding="document")
    assert sum(item.tax for item in result.lines) == 55
    assert sorted({item.tax for item in result.lines}) == [0, 1]
    assert result.taxes[0].base == 1000 and result.taxes[0].amount == 55


def test_breakdown_per_tax_with_compound_base() -> None:
    result = calculate([line("1", "100", GST, QST), line("2", "10", GST)], currency="CAD")
    assert [(t.code, t.base, t.amount) for t in result.taxes] == [
        ("CA-GST", 12000, 600),
        ("QC-QST", 10500, 1047),
    ]
    first = result.lines[0]
    assert [(t.code, t.base, t.amount) for t in first.taxes] == [
        ("CA-GST", 10000, 500),
        ("QC-QST", 10500, 1047),
    ]


def test_a_price_included_tax_is_taken_out_even_on_a_tax_excluded_document() -> None:
    included = TaxRule("LEVY", Decimal(10), price_included=True)
    result = calculate([line("1", "110", included, VAT20)], currency="EUR")
    assert (result.lines[0].net, result.lines[0].gross) == (10000, 13000)


prices = st.decimals(min_value=Decimal("-100000"), max_value=Decimal("100000"), places=4)
quantities = st.decimals(min_value=Decimal("-50"), max_value=Decimal("1000"), places=3)
rates = st.sampled_from([Decimal(0), Decimal("2.1"), Decimal("5.5"), Decimal(10), Decimal(20)])
documents = st.lists(
    st.tuples(
        quantities,
        prices,
        st.lists(rates, max_size=2),
        st.decimals(min_value=0, max_value=100, places=2),
    ),
    max_size=30,
)


@given(
    documents,
    st.booleans(),
    st.sampled_from(["line", "document"]),
    st.sampled_from(["EUR", "JPY"]),
)
def test_any_document_adds_up(rows: list, included: bool, rounding: str, currency: str) -> None:
    lines = [
        LineInput(q, p, [TaxRule(f"T{r}-{i}", r) for i, r in enumerate(taxes)], d)
        for q, p, taxes, d in rows
    ]
    result = calculate(lines, currency=currency, prices_include_tax=included, rounding=rounding)  # type: ignore[arg-type]
    assert result.net == sum(item.net for item in result.lines)
    assert result.tax == sum(item.tax for item in result.lines)
    assert result.gross == result.net + result.tax
    assert result.tax == sum(total.amount for total in result.taxes)
    for item, source in zip(result.lines, lines, strict=True):
        assert item.tax == sum(t.amount for t in item.taxes)
        typed = calculate(
            [LineInput(source.quantity, source.unit_price, (), source.discount_percent)],
            currency=currency,
        )
        # Included: net + tax is the typed gross; excluded: the net is the typed amount.
        assert (item.gross if included and source.taxes else item.net) == typed.net
    if rounding == "document":
        exact_by_code: dict[str, Decimal] = {}
        for exact in result.exact:
            for code, value in exact.items():
                if code != "net":
                    exact_by_code[code] = exact_by_code.get(code, Decimal(0)) + value
        scale = 0 if currency == "JPY" else 2
        for total in result.taxes:
            assert abs(exact_by_code[total.code].scaleb(scale) - total.amount) <= Decimal("0.5")
