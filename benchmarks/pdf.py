"""Time to render business documents to PDF with ``comptoir.printing``.

    .venv/bin/python benchmarks/pdf.py [--runs N] [--output DIRECTORY]

Renders a one-page French invoice (10 lines, a PNG logo, tax breakdown, totals, notes,
payment details and legal mentions) and a 300-line invoice of the same kind (about ten
pages, long descriptions wrapping), and prints the median and 95th-percentile time of
each over ``--runs`` runs (a fifth as many for the long one), with the median CPU time,
after one render that parses the fonts (timed apart: the first document in a process).
``--output`` also writes both PDFs there, to look at.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

from PIL import Image, ImageDraw
from pypdf import PdfReader

from comptoir.printing import Column, PrintedDocument, PrintedParty, PrintedTable, render

NB = "\u00a0"
NNB = "\u202f"
DESCRIPTIONS = (
    "Conseil en stratégie numérique",
    "Développement d'une application métier, sprint de deux semaines",
    "Hébergement mensuel",
    "Licence annuelle « Comptoir Pro », mise à jour et support téléphonique prioritaire "
    "inclus, facturée au prorata de la période restant à courir",
)


def euros(cents: int) -> str:
    units, rest = divmod(cents, 100)
    return f"{units:,}".replace(",", NNB) + f",{rest:02d}{NB}€"


def logo() -> bytes:
    image = Image.new("RGBA", (360, 120), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 10, 100, 110), 18, fill=(32, 84, 147, 255))
    draw.ellipse((25, 35, 75, 85), fill=(255, 255, 255, 255))
    draw.rectangle((120, 40, 340, 60), fill=(32, 84, 147, 255))
    buffer = BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def invoice(lines: int, long_descriptions: bool) -> PrintedDocument:
    rows = []
    total = 0
    for index in range(lines):
        quantity = index % 7 + 1
        amount = quantity * 125_000
        total += amount
        description = DESCRIPTIONS[index % (4 if long_descriptions else 3)]
        rows.append(
            (
                f"{description} ({index + 1})",
                f"{quantity},00",
                "h" if index % 2 else "u",
                euros(125_000),
                f"5{NB}%" if index % 5 == 0 else "",
                f"20{NB}%",
                euros(amount),
            )
        )
    tax = total // 5
    return PrintedDocument(
        title="Facture",
        number="F-2026-00042",
        seller=PrintedParty(
            "Atelier Lumière SARL",
            (
                "12 rue de l'Église",
                "69002 Lyon, France",
                "contact@atelier-lumiere.fr",
                "SIRET 123 456 789 00012",
                "TVA FR12 123456789",
            ),
        ),
        buyer=PrintedParty(
            "Société Générale des Écrins SAS",
            ("Service comptabilité", "5 avenue des Champs-Élysées", "75008 Paris, France"),
        ),
        seller_heading="Émetteur",
        buyer_heading="Facturé à",
        facts=(
            ("Date d'émission", "21/11/2026"),
            ("Date d'échéance", "21/12/2026"),
            ("Référence client", "BC-7781"),
        ),
        table=PrintedTable(
            (
                Column("Description", width=5.2),
                Column("Qté", "right", 1.0),
                Column("Unité", width=0.9),
                Column("Prix unitaire", "right", 1.7),
                Column("Remise", "right", 1.1),
                Column("TVA", "right", 0.9),
                Column("Montant HT", "right", 1.9),
            ),
            tuple(rows),
        ),
        taxes=PrintedTable(
            (Column("Taux"), Column("Base HT", "right", 1.5), Column("TVA", "right", 1.3)),
            ((f"20{NB}%", euros(total), euros(tax)),),
        ),
        totals=(
            ("Total HT", euros(total)),
            ("TVA", euros(tax)),
            ("Net à payer", euros(total + tax)),
        ),
        notes="Merci de votre confiance.",
        payment_heading="Règlement",
        payment=(
            ("IBAN", "FR76 3000 6000 0112 3456 7890 189"),
            ("BIC", "AGRIFRPPXXX"),
            ("Référence", "F-2026-00042"),
        ),
        mentions=(
            "En cas de retard de paiement, une pénalité égale à trois fois le taux d'intérêt "
            "légal sera exigible, ainsi qu'une indemnité forfaitaire pour frais de "
            "recouvrement de 40 € (articles L441-10 et D441-5 du Code de commerce).",
        ),
        footer="Atelier Lumière SARL — capital 10 000 € — RCS Lyon 123 456 789",
        logo=logo(),
        language="fr",
        created_at=datetime(2026, 11, 21, 9, 30, tzinfo=UTC),
    )


def measure(label: str, runs: int, call: Callable[[], bytes]) -> None:
    """Wall-clock median and p95, and the median CPU time of the process (which another
    load on the machine changes less)."""
    timings, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        call()
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    timings.sort()
    p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
    print(
        f"{label:<28} n={runs:<4} median {statistics.median(timings):6.1f} ms   "
        f"p95 {p95:6.1f} ms   CPU median {statistics.median(cpu):6.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--output", type=Path, help="also write the PDFs in this directory")
    args = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"comptoir.printing benchmark; {os.cpu_count()} CPUs "
        f"({platform.processor() or platform.machine()}), Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}; load average {load:.1f}"
    )
    short, long = invoice(10, long_descriptions=False), invoice(300, long_descriptions=True)

    started = time.perf_counter()
    first = render(short)
    elapsed = (time.perf_counter() - started) * 1000
    print(f"{'first document in the process (parses the fonts)':<42} {elapsed:6.1f} ms")
    longest = render(long)
    for name, pdf in (("1-page invoice", first), ("300-line invoice", longest)):
        pages = len(PdfReader(BytesIO(pdf)).pages)
        print(f"  {name}: {pages} page(s), {len(pdf):,} bytes")
        if args.output:
            args.output.mkdir(parents=True, exist_ok=True)
            (args.output / f"{name.replace(' ', '-')}.pdf").write_bytes(pdf)

    measure("1-page invoice, 10 lines", args.runs, lambda: render(short))
    measure("300-line invoice", max(5, args.runs // 5), lambda: render(long))


if __name__ == "__main__":
    main()
