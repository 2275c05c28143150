"""The PDF renderer: every block printed, Unicode, pages, byte stability, the logo."""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from io import BytesIO

import pytest
from PIL import Image
from pypdf import PdfReader

from comptoir.printing import Column, PrintedDocument, PrintedParty, PrintedTable, render

NB = "\u00a0"  # no-break space: Babel's separator before "€" and "%" in French
NNB = "\u202f"  # narrow no-break space: Babel's thousands separator in French

LINE_COLUMNS = (
    Column("Description", width=5.0),
    Column("Qté", "right", 1.0),
    Column("Unité", width=0.9),
    Column("Prix unitaire", "right", 1.7),
    Column("Remise", "right", 1.1),
    Column("TVA", "right", 0.9),
    Column("Montant HT", "right", 1.9),
)


def line(number: int, description: str | None = None) -> tuple[str, ...]:
    return (
        description or f"Prestation n° {number}",
        "2,00",
        "h",
        f"1{NNB}234,50{NB}€",
        f"10{NB}%",
        f"20{NB}%",
        f"2{NNB}221,10{NB}€",
    )


def invoice(**changes: object) -> PrintedDocument:
    document = PrintedDocument(
        title="Facture",
        number="F-2026-00042",
        seller=PrintedParty(
            "Atelier Lumière SARL",
            ("12 rue de l'Église", "69002 Lyon", "SIRET 123 456 789 00012", "TVA FR12123456789"),
        ),
        buyer=PrintedParty("Société Générale des Écrins", ("5 avenue des Champs-Élysées",)),
        seller_heading="Émetteur",
        buyer_heading="Facturé à",
        facts=(("Date d'émission", "21/11/2026"), ("Échéance", "21/12/2026"), ("Réf.", "BC-77")),
        table=PrintedTable(LINE_COLUMNS, tuple(line(number) for number in range(1, 4))),
        taxes=PrintedTable(
            (Column("Taux"), Column("Base", "right"), Column("Montant", "right")),
            ((f"20{NB}%", f"6{NNB}663,30{NB}€", f"1{NNB}332,66{NB}€"),),
        ),
        totals=(
            ("Total HT", f"6{NNB}663,30{NB}€"),
            ("TVA", f"1{NNB}332,66{NB}€"),
            ("Net à payer", f"7{NNB}995,96{NB}€"),
        ),
        notes="Merci de votre confiance.",
        mentions=("Pénalités de retard : trois fois le taux d'intérêt légal.",),
        payment=(("IBAN", "FR76 3000 6000 0112 3456 7890 189"), ("BIC", "AGRIFRPPXXX")),
        payment_heading="Règlement",
        footer="Atelier Lumière SARL — capital 10 000 €",
        language="fr",
        created_at=datetime(2026, 11, 21, 9, 30, tzinfo=UTC),
        page_label="Page {page}/{pages}",
    )
    return dataclasses.replace(document, **changes)  # type: ignore[arg-type]


def pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(BytesIO(pdf)).pages]


def png(size: tuple[int, int] = (120, 40), image_format: str = "PNG") -> bytes:
    image = Image.new("RGB", size, (32, 84, 147))
    buffer = BytesIO()
    image.save(buffer, image_format)
    return buffer.getvalue()


def test_every_block_is_printed() -> None:
    pdf = render(invoice())

    assert pdf.startswith(b"%PDF-")
    (text,) = pages_text(pdf)
    for expected in (
        "Facture",
        "F-2026-00042",
        "ÉMETTEUR",
        "Atelier Lumière SARL",
        "12 rue de l'Église",
        "SIRET 123 456 789 00012",
        "FACTURÉ À",
        "Société Générale des Écrins",
        "Date d'émission",
        "21/12/2026",
        "BC-77",
        "Description",
        "Prix unitaire",
        "Montant HT",
        "Prestation n° 3",
        f"1{NNB}234,50{NB}€",  # the narrow no-break space survives, as Babel wrote it
        f"20{NB}%",
        "Taux",
        f"1{NNB}332,66{NB}€",
        "Total HT",
        "Net à payer",
        f"7{NNB}995,96{NB}€",
        "Merci de votre confiance.",
        "Pénalités de retard : trois fois le taux d'intérêt légal.",
        "RÈGLEMENT",
        "FR76 3000 6000 0112 3456 7890 189",
        "AGRIFRPPXXX",
        "Atelier Lumière SARL — capital 10 000 €",
        "Page 1/1",
    ):
        assert expected in text, expected


def test_metadata_come_from_the_document() -> None:
    reader = PdfReader(BytesIO(render(invoice())))

    assert reader.metadata is not None
    assert reader.metadata.title == "Facture F-2026-00042"
    assert reader.metadata.author == "Atelier Lumière SARL"
    assert reader.metadata.creation_date == datetime(2026, 11, 21, 9, 30, tzinfo=UTC)


def test_other_currencies_and_scripts_render() -> None:
    document = invoice(
        title="Invoice",
        buyer=PrintedParty("Zambezi Traders Ltd", ("Lusaka", "TPIN 1001234567")),
        table=PrintedTable(
            (Column("Item"), Column("Amount", "right")),
            (("Maize meal", "K1,234.50"), ("Tea", "£12.00"), ("Кофе — Ελληνικά", "€3.50")),
        ),
        totals=(("Amount due", "K1,250.00"),),
    )

    (text,) = pages_text(render(document))

    for expected in ("K1,234.50", "£12.00", "€3.50", "Кофе — Ελληνικά", "K1,250.00"):
        assert expected in text


def test_same_document_same_bytes() -> None:
    assert render(invoice()) == render(invoice())


def test_a_document_renders_the_same_after_others() -> None:
    """Nothing a document leaves in the shared fonts changes the next one."""
    first = render(invoice())
    render(invoice(notes="Ω ≠ ∞, ½ — ça déborde ? Ǆ ẞ ﬁ", watermark="PAYÉ"))

    assert render(invoice()) == first


def test_documents_render_at_once_in_several_threads() -> None:
    documents = [
        invoice(),
        invoice(watermark="PAYÉ", notes="Кофе ½ ≠ ∞"),
        invoice(table=PrintedTable(LINE_COLUMNS, tuple(line(n) for n in range(1, 60)))),
        invoice(logo=png()),
    ] * 2
    expected = [render(document) for document in documents]

    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(render, documents)) == expected


def test_different_data_different_bytes() -> None:
    reference = render(invoice())

    changed_total = invoice(totals=(("Net à payer", f"7{NNB}995,97{NB}€"),))
    assert render(changed_total) != reference
    later = invoice(created_at=datetime(2026, 11, 21, 9, 31, tzinfo=UTC))
    assert render(later) != reference


def test_creation_date_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        invoice(created_at=datetime(2026, 11, 21, 9, 30))


def test_creation_date_keeps_its_offset() -> None:
    paris = timezone(timedelta(hours=1))
    pdf = render(invoice(created_at=datetime(2026, 11, 21, 10, 30, tzinfo=paris)))

    reader = PdfReader(BytesIO(pdf))
    assert reader.metadata is not None
    assert reader.metadata.creation_date == datetime(2026, 11, 21, 9, 30, tzinfo=UTC)


def test_rows_must_match_the_columns() -> None:
    with pytest.raises(ValueError, match="row 2 has 1 cells for 2 columns"):
        PrintedTable((Column("A"), Column("B")), (("a", "b"), ("a",)))
    with pytest.raises(ValueError, match="align"):
        Column("A", "centre")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="page_label"):
        invoice(page_label="{page} of {total}")


def test_long_document_breaks_across_pages_repeating_the_header_row() -> None:
    rows = tuple(line(number, f"Article numéro {number:03d}") for number in range(1, 301))
    document = invoice(table=PrintedTable(LINE_COLUMNS, rows))

    texts = pages_text(render(document))

    with_rows = [number for number, text in enumerate(texts, start=1) if "Article" in text]
    assert with_rows == list(range(1, len(with_rows) + 1))
    assert len(with_rows) > 3
    for number, text in enumerate(texts, start=1):
        if number in with_rows:
            assert "Description Qté Unité Prix unitaire Remise TVA Montant HT" in text
            # the heading row comes first on continued pages
            assert number == 1 or text.index("Description Qté") < text.index("Article")
        assert f"Page {number}/{len(texts)}" in text
        assert "Atelier Lumière SARL — capital 10 000 €" in text
        if number > 1:
            assert "Facture F-2026-00042" in text  # the running title
    everything = "\n".join(texts)
    for number in range(1, 301):
        assert everything.count(f"Article numéro {number:03d}") == 1
    assert everything.count("Net à payer") == 1
    assert everything.index("Article numéro 300") < everything.index("Net à payer")


def test_a_long_description_wraps_inside_its_cell() -> None:
    words = [f"mot{number}" for number in range(80)]
    document = invoice(table=PrintedTable(LINE_COLUMNS, (line(1, " ".join(words)),)))

    (text,) = pages_text(render(document))
    lines = text.splitlines()

    holding = [index for index, text_line in enumerate(lines) if "mot" in text_line]
    assert len(holding) > 3  # several lines...
    assert holding == list(range(holding[0], holding[-1] + 1))  # ...one under the other
    assert all(f"{word} " in text or f"{word}\n" in text for word in words)
    assert f"1{NNB}234,50{NB}€" in text  # the other cells are still there


def test_an_unbreakable_word_is_cut_to_fit() -> None:
    url = "https://example.com/" + "a" * 300
    (text,) = pages_text(render(invoice(notes=url)))

    assert url.replace("\n", "") in text.replace("\n", "")


def test_watermark_is_printed_on_every_page() -> None:
    rows = tuple(line(number) for number in range(1, 120))
    texts = pages_text(
        render(invoice(watermark="BROUILLON", table=PrintedTable(LINE_COLUMNS, rows)))
    )

    assert len(texts) > 1
    assert all("BROUILLON" in text for text in texts)
    assert "BROUILLON" not in pages_text(render(invoice()))[0]


@pytest.mark.parametrize("image_format", ["PNG", "JPEG"])
def test_a_logo_is_drawn(image_format: str) -> None:
    pdf = render(invoice(logo=png(image_format=image_format)))

    (page,) = PdfReader(BytesIO(pdf)).pages
    assert len(page.images) == 1
    assert render(invoice(logo=png(image_format=image_format))) == pdf


def test_a_transparent_tall_logo_is_drawn() -> None:
    image = Image.new("RGBA", (30, 300), (200, 0, 0, 128))
    buffer = BytesIO()
    image.save(buffer, "PNG")

    (page,) = PdfReader(BytesIO(render(invoice(logo=buffer.getvalue())))).pages
    assert len(page.images) == 1


@pytest.mark.parametrize(
    "logo",
    [b"", b"not an image at all", png()[:40], b"\x89PNG\r\n\x1a\n" + b"\x00" * 64],
)
def test_a_bad_logo_is_a_clear_error(logo: bytes) -> None:
    with pytest.raises(ValueError, match="logo is not a readable PNG or JPEG image"):
        render(invoice(logo=logo))


def test_a_logo_must_be_png_or_jpeg() -> None:
    with pytest.raises(ValueError, match="PNG or JPEG image, not GIF"):
        render(invoice(logo=png(image_format="GIF")))


def test_a_customer_statement_uses_the_same_table() -> None:
    statement = PrintedDocument(
        title="Statement of account",
        number=None,
        seller=PrintedParty("Atelier Lumière SARL"),
        buyer=PrintedParty("Zambezi Traders Ltd", ("Plot 12, Cairo Road", "Lusaka")),
        buyer_heading="Customer",
        facts=(("Period", "1 Oct 2026 to 31 Oct 2026"),),
        table=PrintedTable(
            (
                Column("Date", width=1.2),
                Column("Document", width=1.4),
                Column("Description", width=3.0),
                Column("Debit", "right", 1.3),
                Column("Credit", "right", 1.3),
                Column("Balance", "right", 1.4),
            ),
            (
                ("01/10/2026", "", "Opening balance", "", "", "K1,000.00"),
                ("05/10/2026", "INV-0042", "Invoice", "K2,500.00", "", "K3,500.00"),
                ("20/10/2026", "PAY-0007", "Payment, thank you", "", "K3,000.00", "K500.00"),
            ),
        ),
        totals=(("Balance due", "K500.00"),),
        created_at=datetime(2026, 11, 1, tzinfo=UTC),
    )

    (text,) = pages_text(render(statement))

    assert "Date Document Description Debit Credit Balance" in text
    assert "20/10/2026 PAY-0007 Payment, thank you K3,000.00 K500.00" in text
    assert "Balance due K500.00" in text
    assert "Page 1/1" in text


def test_an_empty_table_and_no_optional_block() -> None:
    document = PrintedDocument(
        title="Quote",
        number="Q-1",
        seller=PrintedParty("Seller"),
        buyer=None,
        table=PrintedTable((Column("Description"), Column("Amount", "right"))),
        created_at=datetime(2026, 11, 1, tzinfo=UTC),
    )

    (text,) = pages_text(render(document))

    assert "Quote" in text
    assert "Description Amount" in text
    assert "Page 1/1" in text
