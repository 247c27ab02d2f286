"""The Excel 自评表 from a department's own workbook: ``reports/templates/<department>/table.xlsx``.

Like the Word template, an ordinary file that staff lay out in Excel or WPS;
evalrun only fills it in, so a department changes its Excel output without
code. Two ways to say what goes where, which may be mixed:

- **Fields in cells**: a cell holding ``{{ project.name }}``, ``{{ budget.full_year }}``,
  ``{{ execution.rate_text }}``, ``{{ total }}``, ``{{ grade }}``... gets that value
  (a number stays a number when the field is the whole cell; inside text it is
  written as the reports write it).
- **Named cells**: a defined name (公式 > 名称管理器) such as ``total`` or
  ``budget.executed`` names the cell that gets that field.

**The row to repeat**: the row whose cells use ``{{ row.… }}`` (``row.group``,
``row.subgroup``, ``row.label``, ``row.target``, ``row.actual``, ``row.weight``,
``row.score``, ``row.explanation``) is written once per indicator row of the
table (其中 rows included), with its formats; the rows below move down, their
merged cells and names with them.

Fields are looked up in the report view by name only (no attributes, no code),
so a template can name nothing but the report's data; an unknown field stops
with the template's file and cell and the names it could have meant.
"""
from __future__ import annotations

import copy
import io
import re
import zipfile
from decimal import Decimal
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from engine.errors import EvalrunError, Source, did_you_mean
from engine.i18n import tr
from engine.outputs.ooxml import reproducible
from engine.outputs.render import number as text_number, template_dirs
from engine.rules.targets import format_number

TEMPLATE = "table.xlsx"
_FIELD = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)\s*\}\}")
ROW = "row"


def find_table_template(workspace: Path, department: str | None) -> Path | None:
    """The department's own table.xlsx, else the workspace's; None: evalrun's built-in layout."""
    for folder in template_dirs(workspace, department):
        path = folder / TEMPLATE
        if path.is_file() and folder.resolve().is_relative_to((workspace / "reports" / "templates").resolve()):
            return path
    return None


def _lookup(view: dict, path: str, where: Source):
    value = view
    walked = []
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
            walked.append(part)
            continue
        if isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
            walked.append(part)
            continue
        known = [k for k in value if isinstance(k, str)] if isinstance(value, dict) else []
        prefix = ".".join(walked)
        raise EvalrunError(tr(
            "xlsxtemplate.unknown_field", field=f"{{{{ {path} }}}}", suggestion=did_you_mean(part, known),
            known=tr("xlsxtemplate.has", prefix=prefix, names=", ".join(sorted(known))) if prefix and known
            else tr("xlsxtemplate.fields_start", names=", ".join(sorted(k for k in view if k != ROW)))), where)
    return value


def _typed(value):
    """A field's value as a cell holds it: numbers as numbers with their digits, text as text."""
    if isinstance(value, bool) or value is None:
        return "" if value is None else ("是" if value else "否")
    if isinstance(value, (int, Decimal)):
        return Decimal(format_number(Decimal(value)))
    if isinstance(value, (dict, list)):
        return None
    return str(value)


def _fill_cell(cell, view: dict, where: Source) -> None:
    text = cell.value
    if not isinstance(text, str) or "{{" not in text:
        return
    whole = _FIELD.fullmatch(text.strip())
    if whole:
        value = _typed(_lookup(view, whole.group(1), where))
        if value is None:
            raise EvalrunError(tr("xlsxtemplate.group_field", field=f"{{{{ {whole.group(1)} }}}}"), where)
        _set(cell, value)
        return
    _set(cell, _FIELD.sub(lambda m: text_number(_lookup(view, m.group(1), where)), text))


def _set(cell, value) -> None:
    cell.value = value
    if isinstance(value, str) and value.startswith(("=", "+", "-", "@")) and len(value) > 1:
        cell.data_type = "s"  # data, never a formula


def _repeat_row(ws, shown: str) -> int | None:
    rows = sorted({cell.row for line in ws.iter_rows() for cell in line
                   if isinstance(cell.value, str) and any(m.group(1).split(".")[0] == ROW
                                                            for m in _FIELD.finditer(cell.value))})
    if len(rows) > 1:
        raise EvalrunError(tr("xlsxtemplate.row_fields", first=rows[0], second=rows[1]), Source(shown, rows[1]))
    return rows[0] if rows else None


def _insert(wb, ws, at: int, count: int) -> None:
    """Insert ``count`` rows after row ``at``, moving merged cells, heights and names below with them."""
    if count <= 0:
        return
    below = [rng for rng in ws.merged_cells.ranges if rng.min_row > at]
    for rng in below:
        ws.merged_cells.remove(rng)
    heights = {r: ws.row_dimensions[r].height for r in range(at + 1, ws.max_row + 1)
               if ws.row_dimensions[r].height is not None}
    ws.insert_rows(at + 1, count)
    for rng in below:
        rng.shift(0, count)
        ws.merged_cells.add(rng)
    for r in heights:
        ws.row_dimensions[r].height = None
    for r, h in heights.items():
        ws.row_dimensions[r + count].height = h
    for name in list(_names(wb, ws)):
        destinations = list(name.destinations)
        if len(destinations) != 1:
            continue
        sheet, ref = destinations[0]
        match = re.fullmatch(r"\$?([A-Z]{1,3})\$?(\d+)", ref)
        if sheet == ws.title and match and int(match.group(2)) > at:
            name.attr_text = f"{_quote(sheet)}!${match.group(1)}${int(match.group(2)) + count}"


def _names(wb, ws):
    yield from wb.defined_names.values()
    yield from ws.defined_names.values()


def _quote(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def template_workbook(path: Path, view: dict, shown: str) -> bytes:
    """The department's table.xlsx filled with one project's 自评表."""
    try:
        wb = load_workbook(path)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise EvalrunError(tr("xlsxtemplate.cannot_read", detail=exc),
                           Source(shown)) from None
    ws = wb.worksheets[0]
    repeat = _repeat_row(ws, shown)
    rows = view.get("table_rows", [])
    if repeat is not None:
        template = [(copy.copy(c.value), copy.copy(c._style)) for c in ws[repeat]]
        height = ws.row_dimensions[repeat].height
        _insert(wb, ws, repeat, len(rows) - 1)
        if not rows:
            for cell in ws[repeat]:
                cell.value = None
        for offset, item in enumerate(rows):
            r = repeat + offset
            if height is not None:
                ws.row_dimensions[r].height = height
            for column, (value, style) in enumerate(template, 1):
                cell = ws.cell(row=r, column=column)
                cell._style = copy.copy(style)
                cell.value = value
                _fill_cell(cell, {**view, ROW: item}, Source(shown, repeat, column))
    for line in ws.iter_rows():
        for cell in line:
            if repeat is not None and repeat <= cell.row < repeat + max(len(rows), 1):
                continue
            _fill_cell(cell, view, Source(shown, cell.row, cell.column))
    for name in list(_names(wb, ws)):
        field = name.name
        destinations = list(name.destinations)
        if field.split(".")[0] not in view or len(destinations) != 1:
            continue  # a name of the department's own, not a field
        sheet, ref = destinations[0]
        if sheet != ws.title or ":" in ref:
            continue
        cell = ws[ref.replace("$", "")]
        value = _typed(_lookup(view, field, Source(shown, cell.row, cell.column)))
        if value is not None:
            _set(cell, value)
    buffer = io.BytesIO()
    wb.save(buffer)
    return reproducible(buffer.getvalue())
