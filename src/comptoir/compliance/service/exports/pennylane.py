"""Pennylane's import of accounting history reads a FEC: the 18 legal columns, pipe
separated, UTF-8, for any range of dates. The FEC's own writer makes it.

A history import must start from the balances of its first day, and the range's lines
leave out carried-forward openings (``extraction.range_lines``): the file opens with the
opening entry a close wrote on that day, or a block made up from the balances the day
before (``ledger.service.openings``)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date

from sqlalchemy.orm import Session

from comptoir.compliance.service import fec
from comptoir.ledger.service import extraction, openings


def records(session: Session, date_from: date, date_to: date, base_currency: str) -> Iterator[str]:
    yield fec.SEPARATORS["pipe"].join(fec.COLUMNS)
    lines = itertools.chain(
        openings.opening_lines(session, date_from),
        extraction.range_lines(session, date_from, date_to),
    )
    for record in fec.records_of(session, lines, base_currency):
        yield fec.SEPARATORS["pipe"].join(record)
