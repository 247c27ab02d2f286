"""Text as a terminal shows it: CJK characters take two columns, combining marks none.

Console tables (the run's summary, history, compare) line up by these
widths, so a column of 项目 names stays straight beside ASCII numbers.
"""
from __future__ import annotations

import unicodedata


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: 2 for wide and full-width characters, 0 for combining ones."""
    if text.isascii():
        return len(text)
    width = 0
    for char in text:
        if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
            continue
        width += 2 if unicodedata.east_asian_width(char) in "WF" else 1
    return width


def pad(text: str, width: int) -> str:
    """``text`` followed by spaces up to ``width`` columns."""
    return text + " " * max(0, width - display_width(text))


def table(header: list[str], rows: list[list[str]]) -> str:
    """Columns two spaces apart, a dashed line under the header, aligned by display width."""
    return "\n".join(table_lines(header, lambda: rows))


def table_lines(header: list[str], rows):
    """``table``'s lines one at a time, ``rows()`` gone through twice (the widths, then the lines): a table
    of a year's projects is never whole in memory."""
    widths = [display_width(str(c)) for c in header]
    for row in rows():
        widths = [max(w, display_width(str(c))) for w, c in zip(widths, row)]
    yield "  ".join(pad(str(c), w) for c, w in zip(header, widths)).rstrip()
    yield "  ".join("-" * w for w in widths)
    for row in rows():
        yield "  ".join(pad(str(c), w) for c, w in zip(row, widths)).rstrip()
