"""The checker catches each kind of broken FEC, with its line and column."""

from __future__ import annotations

from datetime import date

import pytest

from comptoir.compliance.service.fec import COLUMNS, amount, transliterate
from comptoir.compliance.service.fec_checks import Report, check_bytes

HEADER = "|".join(COLUMNS)
YEAR = (date(2026, 1, 1), date(2026, 12, 31))


def _line(**changes: str) -> str:
    values = {
        "JournalCode": "VT",
        "JournalLib": "Ventes",
        "EcritureNum": "VT-2026-00001",
        "EcritureDate": "20260110",
        "CompteNum": "411",
        "CompteLib": "Clients",
        "CompAuxNum": "",
        "CompAuxLib": "",
        "PieceRef": "F-1",
        "PieceDate": "20260110",
        "EcritureLib": "Facture F-1",
        "Debit": "120,00",
        "Credit": "0,00",
        "EcritureLet": "",
        "DateLet": "",
        "ValidDate": "20260110",
        "Montantdevise": "",
        "Idevise": "",
    }
    return "|".join({**values, **changes}[c] for c in COLUMNS)


def _entry(number: int, **changes: str) -> list[str]:
    num = changes.pop("EcritureNum", f"VT-2026-{number:05d}")
    return [
        _line(**{"EcritureNum": num, **changes}),
        _line(EcritureNum=num, CompteNum="706", CompteLib="Ventes", Debit="0,00", Credit="120,00"),
    ]


def _check(lines: list[str], header: str = HEADER, newline: str = "\r\n") -> Report:
    text = newline.join([header, *lines]) + newline
    raw = text.encode("utf-8")
    # In uneven chunks, as an upload or a stream gives them.
    return check_bytes([raw[i : i + 7] for i in range(0, len(raw), 7)], YEAR)


def _codes(report: Report) -> set[tuple[int, str | None, str]]:
    return {(p.line, p.column, p.code) for p in report.problems}


def test_a_good_file_passes_with_crlf_or_lf() -> None:
    lines = _entry(1) + _entry(2) + _entry(3)
    for newline in ("\r\n", "\n"):
        report = _check(lines, newline=newline)
        assert report.ok, report.problems
        assert (report.lines, report.entries) == (6, 3)


def test_latin9_file_is_read() -> None:
    raw = "\r\n".join([HEADER, *_entry(1, CompteLib="Clients étrangers")]).encode("iso-8859-15")
    assert check_bytes([raw], YEAR).ok


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (_entry(1, Debit="100,00"), {(2, "Debit", "unbalanced")}),
        (_entry(1) + _entry(3), {(0, "EcritureNum", "number_gap")}),
        (_entry(1) + _entry(2) + _entry(1), {(6, "EcritureNum", "duplicate_number")}),
        (
            _entry(1, EcritureDate="20250110"),
            {(2, "EcritureDate", "outside_year")},
        ),
        (_entry(1, JournalLib=""), {(2, "JournalLib", "missing")}),
        (_entry(1, PieceRef=""), {(2, "PieceRef", "missing")}),
        (_entry(1, ValidDate=""), {(2, "ValidDate", "missing")}),
        (_entry(1, CompteNum="C411"), {(2, "CompteNum", "account_number")}),
        (_entry(1, CompteNum="41"), {(2, "CompteNum", "account_number")}),
        (_entry(1, EcritureDate="2026-01-10"), {(2, "EcritureDate", "date_format")}),
        (_entry(1, PieceDate="20260231"), {(2, "PieceDate", "date_format")}),
        (
            _entry(1, Debit="120.00"),
            {(2, "Debit", "amount_format"), (2, "Debit", "unbalanced")},
        ),
        (
            _entry(1, Debit="1 120,00"),
            {(2, "Debit", "amount_format"), (2, "Debit", "unbalanced")},
        ),
        (_entry(1, EcritureLet="A"), {(2, "DateLet", "missing")}),
        (_entry(1, Montantdevise="100,00"), {(2, "Idevise", "missing")}),
        (_entry(1, EcritureNum="VT-ABC"), {(2, "EcritureNum", "number_format")}),
        ([_line() + "|extra"], {(2, None, "column_count")}),
        ([_line().rsplit("|", 1)[0]], {(2, None, "column_count")}),
    ],
    ids=[
        "unbalanced",
        "gap",
        "duplicate",
        "outside-year",
        "missing-journal-lib",
        "missing-piece-ref",
        "missing-valid-date",
        "account-letters",
        "account-two-digits",
        "iso-date",
        "impossible-date",
        "decimal-point",
        "thousands-separator",
        "lettered-without-date",
        "foreign-without-currency",
        "number-without-digits",
        "extra-column",
        "missing-column",
    ],
)
def test_each_broken_file_is_caught(
    lines: list[str], expected: set[tuple[int, str | None, str]]
) -> None:
    assert _codes(_check(lines)) >= expected
    assert not _check(lines).ok


def test_header_problems() -> None:
    swapped = list(COLUMNS)
    swapped[0], swapped[1] = swapped[1], swapped[0]
    assert _codes(_check(_entry(1), header="|".join(swapped))) == {
        (1, "JournalCode", "column_order"),
        (1, "JournalLib", "column_order"),
    }
    assert _codes(_check(_entry(1), header=";".join(COLUMNS))) == {(1, None, "column_count")}
    assert _codes(check_bytes([b""])) == {(0, None, "empty_file")}
    assert _codes(_check([])) == {(0, None, "no_entries")}


def test_problems_are_capped_but_counted() -> None:
    lines = [row for n in range(1, 1502) for row in _entry(n, CompteNum="X")]
    report = _check(lines)
    assert len(report.problems) == 1000 and report.more == 1501 - 1000


def test_amounts_and_transliteration() -> None:
    assert [amount(v, 2) for v in (123456, 0, 5, -1050)] == ["1234,56", "0,00", "0,05", "-10,50"]
    assert (amount(1500, 0), amount(1500, 3)) == ("1500", "1,500")
    latin = transliterate("Œuvre à 20 € \u2013 \u201cZoë\u2019s\u201d Łódź Ő 中")
    assert latin == 'Œuvre à 20 € - "Zoë\'s" ?ódz O ?'
    assert transliterate("déjà vu").encode("iso-8859-15") == "déjà vu".encode("iso-8859-15")
