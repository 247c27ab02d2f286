"""The 汇总 kept on disk and written as a stream is byte for byte the 汇总 made from whole lists in memory."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

import engine.outputs.rowspill as rowspill
import engine.outputs.xlsxprint as xlsxprint
import engine.outputs.xlsxsummary as xlsxsummary
from benchmarks.generate import write_workspace
from engine import api
from engine.errors import EvalrunError
from engine.outputs.formats import FORMATS
from engine.outputs.summary import FAILED, YearSummary
from engine.outputs.summarystream import StoredSummary
from engine.outputs.view import report_view
from engine.outputs.xlsx import project_workbook
from engine.outputs.yearbook import YearSheets
from engine.scoring.check import UNGRADED


@pytest.fixture(scope="module")
def year(tmp_path_factory):
    """A generated year of 90 projects in 9 departments: one project that cannot be read, one in 元 (so the
    summary converts to 万元), one spent over its budget (an error finding: 未定级); its results, evaluated once."""
    workspace = write_workspace(90, 9, 11, tmp_path_factory.mktemp("stream") / "ws")
    projects = sorted((workspace / "projects/2025").glob("*/*.yaml"))
    projects[3].write_text("project: [unclosed\n", encoding="utf-8")
    text = projects[10].read_text(encoding="utf-8")
    projects[10].write_text(text.replace('unit: "万元"', 'unit: "元"', 1), encoding="utf-8")
    text = projects[20].read_text(encoding="utf-8")
    projects[20].write_text(re.sub(r"executed: [0-9.]+", "executed: 999999", text, count=1), encoding="utf-8")
    outcome = api.run(api.RunOptions("bench", workspace, write_reports=False, cache=False))
    return workspace, outcome


def _summaries(outcome, spill_chunk, monkeypatch):
    """The whole-list summary and the spilled one (in runs of ``spill_chunk`` rows) of the same outcomes."""
    monkeypatch.setattr(rowspill, "CHUNK", spill_chunk)
    monkeypatch.setattr(rowspill, "BATCH", 5)
    whole = YearSummary(outcome.ruleset, keep_views=False)
    spilled = StoredSummary(outcome.ruleset, keep_views=False)
    items = [(Path(r.project.file), r) for r in outcome.results] + list(outcome.failures)
    for path, result in reversed(items):  # not in the summary's order: the spill sorts
        for summary in (whole, spilled):
            summary.add(path, result, None if isinstance(result, EvalrunError) else Path("d") / path.stem)
    return whole, spilled


@pytest.mark.parametrize("chunk", [7, 2000])  # many sorted runs merged; one run
def test_the_stored_summary_renders_the_same_markdown_and_html(year, chunk, monkeypatch):
    workspace, outcome = year
    whole, spilled = _summaries(outcome, chunk, monkeypatch)
    before, after = whole.context(), spilled.context()
    grades = [band["grade"] for band in before["distribution"] if band["count"]]
    assert FAILED in grades and UNGRADED in grades and before["unit"] == "万元"  # the cases are there
    assert len(after["rows"]) == len(before["rows"]) == 90 and len(after["sections"]) == 9
    for name in ("md", "html"):
        expected = FORMATS[name].summary(workspace, before, []).read()
        assert FORMATS[name].summary(workspace, after, []).read() == expected
    assert [r["index"] for r in after["rows"]] == list(range(1, 91))  # read again: the same rows
    assert after["sections"][2]["rows"][-1] == before["sections"][2]["rows"][-1]


@pytest.fixture(scope="module")
def workbooks(year):
    """Each project's view and own workbook, made once for the module (most of the sheet tests' time)."""
    _, outcome = year
    views = [report_view(result) for result in outcome.results]
    return [(view, project_workbook(view)) for view in views]


@pytest.mark.parametrize("chunk", [7, 2000])
def test_the_streamed_summary_sheet_is_the_sheet_laid_out_in_memory(year, workbooks, chunk, monkeypatch):
    """A long sheet: its widths are chosen from a sample of rows (200 in use; 30 here, so 90 projects are long)."""
    monkeypatch.setattr(xlsxprint, "SAMPLE_ROWS", 30)
    monkeypatch.setattr(xlsxsummary, "SAMPLE_ROWS", 30)
    _, outcome = year
    whole, spilled = _summaries(outcome, chunk, monkeypatch)
    at_once, streamed = YearSheets(), YearSheets()
    for view, package in workbooks:
        at_once.append(view, package)
        streamed.append(view, package)
    assert streamed.finish(spilled.context()).read() == at_once.finish(whole.context(), at_once=True).read()


def test_a_short_summary_sheet_is_the_same_too(year, monkeypatch):
    """Under 200 rows the widths are searched on every cell (no sample), as on a small year."""
    _, outcome = year
    small = type(outcome)(outcome.ruleset, results=outcome.results[:12], failures=outcome.failures)
    whole, spilled = _summaries(small, 5, monkeypatch)
    at_once, streamed = YearSheets(), YearSheets()
    for result in small.results:
        at_once.append(report_view(result))
        streamed.append(report_view(result))
    assert streamed.finish(spilled.context()).read() == at_once.finish(whole.context(), at_once=True).read()


def test_templates_may_count_index_and_go_through_the_rows_twice(year, monkeypatch, tmp_path):
    """A workspace's own 汇总 template sees the stored rows as it would see a list."""
    workspace, outcome = year
    whole, spilled = _summaries(outcome, 7, monkeypatch)
    own = workspace / "reports/templates"
    own.mkdir(parents=True, exist_ok=True)
    (own / "summary.md.j2").write_text(
        "{{ rows | length }} {{ rows[0].project }} {{ rows[-1].project }} {{ sections[1].rows | length }}\n"
        "{% for r in rows %}{{ loop.index }}/{{ loop.length }} {{ r.project }} {{ r.rate_formula.text if r.rate_formula }}\n"
        "{% endfor %}{{ rows | selectattr('failed') | map(attribute='project') | join(',') }}\n"
        "{{ (rows | map(attribute='total') | reject('none') | sum) }}\n", encoding="utf-8")
    try:
        expected = FORMATS["md"].summary(workspace, whole.context(), []).read()
        assert FORMATS["md"].summary(workspace, spilled.context(), []).read() == expected
        assert expected.startswith(b"90 ")
    finally:
        (own / "summary.md.j2").unlink()


def test_rows_come_back_sorted_and_stable_from_many_runs(monkeypatch):
    monkeypatch.setattr(rowspill, "CHUNK", 4)
    monkeypatch.setattr(rowspill, "BATCH", 3)
    rows = [{"k": (n * 7) % 5, "n": n} for n in range(41)]
    spill = rowspill.SortedSpill(lambda row: row["k"])
    for row in rows:
        spill.add(row)
    assert list(spill) == sorted(rows, key=lambda row: row["k"]) == list(spill)
    assert len(spill) == 41 and len(spill.runs) == 10


def test_a_spilled_list_reads_as_the_list_it_was_given(monkeypatch):
    """A run's ProjectSummary list without keep_results: on disk but for the last few, read as a list."""
    monkeypatch.setattr(rowspill, "CHUNK", 4)
    items = [{"n": n, "name": f"项目{n}"} for n in range(11)]
    spilled = rowspill.SpilledList(items)
    assert spilled.file is not None and len(spilled.pending) == 3
    assert list(spilled) == items and spilled == items and spilled != items[:-1] and len(spilled) == 11
    assert spilled[5] == items[5] and spilled[-1] == items[-1] and spilled[2:6] == items[2:6]
    with pytest.raises(IndexError):
        spilled[11]
