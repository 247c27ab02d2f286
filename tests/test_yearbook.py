"""The year workbook made sheet by sheet as the run goes has every sheet and cell of the one made at the end."""
from __future__ import annotations

import io
from pathlib import Path

from openpyxl import load_workbook

from benchmarks.generate import write_workspace
from engine import api
import engine.outputs.xlsxyear as xlsxyear
from engine.outputs.summary import YearSummary
from engine.outputs.view import report_view
from engine.outputs.yearbook import YearSheets


def described(content: bytes) -> list:
    """Everything a reader of the workbook sees, sheet by sheet."""
    book = load_workbook(io.BytesIO(content))
    sheets = []
    for ws in book.worksheets:
        cells = [(c.coordinate, c.value, c.font.name, c.font.sz, c.font.b, c.border.left.style, c.border.top.style,
                  c.border.right.style, c.border.bottom.style, c.alignment.horizontal, c.alignment.vertical,
                  c.alignment.wrap_text, c.number_format) for row in ws.iter_rows() for c in row]
        sheets.append((ws.title, cells, sorted(map(str, ws.merged_cells.ranges)), ws.print_area,
                       {k: v.height for k, v in ws.row_dimensions.items()},
                       {k: v.width for k, v in ws.column_dimensions.items()},
                       ws.page_setup.orientation, ws.page_setup.paperSize, ws.page_setup.fitToWidth,
                       ws.page_setup.fitToHeight, ws.sheet_properties.pageSetUpPr.fitToPage,
                       ws.print_options.horizontalCentered, ws.page_margins.left, ws.page_margins.top))
    return sheets


def test_sheets_made_as_the_run_goes_are_the_year_workbook(tmp_path):
    workspace = write_workspace(12, 3, 5, tmp_path / "ws")
    (workspace / "projects/2025/模拟部门000/p000000.yaml").rename(  # two sheets of one name
        workspace / "projects/2025/模拟部门001/p000000.yaml")
    outcome = api.run(api.RunOptions("bench", workspace, write_reports=False, cache=False))
    collected = YearSummary(outcome.ruleset, keep_views=False)
    for result in outcome.results:
        collected.add(Path(result.project.file), result, None)
    views = [report_view(r) for r in outcome.results]
    sheets = YearSheets()
    for view in views:
        sheets.append(view)
    streamed = sheets.finish(collected.context()).read()
    at_the_end = xlsxyear.year_workbook(collected.context(), views)
    assert described(streamed) == described(at_the_end)
    assert len(described(streamed)) == len(views) + 1


def test_a_run_writes_the_streamed_year_workbook(reference_workspace, run_cli):
    result = run_cli("--ruleset", "2025", "--format", "xlsx", workspace=reference_workspace)
    assert result.exit_code == 0, result.stderr
    book = load_workbook(reference_workspace / "reports/out/2025/汇总.xlsx")
    assert book.sheetnames[0] == "汇总" and len(book.sheetnames) == 2
    sheet = book.worksheets[1]
    (total,) = [row for row in range(1, sheet.max_row + 1) if sheet[f"A{row}"].value == "总分"]
    assert float(sheet[f"H{total}"].value) == 95.53
