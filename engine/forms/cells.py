"""cells: a worksheet as a grid of values that know which cell they came from.

Forms are read by their labels, not by fixed positions, so the grid answers
"where is the cell saying 年初预算数" and "what is written to its right".
A merged cell is spread over every cell it covers (a 一级指标 merged over
seven rows reads the same on each); ``anchor`` keeps the cell that holds the
value, which is the one an error names. Labels are compared after NFKC
normalisation with white space removed, so `年初 预算数`, full-width brackets
and `项目名称：` match their plain forms.
"""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from openpyxl.utils import get_column_letter

from engine.errors import EvalrunError, Source
from engine.i18n import tr
from engine.rules.targets import format_number

# Forms are a few dozen rows; a sheet formatted down to row 1,048,576 is read only this far.
MAX_ROWS, MAX_COLUMNS = 1000, 60
MAX_NUMBER_TEXT = 40
LARGEST = Decimal(10) ** 15  # more than any budget in 元

# What people write in a cell that has nothing to say.
PLACEHOLDERS = {"-", "--", "—", "——", "–", "/", "\\", "无"}
_NUMBER = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$")


class FormError(EvalrunError):
    """A cell of an Excel form that cannot be read."""


@dataclass(frozen=True)
class CellSource(Source):
    """``FILE.xlsx!Sheet!C12``: ``file`` is ``FILE.xlsx!Sheet``, line and column the cell's row and column."""

    def __str__(self) -> str:
        if not self.line:
            return self.file
        return f"{self.file}!{get_column_letter(self.column)}{self.line}"


def label(value) -> str:
    """A cell's text as compared with labels: NFKC, no white space, no trailing colon."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    return re.sub(r"\s+", "", text).rstrip(":")


def text(value) -> str:
    """A cell's text as a person wrote it: lines a wrapped cell broke are joined again."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (int, float, Decimal)):
        return format_number(_decimal(value))
    if isinstance(value, datetime | date):
        return f"{value.year}年{value.month}月{value.day}日"
    lines = [line.strip() for line in str(value).replace("\r", "\n").split("\n")]
    return "".join(line for line in lines if line)


def is_blank(value) -> bool:
    return label(value) in PLACEHOLDERS or label(value) == ""


class Grid:
    """One worksheet's values by (row, column), merged ranges spread over their cells."""

    def __init__(self, ws, filename: str):
        self.title = ws.title
        self.where = f"{filename}!{ws.title}"
        self.values: dict = {}
        self.formats: dict = {}
        self.anchors: dict = {}
        self.labels: dict = {}  # label() of each written cell, computed once
        self.rows = min(ws.max_row or 0, MAX_ROWS)
        self.columns = min(ws.max_column or 0, MAX_COLUMNS)
        for line in ws.iter_rows(min_row=1, max_row=self.rows, max_col=self.columns):
            for cell in line:
                if cell.value is not None and not (isinstance(cell.value, str) and not cell.value.strip()):
                    self.values[(cell.row, cell.column)] = cell.value
                    self.formats[(cell.row, cell.column)] = cell.number_format or ""
        for merged in ws.merged_cells.ranges:
            anchor = (merged.min_row, merged.min_col)
            for row in range(merged.min_row, min(merged.max_row, self.rows) + 1):
                for column in range(merged.min_col, min(merged.max_col, self.columns) + 1):
                    self.anchors[(row, column)] = anchor
                    if anchor in self.values:
                        self.values[(row, column)] = self.values[anchor]
                        self.formats[(row, column)] = self.formats[anchor]
        self.labels = {cell: label(value) for cell, value in self.values.items()}

    def anchor(self, row: int, column: int) -> tuple:
        return self.anchors.get((row, column), (row, column))

    def value(self, row: int, column: int):
        return self.values.get((row, column))

    def label(self, row: int, column: int) -> str:
        return self.labels.get((row, column), "")

    def is_percent(self, row: int, column: int) -> bool:
        return "%" in self.formats.get((row, column), "")

    def starts_here(self, row: int, column: int) -> bool:
        """False for a cell covered by a merged cell that starts in a row above."""
        return self.anchor(row, column)[0] == row

    def source(self, row: int, column: int) -> CellSource:
        anchor_row, anchor_column = self.anchor(row, column)
        return CellSource(self.where, anchor_row, anchor_column)

    def error(self, row: int, column: int, message: str) -> FormError:
        return FormError(message, self.source(row, column))

    def sheet_error(self, message: str) -> FormError:
        return FormError(message, CellSource(self.where))

    def find(self, labels, first_row: int = 1, last_row: int | None = None, contains: bool = False) -> list:
        """Cells (row, column) whose label is one of ``labels`` (or contains one), each merged cell once."""
        wanted = [label(w) for w in labels]
        found = []
        for row in range(first_row, (last_row or self.rows) + 1):
            for column in range(1, self.columns + 1):
                if self.anchor(row, column) != (row, column):
                    continue
                seen = self.label(row, column)
                if seen and any((w in seen) if contains else (w == seen) for w in wanted):
                    found.append((row, column))
        return found

    def right_of(self, row: int, column: int, stop=()) -> tuple:
        """The first written cell right of (row, column) outside its merged range, before a ``stop`` label;
        if there is none, the first cell right of it (empty, for the error to name)."""
        anchor = self.anchor(row, column)
        stops = {label(s) for s in stop}
        first = None
        for right in range(column + 1, self.columns + 1):
            if self.anchor(row, right) == anchor:
                continue
            first = first or (row, right)
            seen = self.label(row, right)
            if seen in stops or any(seen.startswith(s) for s in stops):
                break
            if seen:
                return (row, right)
        return first or (row, column + 1)


def read_number(value, source: Source | None = None, what: str | None = None, percent: bool = False,
                suffixes: tuple = ()) -> Decimal | None:
    """A number from a cell: a number, or text such as `990`, `１，０００`, `55.32%` (with ``percent``), `10分`.

    None for an empty cell or a placeholder (`-`, `/`, `无`); anything else
    that is not a number raises FormError quoting it. ``percent`` reads
    `55.32%` as 0.5532. Only FormError is ever raised.
    """
    if value is None:
        return None
    what = what or tr("cells.the_value")
    if isinstance(value, bool):
        raise FormError(tr("cells.boolean", what=what, value=str(value).upper()), source)
    if isinstance(value, (int, float, Decimal)):
        return _checked(_decimal(value, source, what), value, source, what)
    if isinstance(value, (datetime, date, time)):
        raise FormError(tr("cells.date", what=what, value=text(value) or value), source)
    shown = str(value).strip()
    flat = label(shown).replace(",", "")
    if flat in PLACEHOLDERS or not flat:
        return None
    if flat.startswith("#"):
        raise FormError(tr("cells.excel_error", what=what, value=shown[:20]), source)
    if len(flat) > MAX_NUMBER_TEXT:
        raise FormError(tr("cells.too_long", what=what, length=len(shown)), source)
    is_percent = flat.endswith("%")
    if is_percent:
        flat = flat[:-1]
    for suffix in suffixes:
        if flat.endswith(suffix):
            flat = flat[: -len(suffix)]
            break
    if not _NUMBER.match(flat):
        raise FormError(tr("cells.not_a_number", what=what, value=shown,
                           percent=tr("cells.or_percent") if percent else ""), source)
    if is_percent and not percent:
        raise FormError(tr("cells.percent_not_allowed", what=what, value=shown), source)
    number = Decimal(flat)
    return _checked(number / 100 if is_percent else number, shown, source, what)


def _decimal(value, source: Source | None = None, what: str | None = None) -> Decimal:
    """A cell's number as the digits Excel shows: 547.6879 stays exact, 0.1 + 0.2 becomes 0.3."""
    if isinstance(value, (float, Decimal)) and not (math.isfinite(value) if isinstance(value, float)
                                                    else value.is_finite()):
        raise FormError(tr("cells.not_finite", what=what or tr("cells.the_value")), source)
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if number.adjusted() < 16 and number.as_tuple().exponent < -10:
        number = number.quantize(Decimal("1e-10"))  # binary noise from a formula (0.30000000000000004)
    return number


def _checked(number: Decimal, shown, source, what) -> Decimal:
    if abs(number) >= LARGEST:
        raise FormError(tr("cells.too_large", what=what, value=shown), source)
    return number
