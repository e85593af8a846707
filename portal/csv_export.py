"""Writing CSV for people who open it in a spreadsheet: UTF-8 with a byte-order mark (Excel
in Mexico then reads accents right), comma-separated (Mexico's list separator, since its
decimal mark is the point; a `;` file opens in one column there), one line at a time so a
download of any size is streamed without being held in memory.

Text cells are neutralised against formula injection: a spreadsheet runs a cell that starts
with = + - or @ as a formula (`=HYPERLINK(...)` in an agent's name would run on the
reviewer's machine), so such a cell gets a leading apostrophe, which spreadsheets read as
"this is text" and do not show. Numbers are written as numbers, never prefixed.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence

BOM = "\ufeff"
DELIMITER = ","
# What starts a formula, as OWASP's CSV injection guidance lists it.
_FORMULA_START = ("=", "+", "-", "@")
# Tab and CR start a formula too (OWASP), with LF and NUL (ASVS 1.2.10); spreadsheets also
# skip leading blanks before reading a formula, so " =1+1" is neutralised as "=1+1" is.
_CONTROL = "\t\r\n\0"
_BLANKS = " " + _CONTROL

Cell = str | int | None


def neutralise(value: str) -> str:
    """`value` as a cell no spreadsheet runs: an apostrophe first when it would start a
    formula, itself or after leading blanks and control characters."""
    if value.startswith(tuple(_CONTROL)) or value.lstrip(_BLANKS).startswith(_FORMULA_START):
        return "'" + value
    return value


class _Line:
    """The file object `csv.writer` writes one row to: it hands the row's text back."""

    def write(self, text: str) -> str:
        return text


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Iterator[bytes]:
    """The CSV file of `header` and `rows`, line by line, as UTF-8 with a byte-order mark.
    Text cells (the header's too) are neutralised; None is an empty cell."""
    writer = csv.writer(_Line(), delimiter=DELIMITER)

    def line(row: Sequence[Cell]) -> bytes:
        cells = [neutralise(c) if isinstance(c, str) else ("" if c is None else c) for c in row]
        text: str = writer.writerow(cells)
        return text.encode()

    yield BOM.encode() + line(header)
    for row in rows:
        yield line(row)
