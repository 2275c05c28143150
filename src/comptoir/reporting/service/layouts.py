"""Statement layouts, kept as data (``reporting/layouts/*.json``): the lines of each
statement, the accounts behind each line, signs and subtotals.

A leaf line takes accounts by rules. A rule matches an account by code prefixes, account
types and subtypes (every criterion it names must hold) and, for accounts the accountant
places by the side of their balance (a bank overdraft among the debts, a supplier with a
debit balance among the receivables), by that side. The most specific matching rule wins:
a subtype first, then the longest prefix, then a side, then a type. An account whose best
rules sit on two lines is a fault of the layout, which the tests look for on every chart.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from typing import Any, Literal

Side = Literal["debit", "credit"]
StatementKind = Literal["income_statement", "balance_sheet", "cash_flow", "equity"]
LayoutName = Literal["fr_pcg", "ifrs"]
LAYOUTS: tuple[LayoutName, ...] = ("fr_pcg", "ifrs")
STATEMENT_TYPES: dict[StatementKind, frozenset[str]] = {
    "income_statement": frozenset({"income", "expense"}),
    "balance_sheet": frozenset({"asset", "liability", "equity"}),
}


@dataclass(frozen=True)
class Rule:
    prefixes: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    subtypes: tuple[str, ...] = ()
    balance: Side | None = None

    def score(self, code: str, type_: str, subtype: str | None, side: Side) -> tuple[int, ...]:
        """How specifically the rule matches, compared as a tuple; empty when it does not."""
        if self.balance and self.balance != side:
            return ()
        if self.types and type_ not in self.types:
            return ()
        if self.subtypes and subtype not in self.subtypes:
            return ()
        prefix = 0
        if self.prefixes:
            prefix = max((len(p) for p in self.prefixes if code.startswith(p)), default=0)
            if not prefix:
                return ()
        return (int(bool(self.subtypes)), prefix, int(bool(self.balance)), int(bool(self.types)))


@dataclass(frozen=True)
class LayoutLine:
    code: str
    label: str
    sign: int
    rules: tuple[Rule, ...]
    children: tuple[LayoutLine, ...]
    # (+1 or -1, code) terms of a computed line such as a result.
    formula: tuple[tuple[int, str], ...]
    role: str | None

    @property
    def is_leaf(self) -> bool:
        return not self.children and not self.formula

    def walk(self) -> list[LayoutLine]:
        return [self, *(line for child in self.children for line in child.walk())]


@dataclass(frozen=True)
class StatementLayout:
    kind: StatementKind
    title: str
    lines: tuple[LayoutLine, ...]
    result: str | None
    balance: tuple[str, str] | None

    def all_lines(self) -> list[LayoutLine]:
        return [line for top in self.lines for line in top.walk()]

    def leaves(self) -> list[LayoutLine]:
        return [line for line in self.all_lines() if line.is_leaf]

    def find(self, code: str) -> LayoutLine | None:
        return next((line for line in self.all_lines() if line.code == code), None)

    def candidates(self, code: str, type_: str, subtype: str | None, side: Side) -> list[str]:
        """The lines whose rules match best: exactly one in a sound layout."""
        best: tuple[int, ...] = ()
        found: list[str] = []
        for leaf in self.leaves():
            score = max((rule.score(code, type_, subtype, side) for rule in leaf.rules), default=())
            if not score:
                continue
            if score > best:
                best, found = score, [leaf.code]
            elif score == best and leaf.code not in found:
                found.append(leaf.code)
        return found

    def place(self, code: str, type_: str, subtype: str | None, side: Side) -> str:
        found = self.candidates(code, type_, subtype, side)
        if len(found) != 1:
            raise ValueError(f"{self.kind}: account {code} ({side}) lands on {found or 'no line'}")
        return found[0]


@dataclass(frozen=True)
class EquityLayout:
    """The statement of changes in equity: its rows are the leaves of a balance-sheet
    section (``rows``); ``movements`` place each equity account's movements, outside the
    close, in a column (contributions, distributions, other)."""

    title: str
    rows: str
    movements: StatementLayout


@dataclass(frozen=True)
class Layout:
    name: str
    label: str
    income_statement: StatementLayout
    balance_sheet: StatementLayout
    cash_flow: StatementLayout
    equity: EquityLayout

    def statement(self, kind: StatementKind) -> StatementLayout:
        if kind == "equity":
            return self.equity.movements
        return {
            "income_statement": self.income_statement,
            "balance_sheet": self.balance_sheet,
            "cash_flow": self.cash_flow,
        }[kind]


def _formula(text: str) -> tuple[tuple[int, str], ...]:
    terms: list[tuple[int, str]] = []
    sign = 1
    for word in text.split():
        if word in ("+", "-"):
            sign = 1 if word == "+" else -1
        else:
            terms.append((sign, word))
            sign = 1
    return tuple(terms)


def _line(data: dict[str, Any], inherited: int) -> LayoutLine:
    sign = {"debit": 1, "credit": -1}.get(data.get("sign", ""), inherited)
    return LayoutLine(
        code=data["code"],
        label=data["label"],
        sign=sign,
        rules=tuple(
            Rule(
                prefixes=tuple(rule.get("prefixes", ())),
                types=tuple(rule.get("types", ())),
                subtypes=tuple(rule.get("subtypes", ())),
                balance=rule.get("balance"),
            )
            for rule in data.get("rules", ())
        ),
        children=tuple(_line(child, sign) for child in data.get("children", ())),
        formula=_formula(data.get("formula", "")),
        role=data.get("role"),
    )


def _statement(kind: StatementKind, data: dict[str, Any]) -> StatementLayout:
    balance = data.get("balance")
    return StatementLayout(
        kind=kind,
        title=data["title"],
        lines=tuple(_line(line, 1) for line in data["lines"]),
        result=data.get("result"),
        balance=(balance[0], balance[1]) if balance else None,
    )


@lru_cache(maxsize=8)
def load(name: str) -> Layout:
    """A layout by name, from the package data."""
    text = (files("comptoir.reporting") / "layouts" / f"{name}.json").read_text(encoding="utf-8")
    data = json.loads(text)
    return Layout(
        name=data["name"],
        label=data["label"],
        income_statement=_statement("income_statement", data["income_statement"]),
        balance_sheet=_statement("balance_sheet", data["balance_sheet"]),
        cash_flow=_statement("cash_flow", data["cash_flow"]),
        equity=EquityLayout(
            title=data["equity"]["title"],
            rows=data["equity"]["rows"],
            movements=_statement(
                "equity", {"title": data["equity"]["title"], "lines": data["equity"]["movements"]}
            ),
        ),
    )


def for_chart(chart_template: str) -> LayoutName:
    """The layout a chart's statements use unless asked otherwise: the PCG's for the
    French chart, the IFRS-style one (by account type) for every other."""
    return "fr_pcg" if chart_template == "FR" else "ifrs"
