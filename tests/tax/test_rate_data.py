"""The tax-rate reference data shipped in ``comptoir.tax/data``: layout, sources and known values.

Plain tests with no fixture: they read the CSV files as the catalog loader does, from the
package resources, and check them against facts that are true on 2026-01-01.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from datetime import date
from decimal import Decimal, InvalidOperation
from importlib.resources import files
from importlib.resources.abc import Traversable

import pytest

DATA = files("comptoir.tax") / "data"

VAT_HEADER = ["country", "region", "category", "rate", "label", "source", "as_of"]
US_HEADER = ["state", "name", "rate", "source", "as_of"]
ZM_HEADER = [
    "code",
    "label",
    "rate",
    "kind",
    "category",
    "treatment",
    "mention",
    "source",
    "as_of",
]

EU_MEMBERS = {
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
    "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
}  # fmt: skip
VAT_CATEGORIES = {"standard", "reduced", "reduced_2", "reduced_3", "super_reduced", "parking"}
VAT_REGIONS = {"": None, "corsica": "FR", "overseas": "FR", "madeira": "PT", "azores": "PT"}

US_NO_SALES_TAX = {"AK", "DE", "MT", "NH", "OR"}

ZRA_CODES = {"A", "B", "C1", "C2", "C3", "D", "E", "RVAT", "TOT", "IPL1", "IPL2", "TL", "F"}
ZM_CATEGORIES = {"standard", "zero", "exempt", "levy", "turnover"}
ZM_TREATMENTS = {
    "domestic",
    "export",
    "zero_rated",
    "exempt",
    "disbursement",
    "reverse_charge",
    "levy",
}

PLAIN_DECIMAL = re.compile(r"\d+(\.\d+)?")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _read(name: str) -> tuple[list[str], list[dict[str, str]]]:
    resource: Traversable = DATA / name
    assert resource.is_file(), f"{name} is missing from comptoir.tax/data"
    with resource.open("r", encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


def _vat() -> list[dict[str, str]]:
    return _read("vat_rates.csv")[1]


def _us() -> list[dict[str, str]]:
    return _read("us_sales_tax.csv")[1]


def _zm() -> list[dict[str, str]]:
    return _read("zm_tax_codes.csv")[1]


def _vat_rate(country: str, category: str, region: str = "") -> Decimal:
    matches = [
        row
        for row in _vat()
        if (row["country"], row["region"], row["category"]) == (country, region, category)
    ]
    assert len(matches) == 1, f"expected one {country}/{region or '-'}/{category} row"
    return Decimal(matches[0]["rate"])


# --- layout, common to the three files ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "header"),
    [
        ("vat_rates.csv", VAT_HEADER),
        ("us_sales_tax.csv", US_HEADER),
        ("zm_tax_codes.csv", ZM_HEADER),
    ],
)
def test_header_is_exact_and_rows_are_complete(name: str, header: list[str]) -> None:
    fieldnames, rows = _read(name)
    assert fieldnames == header
    assert rows, f"{name} has no rows"
    for row in rows:
        # DictReader puts surplus cells under None and fills missing ones with None.
        assert None not in row, f"{name}: too many cells in {row}"
        assert all(value is not None for value in row.values()), f"{name}: short row {row}"


@pytest.mark.parametrize("name", ["vat_rates.csv", "us_sales_tax.csv", "zm_tax_codes.csv"])
def test_first_line_is_the_header_without_comments_or_bom(name: str) -> None:
    text = (DATA / name).read_text(encoding="utf-8")
    assert not text.startswith("\ufeff")
    lines = text.splitlines()
    assert not any(line.lstrip().startswith("#") for line in lines)
    assert all(line.strip() for line in lines), f"{name} has a blank line"


@pytest.mark.parametrize("name", ["vat_rates.csv", "us_sales_tax.csv", "zm_tax_codes.csv"])
def test_every_rate_is_a_plain_decimal_percentage_below_100(name: str) -> None:
    for row in _read(name)[1]:
        raw = row["rate"]
        assert "%" not in raw and "," not in raw, f"{name}: rate {raw!r} is not a plain decimal"
        assert PLAIN_DECIMAL.fullmatch(raw), f"{name}: rate {raw!r} is not a plain decimal"
        try:
            rate = Decimal(raw)
        except InvalidOperation:  # pragma: no cover - the regex above already rules it out
            pytest.fail(f"{name}: rate {raw!r} is not a decimal")
        assert Decimal(0) <= rate < Decimal(100), f"{name}: rate {raw} out of [0, 100)"


@pytest.mark.parametrize("name", ["vat_rates.csv", "us_sales_tax.csv", "zm_tax_codes.csv"])
def test_every_row_names_its_source_and_date(name: str) -> None:
    for row in _read(name)[1]:
        assert row["source"].startswith("https://"), f"{name}: bad source in {row}"
        assert len(row["source"]) > len("https://x.y"), f"{name}: bad source in {row}"
        assert ISO_DATE.fullmatch(row["as_of"]), f"{name}: as_of {row['as_of']!r} is not ISO"
        as_of = date.fromisoformat(row["as_of"])
        assert date(2000, 1, 1) <= as_of <= date(2026, 12, 31), f"{name}: odd as_of in {row}"


# --- vat_rates.csv ----------------------------------------------------------------------------


def test_vat_keys_are_unique() -> None:
    keys = Counter((row["country"], row["region"], row["category"]) for row in _vat())
    duplicates = [key for key, count in keys.items() if count > 1]
    assert not duplicates


def test_vat_rates_are_distinct_within_a_country_or_region() -> None:
    # The catalog names national taxes "<country>-<rate>": two rows at one rate would clash.
    keys = Counter(
        (row["country"], row["region"], Decimal(row["rate"]).normalize()) for row in _vat()
    )
    assert not [key for key, count in keys.items() if count > 1]


def test_vat_columns_use_the_agreed_vocabulary() -> None:
    for row in _vat():
        assert re.fullmatch(r"[A-Z]{2}", row["country"]), row
        assert row["country"] != "EL", "Greece is GR in ISO 3166"
        assert row["category"] in VAT_CATEGORIES, row
        assert row["region"] in VAT_REGIONS, row
        owner = VAT_REGIONS[row["region"]]
        assert owner is None or owner == row["country"], row
        assert row["label"].strip(), row


def test_every_eu_member_state_has_a_standard_rate() -> None:
    national_standard = {
        row["country"] for row in _vat() if row["category"] == "standard" and not row["region"]
    }
    missing = (EU_MEMBERS | {"GB", "ZM"}) - national_standard
    assert not missing, f"no standard rate for {sorted(missing)}"


def test_vat_covers_only_the_eu_the_uk_and_zambia() -> None:
    assert {row["country"] for row in _vat()} == EU_MEMBERS | {"GB", "ZM"}


def test_every_region_and_country_has_a_standard_rate_above_its_other_rates() -> None:
    groups: dict[tuple[str, str], dict[str, Decimal]] = {}
    for row in _vat():
        groups.setdefault((row["country"], row["region"]), {})[row["category"]] = Decimal(
            row["rate"]
        )
    for key, rates in groups.items():
        assert "standard" in rates, f"{key} has no standard rate"
        others = [rate for category, rate in rates.items() if category != "standard"]
        assert all(rate < rates["standard"] for rate in others), key


def test_eu_standard_rates_respect_the_15_percent_floor() -> None:
    for row in _vat():
        if row["country"] in EU_MEMBERS and row["category"] == "standard" and not row["region"]:
            assert Decimal(row["rate"]) >= 15, row


def test_reduced_rates_decrease_in_order() -> None:
    order = ["reduced", "reduced_2", "reduced_3"]
    groups: dict[tuple[str, str], dict[str, Decimal]] = {}
    for row in _vat():
        if row["category"] in order:
            groups.setdefault((row["country"], row["region"]), {})[row["category"]] = Decimal(
                row["rate"]
            )
    for key, rates in groups.items():
        present = [category for category in order if category in rates]
        assert present == order[: len(present)], f"{key}: gap in {present}"
        values = [rates[category] for category in present]
        assert values == sorted(values, reverse=True), f"{key}: {values} not decreasing"


def test_france_mainland_rates() -> None:
    assert _vat_rate("FR", "standard") == Decimal("20")
    assert _vat_rate("FR", "reduced") == Decimal("10")
    assert _vat_rate("FR", "reduced_2") == Decimal("5.5")
    assert _vat_rate("FR", "super_reduced") == Decimal("2.1")


def test_france_overseas_and_corsica_rates() -> None:
    assert _vat_rate("FR", "standard", "overseas") == Decimal("8.5")
    assert _vat_rate("FR", "reduced", "overseas") == Decimal("2.1")
    assert _vat_rate("FR", "super_reduced", "overseas") == Decimal("1.05")
    assert _vat_rate("FR", "standard", "corsica") == Decimal("20")
    corsica = {Decimal(row["rate"]) for row in _vat() if row["region"] == "corsica"}
    assert corsica == {Decimal(rate) for rate in ("20", "13", "10", "2.1", "0.9")}


@pytest.mark.parametrize(
    ("country", "category", "rate"),
    [
        ("DE", "standard", "19"),
        ("DE", "reduced", "7"),
        ("HU", "standard", "27"),
        ("LU", "standard", "17"),
        ("LU", "reduced", "8"),
        ("LU", "super_reduced", "3"),
        ("LU", "parking", "14"),
        ("GB", "standard", "20"),
        ("GB", "reduced", "5"),
        ("ZM", "standard", "16"),
        ("FI", "standard", "25.5"),
        ("EE", "standard", "24"),
        ("SK", "standard", "23"),
        ("SK", "reduced", "19"),
        ("SK", "reduced_2", "5"),
        ("RO", "standard", "21"),
        ("RO", "reduced", "11"),
        ("CZ", "standard", "21"),
        ("CZ", "reduced", "12"),
        ("IE", "standard", "23"),
        ("IE", "parking", "13.5"),
        ("IE", "reduced", "9"),
        ("IE", "super_reduced", "4.8"),
        ("ES", "standard", "21"),
        ("ES", "reduced", "10"),
        ("ES", "super_reduced", "4"),
        ("IT", "standard", "22"),
        ("IT", "reduced", "10"),
        ("IT", "reduced_2", "5"),
        ("IT", "super_reduced", "4"),
        ("BE", "parking", "12"),
        ("AT", "parking", "13"),
        ("DK", "standard", "25"),
    ],
)
def test_known_vat_rates(country: str, category: str, rate: str) -> None:
    assert _vat_rate(country, category) == Decimal(rate)


def test_denmark_has_only_a_standard_rate() -> None:
    assert [row["category"] for row in _vat() if row["country"] == "DK"] == ["standard"]


# --- us_sales_tax.csv -------------------------------------------------------------------------


def test_us_has_fifty_states_and_dc() -> None:
    rows = _us()
    codes = [row["state"] for row in rows]
    assert len(rows) == 51
    assert len(set(codes)) == 51
    assert "DC" in codes
    for row in rows:
        assert re.fullmatch(r"[A-Z]{2}", row["state"]), row
        assert row["name"].strip(), row


def test_us_states_without_sales_tax_are_at_zero() -> None:
    rates = {row["state"]: Decimal(row["rate"]) for row in _us()}
    assert {state for state, rate in rates.items() if rate == 0} == US_NO_SALES_TAX


@pytest.mark.parametrize(
    ("state", "rate"),
    [("CA", "7.25"), ("TX", "6.25"), ("NY", "4"), ("FL", "6"), ("DC", "6"), ("CO", "2.9")],
)
def test_known_us_rates(state: str, rate: str) -> None:
    rates = {row["state"]: Decimal(row["rate"]) for row in _us()}
    assert rates[state] == Decimal(rate)


# --- zm_tax_codes.csv -------------------------------------------------------------------------


def test_zra_codes_are_all_present_and_unique() -> None:
    codes = [row["code"] for row in _zm()]
    assert len(codes) == len(set(codes))
    assert set(codes) == ZRA_CODES


def test_zra_columns_use_the_agreed_vocabulary() -> None:
    for row in _zm():
        assert row["kind"] == "percent", row
        assert row["category"] in ZM_CATEGORIES, row
        assert row["treatment"] in ZM_TREATMENTS, row
        assert row["label"].strip(), row


@pytest.mark.parametrize(
    ("code", "rate"),
    [
        ("A", "16"),
        ("B", "16"),
        ("C1", "0"),
        ("C2", "0"),
        ("C3", "0"),
        ("D", "0"),
        ("E", "0"),
        ("RVAT", "16"),
        ("TL", "1.5"),
        ("F", "10"),
    ],
)
def test_known_zra_rates(code: str, rate: str) -> None:
    rates = {row["code"]: Decimal(row["rate"]) for row in _zm()}
    assert rates[code] == Decimal(rate)


def test_zra_zero_rated_and_exempt_codes_carry_an_invoice_mention() -> None:
    rows = {row["code"]: row for row in _zm()}
    for code in ("C1", "C2", "C3", "D", "RVAT"):
        assert rows[code]["mention"].strip(), f"{code} needs an invoice mention"
    assert rows["C1"]["treatment"] == "export"
    assert rows["D"]["treatment"] == "exempt"
    assert rows["E"]["treatment"] == "disbursement"
    assert rows["RVAT"]["treatment"] == "reverse_charge"
    assert rows["TOT"]["category"] == "turnover"
