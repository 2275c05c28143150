"""A year of business generated from a seed and driven through the API as a client would,
with a record of every document sent so that tests recompute the VAT return and the
statements from the documents, independently of the ledger.

2025 is the year: it is over whatever day the tests run, so it can be closed. Sales at
every French rate, services taxed on payment, intra-EU sales of goods and services,
exports invoiced in dollars and paid at another rate, credit notes, bills (one of them
for equipment), a reverse-charge purchase of services from a German supplier, expenses,
capital, a loan and its repayments.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from fastapi.testclient import TestClient

from tests.compliance.scenario import set_siren
from tests.conftest import Account
from tests.ledger.helpers import entry
from tests.purchases.expense_helpers import act, expense, set_rules
from tests.purchases.helpers import bill, supplier
from tests.sales.helpers import customer, invoice, pay

YEAR = 2025
CENT = Decimal("0.01")
RATES = {
    "FR-20": Decimal(20),
    "FR-10": Decimal(10),
    "FR-5.5": Decimal("5.5"),
    "FR-2.1": Decimal("2.1"),
    "FR-20-S": Decimal(20),
    "FR-AI-S-20": Decimal(20),
    "EU-RC-S": Decimal(0),
    "EU-RC-G": Decimal(0),
    "EXPORT": Decimal(0),
}
DOMESTIC = [
    ("Matériel", "FR-20"),
    ("Repas d'affaires", "FR-10"),
    ("Livres", "FR-5.5"),
    ("Presse", "FR-2.1"),
    ("Conseil", "FR-20-S"),
]


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def day(month: int, on: int) -> str:
    return date(YEAR, month, on).isoformat()


def month_of(on: str) -> int:
    return date.fromisoformat(on).month


@dataclass
class Vat:
    """What the documents say the VAT return holds, month by month: bases and VAT per
    tax code, collected and deductible, and deductible VAT on equipment apart."""

    collected_base: dict[tuple[int, str], Decimal] = field(
        default_factory=lambda: defaultdict(Decimal)
    )
    collected: dict[tuple[int, str], Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    deductible: dict[tuple[int, str], Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    deductible_assets: dict[int, Decimal] = field(default_factory=lambda: defaultdict(Decimal))

    def sale(self, month: int, code: str, base: Decimal, tax: Decimal) -> None:
        self.collected_base[(month, code)] += base
        self.collected[(month, code)] += tax

    def purchase(self, month: int, code: str, tax: Decimal, *, asset: bool = False) -> None:
        if asset:
            self.deductible_assets[month] += tax
        else:
            self.deductible[(month, code)] += tax

    def months(self, months: range | list[int]) -> Vat:
        """The same figures summed over ``months``, as month 0."""
        chosen = set(months)
        total = Vat()
        for source, target in (
            (self.collected_base, total.collected_base),
            (self.collected, total.collected),
            (self.deductible, total.deductible),
        ):
            for (month, code), amount in source.items():
                if month in chosen:
                    target[(0, code)] += amount
        for month, amount in self.deductible_assets.items():
            if month in chosen:
                total.deductible_assets[0] += amount
        return total


@dataclass
class Year:
    owner: Account
    vat: Vat = field(default_factory=Vat)
    invoices: list[dict[str, Any]] = field(default_factory=list)
    bills: list[dict[str, Any]] = field(default_factory=list)
    expenses: int = 0


def _line_tax(quantity: int, price: Decimal, code: str) -> tuple[Decimal, Decimal]:
    net = cents(quantity * price)
    return net, cents(net * RATES[code] / 100)


class _Builder:
    def __init__(self, client: TestClient, owner: Account, seed: int) -> None:
        self.client = client
        self.owner = owner
        self.rng = random.Random(seed)
        self.year = Year(owner)
        self.receivable: list[tuple[str, dict[str, Any], int]] = []

    def price(self, low: int, high: int) -> Decimal:
        return Decimal(self.rng.randint(low, high)) / 100

    def rate(self, month: int) -> Decimal:
        return Decimal("0.90") + Decimal(month) * Decimal("0.005")

    def setup(self) -> None:
        client, owner = self.client, self.owner
        set_siren(client, owner)
        set_rules(client, owner, [{"up_to": None, "steps": []}])
        self.dupont = customer(client, owner, name="Dupont SA")["id"]
        self.muller = customer(
            client, owner, name="Müller GmbH", country="DE", vat_number="DE136695976"
        )["id"]
        self.yankee = customer(client, owner, name="Yankee Inc", country="US", currency="USD")["id"]
        self.martin = supplier(client, owner, name="Établissements Martin")["id"]
        self.cloud = supplier(client, owner, name="Cloudhaus GmbH", country="DE")["id"]
        for month in range(1, 13):
            response = client.post(
                "/api/v1/exchange-rates",
                headers=owner.headers,
                json={
                    "base": "USD",
                    "quote": "EUR",
                    "date": day(month, 1),
                    "rate": str(self.rate(month)),
                },
            )
            assert response.status_code == 201, response.text
        entry(
            client,
            owner,
            [("512", "debit", "20000.00"), ("101", "credit", "20000.00")],
            on=day(1, 2),
        )
        entry(
            client,
            owner,
            [("512", "debit", "10000.00"), ("164", "credit", "10000.00")],
            on=day(2, 1),
        )

    def domestic_invoice(self, month: int, on: int, kinds: list[tuple[str, str]]) -> None:
        lines = []
        taxes: list[tuple[str, Decimal, Decimal]] = []
        for description, code in kinds:
            quantity = self.rng.randint(1, 5)
            price = self.price(1000, 90000)
            net, tax = _line_tax(quantity, price, code)
            taxes.append((code, net, tax))
            lines.append(
                {
                    "description": description,
                    "quantity": str(quantity),
                    "unit_price": str(price),
                    "tax_codes": [code],
                }
            )
        issued = invoice(self.client, self.owner, self.dupont, lines, issue_date=day(month, on))
        self.year.invoices.append(issued)
        for code, net, tax in taxes:
            if not code.endswith("-S"):
                self.year.vat.sale(month, code, net, tax)
        paid_in = min(month + self.rng.randint(0, 1), 12)
        self.receivable.append((self.dupont, issued, paid_in))
        self.pending_services[issued["id"]] = [t for t in taxes if t[0].endswith("-S")]

    def credit_note(self, month: int, target: dict[str, Any]) -> None:
        first = target["lines"][0]
        code = first["tax_codes"][0]
        price = Decimal(first["unit_price"])
        response = self.client.post(
            "/api/v1/credit-notes",
            headers=self.owner.headers,
            json={
                "invoice": target["id"],
                "issue_date": day(month, 25),
                "lines": [
                    {
                        "description": "Retour",
                        "quantity": "1",
                        "unit_price": str(price),
                        "tax_codes": [code],
                    }
                ],
            },
        )
        assert response.status_code == 201, response.text
        issued = self.client.post(
            f"/api/v1/credit-notes/{response.json()['id']}/issue", headers=self.owner.headers
        )
        assert issued.status_code == 200, issued.text
        net, tax = _line_tax(1, price, code)
        self.year.vat.sale(month, code, -net, -tax)

    def foreign_sales(self, month: int) -> None:
        if month % 2 == 0:
            kind, code = "Audit à distance", "EU-RC-S"
        else:
            kind, code = "Pièces détachées", "EU-RC-G"
        price = self.price(50000, 200000)
        issued = invoice(
            self.client,
            self.owner,
            self.muller,
            [{"description": kind, "quantity": "1", "unit_price": str(price), "tax_codes": [code]}],
            issue_date=day(month, 18),
        )
        self.year.vat.sale(month, code, price, Decimal(0))
        self.receivable.append((self.muller, issued, min(month + 1, 12)))
        if month % 3 == 2:
            price = self.price(100000, 300000)
            exported = invoice(
                self.client,
                self.owner,
                self.yankee,
                [
                    {
                        "description": "Licence",
                        "quantity": "1",
                        "unit_price": str(price),
                        "tax_codes": ["EXPORT"],
                    }
                ],
                issue_date=day(month, 19),
            )
            in_euros = cents(price * Decimal(exported["exchange_rate"]))
            self.year.vat.sale(month, "EXPORT", in_euros, Decimal(0))
            self.receivable.append((self.yankee, exported, min(month + 1, 12)))

    def collect(self, month: int) -> None:
        """Payments received this month, each paying one invoice in full."""
        due = [item for item in self.receivable if item[2] == month]
        self.receivable = [item for item in self.receivable if item[2] != month]
        for party, issued, _ in due:
            current = self.client.get(
                f"/api/v1/invoices/{issued['id']}", headers=self.owner.headers
            ).json()
            amount = current["amount_due"]
            if Decimal(amount) == 0:
                continue
            on = day(month, 28)
            pay(self.client, self.owner, party, amount, [(issued["id"], amount)], on=on)
            for code, net, tax in self.pending_services.pop(issued["id"], []):
                self.year.vat.sale(month, code, net, tax)

    def purchases(self, month: int) -> None:
        kinds = [("606", "FR-20", "Fournitures"), ("625", "FR-10", "Réceptions")]
        if month % 3 == 0:
            kinds.append(("2183", "FR-20", "Ordinateur"))
        for account, code, description in kinds:
            price = self.price(5000, 80000)
            posted = bill(
                self.client,
                self.owner,
                self.martin,
                [
                    {
                        "description": description,
                        "quantity": "1",
                        "unit_price": str(price),
                        "tax_codes": [code],
                        "account": account,
                    }
                ],
                issue_date=day(month, 8),
            )
            self.year.bills.append(posted)
            self.year.vat.purchase(
                month, code, cents(price * RATES[code] / 100), asset=account.startswith("2")
            )
        if month in (4, 10):
            price = self.price(100000, 250000)
            posted = bill(
                self.client,
                self.owner,
                self.cloud,
                [
                    {
                        "description": "Hébergement",
                        "quantity": "1",
                        "unit_price": str(price),
                        "tax_codes": ["FR-AI-S-20"],
                        "account": "628",
                    }
                ],
                issue_date=day(month, 9),
            )
            self.year.bills.append(posted)
            tax = cents(price * RATES["FR-AI-S-20"] / 100)
            self.year.vat.sale(month, "FR-AI-S-20", price, tax)
            self.year.vat.purchase(month, "FR-AI-S-20", tax)

    def expenses(self, month: int) -> None:
        for amount, code, category in (
            (self.price(1200, 6000), "FR-20", "travel"),
            (self.price(2000, 9000), "FR-10", "meals"),
        ):
            created = expense(
                self.client,
                self.owner,
                date=day(month, 20),
                amount=str(amount),
                tax_code=code,
                category=category,
            )
            submitted = act(self.client, self.owner, created["id"], "submit")
            assert submitted.status_code == 200, submitted.text
            rate = RATES[code]
            self.year.vat.purchase(month, code, cents(amount * rate / (100 + rate)))
            self.year.expenses += 1

    def bank(self, month: int) -> None:
        if month >= 3:
            entry(
                self.client,
                self.owner,
                [
                    ("164", "debit", "300.00"),
                    ("661", "debit", "25.00"),
                    ("512", "credit", "325.00"),
                ],
                on=day(month, 5),
                journal="BQ",
            )

    def build(self) -> Year:
        self.pending_services: dict[str, list[tuple[str, Decimal, Decimal]]] = {}
        self.setup()
        for month in range(1, 13):
            self.bank(month)
            self.purchases(month)
            self.domestic_invoice(month, 3, [("Matériel", "FR-20")])
            for on in (10, 17):
                picks = self.rng.sample(DOMESTIC, self.rng.randint(1, 3))
                self.domestic_invoice(month, on, picks)
            if month % 3 == 0:
                self.credit_note(month, self.year.invoices[-3])
            self.foreign_sales(month)
            self.expenses(month)
            self.collect(month)
        return self.year


def build(client: TestClient, owner: Account, seed: int = 2025) -> Year:
    return _Builder(client, owner, seed).build()
