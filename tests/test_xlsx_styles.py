"""The Excel writer's shortcuts (shared style indexes, merges, saving) write what openpyxl's own way writes."""
from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Border, Font, Side

from engine import api

import engine.outputs.xlsx as xlsx
import engine.outputs.xlsxcells as xlsxcells
from engine.outputs.ooxml import reproducible
from engine.outputs.view import report_view


@pytest.fixture(scope="module")
def views():
    from tests.helpers import REPO

    outcome = api.run(api.RunOptions("2025", REPO, write_reports=False, cache=False))
    return [report_view(r) for r in outcome.results]


def openpyxl_save(wb) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return reproducible(buffer.getvalue())


def slow_put(ws, ref, value, merge_to=None, fmt=None, align=xlsxcells._CENTER, font=None):
    """xlsxcells._put as openpyxl's documentation writes it: every style object assigned to every cell."""
    cell = ws[ref]
    cell.value = value
    cell.alignment = align
    cell.font = font or Font(name=xlsx.FONT, size=10.5)
    if fmt:
        cell.number_format = fmt
    if merge_to:
        end = merge_to if merge_to[-1].isdigit() else f"{merge_to}{cell.row}"
        if end != ref:
            ws.merge_cells(f"{ref}:{end}")


def slow_borders(ws, area):
    for line in ws[area]:
        for cell in line:
            cell.border = xlsxcells._BORDER


def test_the_shortcuts_write_the_same_bytes_as_openpyxl(views, monkeypatch):
    quick = [xlsx.project_workbook(view) for view in views] + [xlsx.projects_workbook(views)]
    monkeypatch.setattr(xlsx, "_put", slow_put)
    monkeypatch.setattr(xlsx, "_borders", slow_borders)
    slow = []
    for view in views:
        wb = Workbook()
        wb.active.title = xlsx.sheet_title(view["project"]["name"], set())
        xlsx.write_table(wb.active, view)
        slow.append(openpyxl_save(wb))
    wb = Workbook()
    taken: set = set()
    for index, view in enumerate(views):
        ws = wb.active if index == 0 else wb.create_sheet()
        ws.title = xlsx.sheet_title(view["project"]["name"], taken)
        xlsx.write_table(ws, view)
    slow.append(openpyxl_save(wb))
    assert quick == slow


def test_every_cell_shares_a_few_style_objects(views):
    wb = Workbook()
    xlsx.write_table(wb.active, views[0])
    assert (len(wb._fonts), len(wb._borders), len(wb._alignments)) == (3, 2, 3)
    assert load_workbook(io.BytesIO(xlsx.project_workbook(views[0]))).active["D12"].font.name == xlsx.FONT


def test_a_merge_over_a_bordered_cell_still_copies_its_border():
    def build(merge):
        wb = Workbook()
        ws = wb.active
        thick = Side(style="thick")
        ws["B2"].border = Border(left=thick, right=thick, top=thick, bottom=thick)
        ws["B2"].alignment = Alignment(horizontal="center")
        merge(ws, ws["B2"], "B2:D4")
        return openpyxl_save(wb)

    assert build(xlsxcells._merge) == build(lambda ws, start, area: ws.merge_cells(area))


def test_styles_of_one_workbook_do_not_leak_into_another(views):
    first = xlsx.project_workbook(views[0])
    xlsx.project_workbook(views[-1])
    assert xlsx.project_workbook(views[0]) == first
