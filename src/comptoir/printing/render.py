"""Lay a :class:`PrintedDocument` out on A4 pages and write it as PDF bytes.

fpdf2 serves as the canvas (fonts, text, rules, images); the layout is done here, in two
passes. The first measures and wraps every text and places it on pages: that is how the
footer can say "1/3" on page 1, how a block that must stay together moves whole to the
next page, and how the table's heading row comes back at the top of every page it runs
onto. The second paints the pages in order: the watermark first (under everything), then
the content, then the footer.

The output is byte-stable: the creation date comes from the document, the file identifier
is a hash of the content, the font subset prefix is constant, and nothing depends on the
clock, the machine or a random number.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import NamedTuple

from fontTools import ttLib
from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont
from PIL import Image

from comptoir.printing.document import Align, PrintedDocument, PrintedParty, PrintedTable

FONT_DIR = Path(__file__).parent / "fonts"
_FAMILY = "dejavu"
_FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}

# Geometry, in millimetres (A4 portrait).
PAGE_WIDTH = 210.0
PAGE_HEIGHT = 297.0
MARGIN_X = 18.0
MARGIN_TOP = 16.0
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN_X
RIGHT = PAGE_WIDTH - MARGIN_X
FOOTER_BOTTOM = PAGE_HEIGHT - 10.0  # where the footer's last line ends
CONTINUED_HEIGHT = 9.0  # the small running title at the top of pages 2, 3...
SIDE_WIDTH = 80.0  # the right-hand column: facts, buyer, totals
GUTTER = 10.0
LOGO_MAX_WIDTH = 55.0
LOGO_MAX_HEIGHT = 22.0
CELL_PAD_X = 2.0
CELL_PAD_Y = 1.5
PT = 25.4 / 72  # millimetres per point
LEADING = 1.3  # line height, as a multiple of the font size

# Type sizes, in points.
TITLE_SIZE = 20.0
NUMBER_SIZE = 10.5
BODY_SIZE = 8.5
HEADING_SIZE = 7.0
NAME_SIZE = 10.0
TABLE_HEAD_SIZE = 7.5
TOTAL_SIZE = 9.0
GRAND_TOTAL_SIZE = 11.0
SMALL_SIZE = 7.0

Color = tuple[int, int, int]
INK: Color = (33, 37, 41)
MUTED: Color = (108, 117, 125)
RULE: Color = (218, 222, 226)
STRONG_RULE: Color = (73, 80, 87)
SHADE: Color = (241, 243, 245)
PANEL: Color = (248, 249, 250)
WATERMARK: Color = (232, 234, 237)


# -- drawing operations and boxes -----------------------------------------------------------


class _Text(NamedTuple):
    x: float
    y: float  # baseline
    text: str
    bold: bool
    size: float
    color: Color


class _Line(NamedTuple):
    x1: float
    y1: float
    x2: float
    y2: float
    width: float
    color: Color


class _Rect(NamedTuple):
    x: float
    y: float
    w: float
    h: float
    color: Color


class _Image(NamedTuple):
    data: bytes
    x: float
    y: float
    w: float
    h: float


_Op = _Text | _Line | _Rect | _Image


def _shift(op: _Op, dy: float) -> _Op:
    if isinstance(op, _Line):
        return op._replace(y1=op.y1 + dy, y2=op.y2 + dy)
    return op._replace(y=op.y + dy)


@dataclass
class _Box:
    """Drawing operations placed relative to the box's top, and the height it takes."""

    height: float = 0.0
    ops: list[_Op] = field(default_factory=list)

    def add(self, box: _Box, dy: float) -> None:
        self.ops.extend(_shift(op, dy) for op in box.ops)

    def append(self, box: _Box, gap: float = 0.0) -> None:
        """Add ``box`` under this box's content."""
        self.add(box, self.height + gap)
        self.height += gap + box.height

    def beside(self, box: _Box) -> None:
        """Add ``box`` at the same top (another column)."""
        self.add(box, 0.0)
        self.height = max(self.height, box.height)


def _stack(boxes: Sequence[_Box]) -> _Box:
    stacked = _Box()
    for box in boxes:
        stacked.append(box)
    return stacked


# -- fonts ----------------------------------------------------------------------------------

# Tables that fpdf2 leaves out of the embedded font anyway (it prints no OpenType layout)
# and the kerning table, which a PDF does not use: removed once, they are not read again
# each time a document subsets the font. The same goes for the character maps but
# Windows' two (Unicode BMP and full repertoire). About 15 ms per font and document.
_UNUSED_TABLES = ("FFTM", "GDEF", "GPOS", "GSUB", "MATH", "hdmx", "meta", "kern")


@functools.cache
def _font_templates() -> tuple[tuple[str, TTFFont, bytes], ...]:
    """The bundled fonts, parsed once per process, with the font file bytes to embed.

    fpdf2 reads a font's metrics and character map from the whole file when a font is
    added (about 25 ms per font): that is done once here, and every document gets a
    shallow copy with its own per-document state (see :func:`_add_fonts`).
    """
    scratch = FPDF()
    templates = []
    for style, name in _FONT_FILES.items():
        path = FONT_DIR / name
        scratch.add_font(_FAMILY, style, path)
        template = scratch.fonts[f"{_FAMILY}{style}"]
        assert isinstance(template, TTFFont)
        font_file = ttLib.TTFont(path, recalcTimestamp=False)
        for tag in _UNUSED_TABLES:
            if tag in font_file:
                del font_file[tag]
        cmap = font_file["cmap"]
        cmap.tables = [table for table in cmap.tables if table.platformID == 3]
        data = BytesIO()
        font_file.save(data)
        templates.append((f"{_FAMILY}{style}", template, data.getvalue()))
    return tuple(templates)


def _add_fonts(pdf: FPDF) -> None:
    """Give a new document the bundled fonts without parsing them again.

    Everything fpdf2 changes in a font while it writes a document is made anew, so that
    documents may also be rendered at once in several threads: the font file object
    (subset in place on output), the font descriptor (given an object number and the
    embedded file on output), the subset map, the missing glyphs, the width table (a
    defaultdict, which grows on unknown characters) and the largest size used. The
    character map and the metrics are read-only and shared.
    """
    assert not pdf.fonts, "fonts are added to a new document"
    for key, template, data in _font_templates():
        font = copy.copy(template)
        font.ttfont = ttLib.TTFont(BytesIO(data), recalcTimestamp=False, lazy=True)
        font.cw = template.cw.copy()
        font.desc = copy.copy(template.desc)  # a PDF object: numbered and filled on output
        font.missing_glyphs = []
        font.biggest_size_pt = 0
        font.subset = SubsetMap(font)
        pdf.fonts[key] = font


class _Measure:
    """Text widths and line wrapping, in millimetres, with the document's fonts.

    Widths are the sums of the fonts' advance widths, as fpdf2 computes them without text
    shaping, read from the width tables directly: ``FPDF.get_string_width`` costs some
    70 µs a call, and a long document measures tens of thousands of words.
    """

    def __init__(self, pdf: FPDF) -> None:
        self._widths: dict[bool, dict[int, float]] = {}
        for bold, key in ((False, _FAMILY), (True, f"{_FAMILY}B")):
            font = pdf.fonts[key]
            assert isinstance(font, TTFFont)
            self._widths[bold] = font.cw
        self._cache: dict[tuple[str, bool], float] = {}

    def width(self, text: str, bold: bool, size: float) -> float:
        key = (text, bold)
        units = self._cache.get(key)
        if units is None:
            widths = self._widths[bold]
            units = self._cache[key] = sum(widths[ord(char)] for char in text)
        return units * size * PT / 1000

    def widest_word(self, text: str, bold: bool, size: float) -> float:
        return max(self.width(word, bold, size) for word in text.replace("\n", " ").split(" "))

    def wrap(self, text: str, width: float, bold: bool, size: float) -> list[str]:
        """Greedy word wrap. Only ordinary spaces and line feeds break lines (no-break
        spaces keep amounts whole); a word longer than the line is cut between
        characters."""
        width += 1e-6  # a text measured to fit exactly, whatever the rounding
        space = self.width(" ", bold, size)
        lines: list[str] = []
        for paragraph in text.split("\n"):
            current: str | None = None
            current_width = 0.0
            for word in paragraph.split(" "):
                word_width = self.width(word, bold, size)
                if current is not None:
                    if current_width + space + word_width <= width:
                        current = f"{current} {word}"
                        current_width += space + word_width
                        continue
                    lines.append(current)
                while word_width > width and len(word) > 1:
                    cut = self._fitting_prefix(word, width, bold, size)
                    lines.append(word[:cut])
                    word = word[cut:]
                    word_width = self.width(word, bold, size)
                current, current_width = word, word_width
            lines.append(current or "")
        return lines

    def _fitting_prefix(self, word: str, width: float, bold: bool, size: float) -> int:
        low, high = 1, len(word) - 1
        while low < high:
            middle = (low + high + 1) // 2
            if self.width(word[:middle], bold, size) <= width:
                low = middle
            else:
                high = middle - 1
        return low


def _line_height(size: float) -> float:
    return size * PT * LEADING


def _baseline(top: float, size: float) -> float:
    """The baseline of a line of text whose line box starts at ``top``: capitals centred."""
    return top + _line_height(size) / 2 + 0.36 * size * PT


def _clean(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")


LOGO_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg"}
# Pixels, each way: far more than print needs, and a bound on decoding work.
LOGO_MAX_PIXELS = 4000


def _logo_facts(logo: bytes) -> tuple[str, int, int]:
    try:
        with Image.open(BytesIO(logo)) as image:
            image_format = image.format
            pixels_wide, pixels_high = image.size
            image.verify()
    except Exception as error:
        raise ValueError("the logo is not a readable PNG or JPEG image") from error
    if image_format not in LOGO_FORMATS:
        raise ValueError(f"the logo must be a PNG or JPEG image, not {image_format}")
    if max(pixels_wide, pixels_high) > LOGO_MAX_PIXELS:
        raise ValueError(f"the logo must be at most {LOGO_MAX_PIXELS} pixels wide and high")
    return LOGO_FORMATS[image_format], pixels_wide, pixels_high


def logo_content_type(logo: bytes) -> str:
    """``image/png`` or ``image/jpeg`` for a logo the renderer can print; ValueError (with a
    message for people) otherwise."""
    return _logo_facts(logo)[0]


def _logo_size(logo: bytes) -> tuple[float, float]:
    """The logo's printed size, as large as the logo box allows with its proportions."""
    _, pixels_wide, pixels_high = _logo_facts(logo)
    scale = min(LOGO_MAX_WIDTH / pixels_wide, LOGO_MAX_HEIGHT / pixels_high)
    return pixels_wide * scale, pixels_high * scale


def _fit_widths(ratios: Sequence[float], minimums: Sequence[float], width: float) -> list[float]:
    """Share ``width`` between columns in proportion to ``ratios``, but give every column at
    least its minimum (its widest word) when the table is wide enough for all of them."""
    needed = sum(minimums)
    if needed >= width:
        return [width * minimum / needed for minimum in minimums]
    fixed: dict[int, float] = {}
    while True:
        free = [index for index in range(len(ratios)) if index not in fixed]
        room = width - sum(fixed.values())
        share = sum(ratios[index] for index in free)
        widths = {index: room * ratios[index] / share for index in free}
        short = [index for index in free if widths[index] < minimums[index]]
        if not short:
            return [fixed.get(index, widths.get(index, 0.0)) for index in range(len(ratios))]
        for index in short:
            fixed[index] = minimums[index]


# -- layout ---------------------------------------------------------------------------------


class _Layout:
    """Builds the boxes of a document; positions are absolute across, relative down."""

    def __init__(self, document: PrintedDocument, measure: _Measure) -> None:
        self.document = document
        self.measure = measure

    def lines(
        self,
        text: str,
        x: float,
        width: float,
        *,
        bold: bool = False,
        size: float = BODY_SIZE,
        color: Color = INK,
        align: Align = "left",
    ) -> list[_Box]:
        """A text wrapped to ``width``, one box per line."""
        boxes = []
        for line in self.measure.wrap(_clean(text), width, bold, size):
            box = _Box(_line_height(size))
            if line:
                left = x
                if align == "right":
                    left = x + width - self.measure.width(line, bold, size)
                box.ops.append(_Text(left, _baseline(0.0, size), line, bold, size, color))
            boxes.append(box)
        return boxes

    def paragraph(
        self,
        text: str,
        x: float,
        width: float,
        *,
        bold: bool = False,
        size: float = BODY_SIZE,
        color: Color = INK,
        align: Align = "left",
    ) -> _Box:
        return _stack(self.lines(text, x, width, bold=bold, size=size, color=color, align=align))

    def heading(self, text: str, x: float, width: float) -> _Box:
        box = self.paragraph(text.upper(), x, width, bold=True, size=HEADING_SIZE, color=MUTED)
        box.height += 0.8
        return box

    def header(self) -> _Box:
        """The top of the first page: the logo on the left; the title, the number and the
        facts on the right."""
        document = self.document
        box = _Box()
        title_width = CONTENT_WIDTH
        if document.logo is not None:
            width, height = _logo_size(document.logo)
            box.beside(_Box(height, [_Image(document.logo, MARGIN_X, 0.0, width, height)]))
            title_width -= width + GUTTER
        right = self.paragraph(
            document.title,
            RIGHT - title_width,
            title_width,
            bold=True,
            size=TITLE_SIZE,
            align="right",
        )
        if document.number:
            right.append(
                self.paragraph(
                    document.number,
                    RIGHT - title_width,
                    title_width,
                    size=NUMBER_SIZE,
                    color=MUTED,
                    align="right",
                )
            )
        if document.facts:
            right.append(self.pairs(document.facts, RIGHT - SIDE_WIDTH, SIDE_WIDTH), gap=3.0)
        box.beside(right)
        return box

    def pairs(
        self,
        pairs: Sequence[tuple[str, str]],
        x: float,
        width: float,
        *,
        value_align: Align = "right",
        size: float = BODY_SIZE,
    ) -> _Box:
        """Label/value rows: the labels muted, in a column as wide as the longest (within
        reason); the values after them."""
        gap = 4.0
        longest = max(self.measure.width(label, False, size) for label, _ in pairs)
        label_width = min(longest, width * 0.5)
        box = _Box()
        for label, value in pairs:
            row = self.paragraph(label, x, label_width, size=size, color=MUTED)
            row.beside(
                self.paragraph(
                    value,
                    x + label_width + gap,
                    width - label_width - gap,
                    size=size,
                    align=value_align,
                )
            )
            box.append(row, gap=0.6 if box.height else 0.0)
        return box

    def party(self, heading: str, party: PrintedParty, x: float, width: float) -> _Box:
        box = self.heading(heading, x, width) if heading else _Box()
        box.append(self.paragraph(party.name, x, width, bold=True, size=NAME_SIZE), gap=0.0)
        box.height += 0.4
        for line in party.lines:
            box.append(self.paragraph(line, x, width))
        return box

    def parties(self) -> _Box:
        """The seller on the left, the buyer on the right (under the facts)."""
        document = self.document
        box = self.party(
            document.seller_heading, document.seller, MARGIN_X, CONTENT_WIDTH - SIDE_WIDTH - 8.0
        )
        if document.buyer is not None:
            box.beside(
                self.party(document.buyer_heading, document.buyer, RIGHT - SIDE_WIDTH, SIDE_WIDTH)
            )
        return box

    def column_widths(self, table: PrintedTable, width: float) -> list[float]:
        minimums = []
        for index, column in enumerate(table.columns):
            widest = self.measure.widest_word(column.label, True, TABLE_HEAD_SIZE)
            for row in table.rows:
                widest = max(widest, self.measure.widest_word(_clean(row[index]), False, BODY_SIZE))
            minimums.append(min(widest + 2 * CELL_PAD_X + 0.1, width * 0.4))
        return _fit_widths([column.width for column in table.columns], minimums, width)

    def table_header(self, table: PrintedTable, x: float, widths: Sequence[float]) -> _Box:
        cells = [[column.label] for column in table.columns]
        return self._row(table, cells, x, widths, bold=True, size=TABLE_HEAD_SIZE, header=True)

    def table_rows(
        self, table: PrintedTable, x: float, widths: Sequence[float], max_height: float
    ) -> list[_Box]:
        """One box per row; a row taller than ``max_height`` (a page) is cut between lines
        into several boxes."""
        boxes = []
        max_lines = max(1, int((max_height - 2 * CELL_PAD_Y) / _line_height(BODY_SIZE)))
        for row in table.rows:
            wrapped = [
                self.measure.wrap(_clean(text), width - 2 * CELL_PAD_X, False, BODY_SIZE)
                for text, width in zip(row, widths, strict=True)
            ]
            tallest = max(len(lines) for lines in wrapped)
            for start in range(0, tallest, max_lines):
                cells = [lines[start : start + max_lines] for lines in wrapped]
                boxes.append(self._row(table, cells, x, widths))
        return boxes

    def _row(
        self,
        table: PrintedTable,
        cells: Sequence[Sequence[str]],
        x: float,
        widths: Sequence[float],
        *,
        bold: bool = False,
        size: float = BODY_SIZE,
        header: bool = False,
    ) -> _Box:
        line_height = _line_height(size)
        height = max(len(lines) for lines in cells) * line_height + 2 * CELL_PAD_Y
        width = sum(widths)
        box = _Box(height)
        if header:
            box.ops.append(_Rect(x, 0.0, width, height, SHADE))
        left = x
        for column, lines, cell_width in zip(table.columns, cells, widths, strict=True):
            top = CELL_PAD_Y
            for line in lines:
                if line:
                    text_x = left + CELL_PAD_X
                    if column.align == "right":
                        line_width = self.measure.width(line, bold, size)
                        text_x = left + cell_width - CELL_PAD_X - line_width
                    box.ops.append(_Text(text_x, _baseline(top, size), line, bold, size, INK))
                top += line_height
            left += cell_width
        if not header:
            box.ops.append(_Line(x, height, x + width, height, 0.2, RULE))
        return box

    def table_box(self, table: PrintedTable, x: float, width: float) -> _Box:
        """A whole table as one box (the tax breakdown, kept together)."""
        widths = self.column_widths(table, width)
        header = self.table_header(table, x, widths)
        return _stack([header, *self.table_rows(table, x, widths, PAGE_HEIGHT)])

    def summary(self) -> _Box:
        """Under the table: the tax breakdown on the left, the totals on the right."""
        document = self.document
        box = _Box()
        if document.taxes is not None:
            box.beside(
                self.table_box(document.taxes, MARGIN_X, CONTENT_WIDTH - SIDE_WIDTH - GUTTER)
            )
        if document.totals:
            box.beside(self.totals(document.totals, RIGHT - SIDE_WIDTH, SIDE_WIDTH))
        return box

    def totals(self, totals: Sequence[tuple[str, str]], x: float, width: float) -> _Box:
        """Label/amount rows; the last one (the amount due) bold, larger and shaded."""
        last = len(totals) - 1

        def size_of(index: int) -> float:
            return GRAND_TOTAL_SIZE if index == last else TOTAL_SIZE

        value_width = max(
            self.measure.width(value, index == last, size_of(index))
            for index, (_, value) in enumerate(totals)
        )
        inner = width - 2 * CELL_PAD_X
        label_width = max(inner - value_width - 4.0, inner * 0.4)
        box = _Box()
        for index, (label, value) in enumerate(totals):
            emphasized = index == last
            size = size_of(index)
            text = self.paragraph(
                label,
                x + CELL_PAD_X,
                label_width,
                bold=emphasized,
                size=size,
                color=INK if emphasized else MUTED,
            )
            text.beside(
                self.paragraph(
                    value, x + CELL_PAD_X, inner, bold=emphasized, size=size, align="right"
                )
            )
            pad = 2.2 if emphasized else 1.1
            row = _Box(text.height + 2 * pad)
            if emphasized:
                row.ops.append(_Rect(x, 0.0, width, row.height, SHADE))
                row.ops.append(_Line(x, 0.0, x + width, 0.0, 0.4, STRONG_RULE))
            row.add(text, pad)
            box.append(row, gap=1.2 if emphasized and index else 0.0)
        return box

    def payment(self) -> _Box:
        """The payment details on a light panel."""
        document = self.document
        pad = 3.0
        x, width = MARGIN_X + pad, CONTENT_WIDTH - 2 * pad
        inner = (
            self.heading(document.payment_heading, x, width) if document.payment_heading else _Box()
        )
        inner.append(self.pairs(document.payment, x, width, value_align="left"))
        box = _Box(
            inner.height + 2 * pad,
            [_Rect(MARGIN_X, 0.0, CONTENT_WIDTH, inner.height + 2 * pad, PANEL)],
        )
        box.add(inner, pad)
        return box

    def footer(self) -> _Box:
        """The footer text (wrapped beside the page number), whose height sets the bottom
        of every page's body."""
        label = self.document.page_label.format(page=888, pages=888)
        label_width = self.measure.width(label, False, SMALL_SIZE)
        return self.paragraph(
            self.document.footer or "",
            MARGIN_X,
            CONTENT_WIDTH - label_width - GUTTER,
            size=SMALL_SIZE,
            color=MUTED,
        )


# -- pages ----------------------------------------------------------------------------------


class _Pages:
    """Places boxes down the pages, starting a new page when a box does not fit."""

    def __init__(self, bottom: float) -> None:
        self.pages: list[list[_Op]] = [[]]
        self.top = self.y = MARGIN_TOP
        self.bottom = bottom

    @property
    def body_height(self) -> float:
        """The height available on a page after the first."""
        return self.bottom - MARGIN_TOP - CONTINUED_HEIGHT

    def room(self) -> float:
        return self.bottom - self.y

    def new_page(self) -> None:
        self.pages.append([])
        self.top = self.y = MARGIN_TOP + CONTINUED_HEIGHT

    def place(self, box: _Box, keep: float | None = None) -> None:
        """Place a box, first moving to a new page unless ``keep`` (by default the box's
        height) fits on this one."""
        if (box.height if keep is None else keep) > self.room() and self.y > self.top:
            self.new_page()
        self.pages[-1].extend(_shift(op, self.y) for op in box.ops)
        self.y += box.height

    def skip(self, space: float) -> None:
        """Vertical space, unless at the top of a page."""
        if self.y > self.top:
            self.y = min(self.y + space, self.bottom)

    def place_lines(self, lines: Sequence[_Box]) -> None:
        """Place a paragraph line by line, never leaving a single line of it alone at the
        bottom or the top of a page."""
        index = 0
        while index < len(lines):
            remaining = lines[index:]
            fitting, used = 0, 0.0
            for line in remaining:
                if used + line.height > self.room():
                    break
                fitting, used = fitting + 1, used + line.height
            if fitting == len(remaining):
                for line in remaining:
                    self.place(line)
                return
            if len(remaining) - fitting == 1:
                fitting -= 1
            if fitting < 2 and self.y > self.top:
                self.new_page()
                continue
            for line in remaining[: max(fitting, 1)]:
                self.place(line, keep=0.0)
            index += max(fitting, 1)
            self.new_page()


def _lay_out(document: PrintedDocument, measure: _Measure) -> tuple[list[list[_Op]], _Box]:
    layout = _Layout(document, measure)
    footer = layout.footer()
    pages = _Pages(bottom=FOOTER_BOTTOM - footer.height - 5.0)
    pages.place(layout.header())
    pages.skip(7.0)
    pages.place(layout.parties())
    pages.skip(8.0)

    table = document.table
    widths = layout.column_widths(table, CONTENT_WIDTH)
    header = layout.table_header(table, MARGIN_X, widths)
    rows = layout.table_rows(table, MARGIN_X, widths, pages.body_height - header.height)
    summary = layout.summary()
    summary_gap = 6.0
    # The totals never start a page alone: the last row goes along with them.
    with_summary = rows[-1].height + summary_gap + summary.height if rows and summary.ops else 0.0
    if with_summary > pages.body_height - header.height:
        with_summary = 0.0
    pages.place(header, keep=header.height + (rows[0].height if rows else 0.0))
    for index, row in enumerate(rows):
        needed = with_summary if index == len(rows) - 1 else 0.0
        if max(row.height, needed) > pages.room():
            pages.new_page()
            pages.place(header)
        pages.place(row)

    if summary.ops:
        pages.skip(summary_gap)
        pages.place(summary)
    if document.notes:
        pages.skip(7.0)
        pages.place_lines(layout.lines(document.notes, MARGIN_X, CONTENT_WIDTH))
    if document.payment:
        pages.skip(6.0)
        pages.place(layout.payment())
    if document.mentions:
        pages.skip(6.0)
        for mention in document.mentions:
            pages.place_lines(
                layout.lines(mention, MARGIN_X, CONTENT_WIDTH, size=SMALL_SIZE, color=MUTED)
            )
            pages.skip(1.2)
    return pages.pages, footer


# -- painting -------------------------------------------------------------------------------


def _paint(pdf: FPDF, op: _Op) -> None:
    if isinstance(op, _Text):
        pdf.set_font(_FAMILY, "B" if op.bold else "", op.size)
        pdf.set_text_color(*op.color)
        pdf.text(op.x, op.y, op.text)
    elif isinstance(op, _Line):
        pdf.set_draw_color(*op.color)
        pdf.set_line_width(op.width)
        pdf.line(op.x1, op.y1, op.x2, op.y2)
    elif isinstance(op, _Rect):
        pdf.set_fill_color(*op.color)
        pdf.rect(op.x, op.y, op.w, op.h, style="F")
    else:
        try:
            pdf.image(BytesIO(op.data), op.x, op.y, op.w, op.h)
        except Exception as error:
            raise ValueError("the logo is not a readable PNG or JPEG image") from error


def _paint_watermark(pdf: FPDF, text: str, measure: _Measure) -> None:
    """Large light letters across the page, under the content."""
    size = min(110.0, 230.0 / max(measure.width(text, True, 1.0), 0.01))
    width = measure.width(text, True, size)
    center_x, center_y = PAGE_WIDTH / 2, PAGE_HEIGHT / 2
    with pdf.rotation(angle=50, x=center_x, y=center_y):
        baseline = center_y + 0.36 * size * PT
        _paint(pdf, _Text(center_x - width / 2, baseline, text, True, size, WATERMARK))


def render(document: PrintedDocument) -> bytes:
    """The document as an A4 PDF; the same document always gives the same bytes.

    Raises ``ValueError`` when the logo is not a readable PNG or JPEG image.
    """
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    _add_fonts(pdf)
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    running_title = " ".join(part for part in (document.title, document.number) if part)
    pdf.set_creation_date(document.created_at)
    pdf.set_lang(document.language)
    pdf.set_title(running_title)
    pdf.set_author(document.seller.name)
    pdf.set_creator("Comptoir")
    measure = _Measure(pdf)
    pages, footer = _lay_out(document, measure)
    footer_top = FOOTER_BOTTOM - footer.height
    for number, ops in enumerate(pages, start=1):
        pdf.add_page()
        if document.watermark:
            _paint_watermark(pdf, document.watermark, measure)
        if number > 1:
            title_x = RIGHT - measure.width(running_title, False, SMALL_SIZE)
            _paint(pdf, _Text(title_x, MARGIN_TOP + 2.5, running_title, False, SMALL_SIZE, MUTED))
        for op in ops:
            _paint(pdf, op)
        _paint(pdf, _Line(MARGIN_X, footer_top - 2.0, RIGHT, footer_top - 2.0, 0.2, RULE))
        for op in footer.ops:
            _paint(pdf, _shift(op, footer_top))
        label = document.page_label.format(page=number, pages=len(pages))
        label_x = RIGHT - measure.width(label, False, SMALL_SIZE)
        baseline = _baseline(footer_top, SMALL_SIZE)
        _paint(pdf, _Text(label_x, baseline, label, False, SMALL_SIZE, MUTED))
    return bytes(pdf.output())
