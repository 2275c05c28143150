"""VAT return layouts, kept as data (``compliance/vat_layouts/*.json``): the sections and
boxes of each country's form and what fills each box.

A data box adds up *parts*, each a kind of ledger line and the taxes it takes:

- ``collected``: VAT on a tax's collected account (credit - debit), its base from the
  lines' ``tax_base``;
- ``deductible``: VAT on a tax's deductible account (debit - credit);
- ``deductible_assets``: deductible VAT posted to an account of subtype
  ``tax_deductible_assets`` (VAT on fixed assets);
- ``sales``: the revenue lines of taxes at rate 0 (exports, intra-EU supplies, exempt
  sales), which leave no tax line (credit - debit).

A part names its taxes by the tax's ``base_box``, ``return_box`` or ``deductible_box``,
or by ``codes``; a part naming none takes every tax. ``value`` says whether the box
declares the base or the VAT; ``with_base`` shows the base beside the VAT. Other boxes
are formulas over earlier boxes (``positive`` keeps only a positive result), or the
credit carried from the previous filed return (``carried_credit``). ``total`` marks a
box that re-adds others (a total, an "of which"). A section's
``per_rate`` adds one box per rate of the taxes found in the period.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any, Literal

LayoutName = Literal["fr_ca3", "zm", "generic"]
LAYOUTS: tuple[LayoutName, ...] = ("fr_ca3", "zm", "generic")
Kind = Literal["collected", "deductible", "deductible_assets", "sales"]
KINDS: tuple[Kind, ...] = ("collected", "deductible", "deductible_assets", "sales")


@dataclass(frozen=True)
class Part:
    kind: Kind
    base_box: str | None = None
    return_box: str | None = None
    deductible_box: str | None = None
    codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class BoxSpec:
    code: str
    label: str
    label_en: str
    value: Literal["base", "amount"]
    with_base: bool
    parts: tuple[Part, ...]
    formula: tuple[tuple[int, str], ...]
    positive: bool
    carried_credit: bool
    # A total or an "of which" box re-adds what other boxes declare: a line it takes is
    # still missing from the return if no other box takes it.
    total: bool = False


@dataclass(frozen=True)
class PerRate:
    kind: Kind
    prefix: str
    label: str


@dataclass(frozen=True)
class SectionSpec:
    code: str
    label: str
    label_en: str
    boxes: tuple[BoxSpec, ...]
    per_rate: PerRate | None


@dataclass(frozen=True)
class VatLayout:
    name: LayoutName
    title: str
    title_en: str
    sections: tuple[SectionSpec, ...]
    net_due: tuple[tuple[int, str], ...]


def _part(raw: dict[str, Any]) -> Part:
    kind = raw["kind"]
    if kind not in KINDS:
        raise ValueError(f"Unknown part kind {kind!r}.")
    return Part(
        kind=kind,
        base_box=raw.get("base_box"),
        return_box=raw.get("return_box"),
        deductible_box=raw.get("deductible_box"),
        codes=tuple(raw.get("codes", ())),
    )


def _formula(raw: list[list[Any]]) -> tuple[tuple[int, str], ...]:
    return tuple((int(sign), str(code)) for sign, code in raw)


def _box(raw: dict[str, Any]) -> BoxSpec:
    return BoxSpec(
        code=raw["code"],
        label=raw["label"],
        label_en=raw.get("label_en", raw["label"]),
        value="base" if raw.get("value") == "base" else "amount",
        with_base=bool(raw.get("with_base")),
        parts=tuple(_part(p) for p in raw.get("parts", ())),
        formula=_formula(raw.get("formula", [])),
        positive=bool(raw.get("positive")),
        carried_credit=bool(raw.get("carried_credit")),
        total=bool(raw.get("total")),
    )


def _section(raw: dict[str, Any]) -> SectionSpec:
    per_rate = raw.get("per_rate")
    return SectionSpec(
        code=raw["code"],
        label=raw["label"],
        label_en=raw.get("label_en", raw["label"]),
        boxes=tuple(_box(b) for b in raw["boxes"]),
        per_rate=PerRate(per_rate["kind"], per_rate["prefix"], per_rate["label"])
        if per_rate
        else None,
    )


@cache
def load(name: LayoutName) -> VatLayout:
    raw = json.loads(
        (files("comptoir.compliance") / "vat_layouts" / f"{name}.json").read_text("utf-8")
    )
    return VatLayout(
        name=name,
        title=raw["title"],
        title_en=raw.get("title_en", raw["title"]),
        sections=tuple(_section(s) for s in raw["sections"]),
        net_due=_formula(raw["net_due"]),
    )


def for_country(country: str) -> LayoutName:
    if country == "FR":
        return "fr_ca3"
    return "zm" if country == "ZM" else "generic"
