"""Print layout without printing: line breaking, the Excel layout, the 汇总's budget basis and subtotals.

(tests/test_print.py prints the reports with Chromium and LibreOffice and reads the PDFs.)
"""
from __future__ import annotations

import re
from decimal import Decimal

import openpyxl
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers import REFERENCE_PROJECT
from engine import RunOptions, run
import engine.outputs.textfit as textfit
from engine.outputs.printfit import PAGE_HEIGHT, form_break
from engine.outputs.summary import rate_basis
from tests.helpers import add_department

OUT = "reports/out/2025"


# ---------------------------------------------------------------- line breaking


@pytest.mark.parametrize("text, width, expected", [
    ("满意度指标（10分）", 10, ("满意度指标", "（10分）")),
    ("满意度指标（10分）", 12, ("满意度指标", "（10分）")),   # （ never ends a line, （10分） is whole
    ("产出指标（65分）", 16, ("产出指标（65分）",)),
    ("项目资金（万元）", 8, ("项目资金", "（万元）")),
    ("同比增长71.03%", 10, ("同比增长", "71.03%")),          # a number is never split
    ("7000 万美元以上", 12, ("7000 万美元", "以上")),          # the space is where it breaks first
    ("完成，达到目标。", 6, ("完成，", "达到目", "标。")),        # ， and 。 never start a line
    ("偏差原因分析及改进措施", 12, ("偏差原因分析", "及改进措施")),
])
def test_lines_break_where_a_typesetter_would(text, width, expected):
    assert textfit.lines(text, width) == expected


def test_width_counts_chinese_double():
    assert textfit.width("产出指标（65分）") == 16
    assert textfit.width("≥90%") == 5 and textfit.width("abc 1") == 5


pieces = st.lists(st.sampled_from(["指", "标", "（", "）", "，", "。", "5", "65", "%", " ", "分", "≥", "a", "、"]),
                  max_size=30)


@settings(max_examples=300, deadline=None)
@given(pieces, st.integers(min_value=2, max_value=20))
def test_lines_keep_every_character_and_fit(parts, width):
    text = "".join(parts)
    result = textfit.lines(text, width)
    assert "".join(result).replace(" ", "") == text.replace(" ", "")
    for line in result:
        # a line is wider than asked only when one character alone is (nothing to break)
        assert textfit.width(line) <= width or len(line) == 1 or textfit.width(line[:1]) > width - 1
    if " " not in text and textfit.longest_unbreakable(text) <= width:  # nothing had to be cut
        assert not any(line[:1] in textfit.NO_START for line in result[1:]), result  # no ）， % opening a line
        assert not any(line[-1:] in textfit.NO_END for line in result[:-1]), result  # no （ ≥ ending one


# ---------------------------------------------------------------- the Excel layout


@pytest.fixture
def reference(reference_workspace):
    run(RunOptions(ruleset="2025", workspace=reference_workspace, formats=("xlsx",)))
    return reference_workspace


def sheet(workspace, department="益阳市商务局"):
    return openpyxl.load_workbook(workspace / OUT / department / f"{REFERENCE_PROJECT}.xlsx").active


def test_xlsx_labels_break_at_good_points_and_fit_their_columns(reference):
    ws = sheet(reference)
    for row in ws.iter_rows(min_row=2, max_row=ws.max_row):
        for cell in row:
            if not isinstance(cell.value, str) or "\n" not in cell.value:
                continue
            lines = cell.value.split("\n")
            assert not any(line[:1] in textfit.NO_START for line in lines[1:]), cell.coordinate
            assert not any(line[-1:] in textfit.NO_END for line in lines[:-1]), cell.coordinate
    group = ws["B23"].value
    assert group.replace("\n", "") == "满意度指标（10分）"
    assert all(textfit.width(line) < ws.column_dimensions["B"].width for line in group.split("\n"))
    assert "（10分）" in group.split("\n")  # the bracket whole, on a line of its own


def test_xlsx_columns_from_the_text_within_a_page_printed_at_80_percent_or_more(reference):
    ws = sheet(reference)
    widths = [ws.column_dimensions[c].width for c in "ABCDEFGHI"]
    page_units = (8.27 - 1.0) * 96 / 7  # A4 less 0.5 inch margins, in 7 px units
    assert sum(widths) <= page_units / 0.8
    assert ws.column_dimensions["D"].width > ws.column_dimensions["G"].width  # 三级指标 wider than 分值
    assert ws["D4"].value == "年初预算数"  # short labels stay on one line
    assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 1  # the reference: one page
    assert ws.row_dimensions[12].height >= 2 * 15  # 对外承包工程和劳务合作完成营业额 needs two lines


def many_indicators(text: str) -> str:
    """The reference project with its seven 产出 rows each split in five of 2 points (35 rows)."""
    data = yaml.safe_load(text)
    rows = []
    for row in data["indicators"]:
        if row["level1"] == "产出指标" and row["weight"] == 10:
            for n in range(5):
                rows.append({**row, "name": f"{row['name']}（第{n + 1}项分解任务）", "weight": 2,
                             "reported_score": 2})
        else:
            rows.append(row)
    data["indicators"] = rows
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def test_a_long_xlsx_prints_one_page_wide_breaking_between_groups(reference_workspace):
    add_department(reference_workspace, "甲单位", many_indicators)
    run(RunOptions(ruleset="2025", workspace=reference_workspace, formats=("xlsx",)))
    ws = sheet(reference_workspace, "甲单位")
    assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
    assert ws.print_title_rows == "$11:$11"  # the indicator header repeats on each page
    groups = {cell.row for cell in ws["B"][11:] if cell.value and "指标" in str(cell.value)}
    breaks = [b.id + 1 for b in ws.row_breaks.brk]  # a break after row id: the next page starts at id + 1
    assert breaks and set(breaks) <= groups | {11}


# ---------------------------------------------------------------- the 汇总: budget basis and subtotals


def test_the_rate_basis_comes_from_the_ruleset_formula(tmp_path):
    from engine.rules.formulas import compile_formula
    from engine.errors import Source
    from engine.model import BudgetRule

    def basis(text):
        names = ("initial", "full_year", "adjusted", "executed", "weight", "rate")
        rule = BudgetRule("预算执行率", Decimal(10), compile_formula(text, Source(), names),
                          compile_formula("weight", Source(), names))
        found = rate_basis(rule)
        return found and found.label

    assert basis("executed / full_year") == "全年预算数"
    assert basis("executed / initial") == "年初预算数"
    assert basis("min(executed / adjusted, 1)") == "调整后预算数"
    assert basis("executed / max(full_year, adjusted)") == "max(全年预算数, 调整后预算数)"
    assert basis("1") is None


def in_yuan(text: str) -> str:
    """The reference project in 元: 1,000,000 at the start of the year, 1,200,000 in all, 900,000 spent (75%)."""
    text = text.replace("unit: 万元", "unit: 元").replace("initial: 990 ", "initial: 1000000 ")
    text = text.replace("full_year: 990 ", "full_year: 1200000 ").replace("executed: 547.6879", "executed: 900000")
    return text.replace("reported_score: 5.53", "reported_score: 7.5")


def summary_lines(workspace) -> list:
    md = (workspace / OUT / "汇总.md").read_text(encoding="utf-8")
    return [line for line in md.splitlines() if line.startswith("| ")]


def test_summary_shows_the_budget_its_rate_is_computed_on_and_subtotals(run_cli, reference_workspace):
    add_department(reference_workspace, "甲单位", in_yuan)
    assert run_cli("--ruleset", "2025", workspace=reference_workspace).exit_code == 0
    md = (reference_workspace / OUT / "汇总.md").read_text(encoding="utf-8")
    assert "金额单位：万元。执行率 = 全年执行数 / 全年预算数（按评分规则的执行率公式）" in md
    assert "| 序号 | 部门 | 项目 | 全年预算数 | 全年执行数 | 执行率 | 总分 | 等级 | 审核提示 |" in md
    lines = summary_lines(reference_workspace)
    assert any(re.search(r"\| 甲单位 \| .* \| 120 \| 90 \| 75.00% \|", line) for line in lines)  # 元 -> 万元
    assert "|  | **甲单位 小计** | 1 个项目；总分列为平均分 | **120** | **90** | **75.00%** |" in md
    assert "|  | **益阳市商务局 小计** | 1 个项目；总分列为平均分 | **990** | **547.6879** | **55.32%** |" in md
    # 合计: the same formula on the sums, 637.6879 / 1110
    assert "|  | **合计** | 2 个项目；总分列为平均分 | **1110** | **637.6879** | **57.45%** |" in md

    html = (reference_workspace / OUT / "汇总.html").read_text(encoding="utf-8")
    assert "<th>全年预算数</th><th>全年执行数</th><th>执行率</th>" in html
    assert html.count('<tr class="subtotal">') == 3

    wb = openpyxl.load_workbook(reference_workspace / OUT / "汇总.xlsx")
    ws = wb["汇总"]
    assert [ws[f"{c}3"].value for c in "DEF"] == ["全年预算数", "全年执行数", "执行率"]
    rows = {ws[f"B{r}"].value: (ws[f"D{r}"].value, ws[f"E{r}"].value, ws[f"F{r}"].value) for r in (4, 5)}
    assert rows == {"甲单位": (120, 90, 0.75), "益阳市商务局": (990, 547.6879, 0.5532)}
    block = [r for r in range(1, ws.max_row + 1) if ws[f"A{r}"].value == "部门小计"]
    assert block, "the 部门小计 block"
    totals = {ws[f"A{r}"].value: (ws[f"D{r}"].value, ws[f"E{r}"].value, ws[f"F{r}"].value)
              for r in range(block[0] + 1, ws.max_row + 1)}
    assert totals["合计"] == (1110, 637.6879, 0.5745) and totals["甲单位"] == (120, 90, 0.75)


def test_departments_on_different_rate_rules_say_which_budget_each_uses(run_cli, reference_workspace):
    add_department(reference_workspace, "甲单位", in_yuan)
    variant = reference_workspace / "rulesets" / "2025" / "departments" / "甲单位.yaml"
    variant.write_text("budget_execution:\n  rate: executed / initial\n", encoding="utf-8")
    result = run_cli("--ruleset", "2025", workspace=reference_workspace)
    assert result.exit_code == 0, result.stderr
    md = (reference_workspace / OUT / "汇总.md").read_text(encoding="utf-8")
    assert "| 序号 | 部门 | 项目 | 预算数 |" in md
    assert "预算数按各部门评分规则取：甲单位 年初预算数、益阳市商务局 全年预算数" in md
    assert any(re.search(r"\| 甲单位 \| .* \| 100 \| 90 \| 90.00% \|", line) for line in summary_lines(reference_workspace))
    assert "|  | **合计** | 2 个项目；总分列为平均分 | **1090** | **637.6879** | **58.50%** |" in md


# ---------------------------------------------------------------- the HTML 自评表's page estimate


def test_the_form_is_kept_whole_only_where_it_surely_fits():
    assert form_break(PAGE_HEIGHT * 0.5) == "keep"
    assert form_break(PAGE_HEIGHT * 1.0) == "page"
    assert form_break(PAGE_HEIGHT * 1.5) == "flow"


def test_html_form_is_marked_for_how_it_meets_the_page(reference_workspace):
    add_department(reference_workspace, "甲单位", many_indicators)
    run(RunOptions(ruleset="2025", workspace=reference_workspace, formats=("html",)))
    html = (reference_workspace / OUT / "益阳市商务局" / f"{REFERENCE_PROJECT}.html").read_text(encoding="utf-8")
    assert 'class="form-block break-page"' in html  # the reference is about a page: it starts one
    assert html.count('<tbody class="group whole">') == 3
    long = (reference_workspace / OUT / "甲单位" / f"{REFERENCE_PROJECT}.html").read_text(encoding="utf-8")
    assert 'class="form-block break-flow"' in long
    assert '<tbody class="group">' in long  # 35 产出 rows: more than half a page, may break between rows


# ---------------------------------------------------------------- printcheck without its tools


def test_printcheck_says_what_to_install_when_a_tool_is_missing(monkeypatch, capsys, tmp_path):
    import engine.tools.printcheck as printcheck
    import engine.tools.printing as printing

    monkeypatch.setattr(printing.shutil, "which", lambda name: None)
    assert printcheck.main(["--workspace", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert "printcheck: chromium and LibreOffice (soffice) not found; install them" in error
    assert "apt-get install chromium libreoffice-writer-nogui" in error


def test_the_sizer_total_is_the_sum_of_the_row_heights(reference_workspace):
    """The width search adds heights up without rounding; the heights written are rounded: they agree."""
    from engine.outputs.xlsxprint import _Sizer

    add_department(reference_workspace, "甲单位", many_indicators)
    run(RunOptions(ruleset="2025", workspace=reference_workspace, formats=("xlsx",)))
    for department in ("益阳市商务局", "甲单位"):
        ws = sheet(reference_workspace, department)
        merged = {(m.min_row, m.min_col): m for m in ws.merged_cells.ranges}
        covered = {(r, c) for m in merged.values() for r in range(m.min_row, m.max_row + 1)
                   for c in range(m.min_col, m.max_col + 1)}
        cells = []
        for row in ws.iter_rows(min_row=2, max_row=ws.max_row, max_col=9):
            for cell in row:
                if cell.value in (None, "") or ((cell.row, cell.column) in covered and (cell.row, cell.column) not in merged):
                    continue
                span = merged.get((cell.row, cell.column))
                cells.append((cell.row, span.max_row if span else cell.row, cell.column,
                              span.max_col if span else cell.column, str(cell.value), False))
        sizer = _Sizer(cells)
        for widths in ({c: 10 for c in range(1, 10)}, {c: 6 + c for c in range(1, 10)}):
            assert abs(sizer.total(widths) - sum(sizer.heights(widths).values())) < 0.1 * len(sizer.heights(widths))
