"""Tables as departments really fill them (issue 14): what a user sees for each point, end to end.

Each test edits a copy of the reference project (illustrative data) and reads the CLI's output;
the rule tests in rulesets/2025/tests/ and rulesets/library-demo/tests/ hold the scoring cases.
"""
from __future__ import annotations

import json

import openpyxl
import pytest

from tests.helpers import REFERENCE_FILE, copy_workspace

# These tests read evalrun's English messages (--lang en); tests/test_language.py and test_bad_inputs.py check the Chinese default.
pytestmark = pytest.mark.usefixtures("english")

REL = f"projects/2025/益阳市商务局/{REFERENCE_FILE.name}"


def _ws(tmp_path, edit=lambda text: text):
    ws = copy_workspace(tmp_path / "ws", reference_only=True)
    path = ws / REL
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    return ws


def _json(run_cli, ws, *extra):
    result = run_cli("--ruleset", "2025", "--json", *extra, workspace=ws)
    (project,) = json.loads(result.stdout)["projects"]
    return result, project


def _line_of(ws, text: str) -> int:
    return next(n for n, line in enumerate((ws / REL).read_text(encoding="utf-8").splitlines(), 1) if text in line)


# ---------------------------------------------------------------- an actual that repeats the target


def test_each_repeated_target_is_a_warning_at_its_actual_line(tmp_path, run_cli):
    ws = _ws(tmp_path)
    result, project = _json(run_cli, ws)
    assert result.exit_code == 0 and project["total"] == 95.53 and project["grade"] == "优"
    repeated = [f for f in project["findings"] if f["check"] == "repeated_target"]
    assert [(f["severity"], f["line"]) for f in repeated] == [
        ("warning", _line_of(ws, "actual: ≤990 万元")), ("warning", _line_of(ws, "actual: ≥90%"))]


def test_unjudged_repeated_target_stops_at_the_row(tmp_path, run_cli):
    ws = _ws(tmp_path)
    ruleset = ws / "rulesets/2025/ruleset.yaml"
    ruleset.write_text(ruleset.read_text(encoding="utf-8").replace(
        '  equal_as: ">="', '  equal_as: ">="\n  repeated_actual: unjudged'), encoding="utf-8")
    result = run_cli("--ruleset", "2025", "--json", workspace=ws)
    assert result.exit_code != 0
    assert f"{REL}:{_line_of(ws, 'actual: ≤990 万元')}:" in result.output
    assert "repeats the target `≤990 万元`" in result.output and "Traceback" not in result.output


# ---------------------------------------------------------------- totals that cannot exceed their weights


@pytest.mark.chinese  # reads the Chinese default: the findings, explain and store lines it checks
def test_rows_over_their_group_name_the_group_the_sum_and_the_total(tmp_path, run_cli):
    ws = _ws(tmp_path, lambda t: t.replace("    weight: 5\n    reported_score: 5\n  - level1: 效益指标",
                                           "    weight: 10\n    reported_score: 5\n  - level1: 效益指标", 1))
    _, project = _json(run_cli, ws)
    (finding,) = [f for f in project["findings"] if f["check"] == "group_weights"]
    assert finding["message"].startswith("产出指标各三级指标分值合计 70，规则规定产出指标为 65 分；全表分值合计 105，超过总分 100 分")
    assert (project["groups"][0]["weight"], project["groups"][0]["score"]) == (65, 65)  # not 70
    assert project["total"] <= 100
    explained = run_cli("explain", "--ruleset", "2025", "--project", REFERENCE_FILE.stem, workspace=ws)
    assert "  产出指标各行得分合计 70，以产出指标分值 65 为上限" in explained.stdout


@pytest.mark.chinese  # reads the Chinese default: the findings, explain and store lines it checks
def test_the_total_never_exceeds_the_stated_total(tmp_path, run_cli):
    ws = _ws(tmp_path, lambda t: t.replace("reported_total: 95.53", "reported_total: 95.53\nstated_total: 90"))
    _, project = _json(run_cli, ws)
    assert project["total"] == 90 and project["max_total"] == 90
    (finding,) = [f for f in project["findings"] if f["check"] == "total_weight"]
    assert "合计 100，超过表中标明的总分 90 分" in finding["message"]
    assert finding["line"] == _line_of(ws, "stated_total: 90")
    explained = run_cli("explain", "--ruleset", "2025", "--project", REFERENCE_FILE.stem, workspace=ws)
    assert "= 90（各项得分相加，不超过总分 90）" in explained.stdout


# ---------------------------------------------------------------- what the table printed


def _printed(text: str) -> str:
    return (text.replace("  reported_score: 5.53  # 表中印出的自评得分",
                         "  reported_score: 5.53  # 表中印出的自评得分\n  reported_rate: 55.33%")
            .replace("reported_total: 95.53", "reported_total: 95.53\nreported_grade: 良\n"
                     "reported_subtotals: {产出指标: 65, 效益指标: 14}\nstated_weights: {产出指标: 65}"))


def test_printed_rate_subtotals_and_grade_are_reviewed_at_their_lines(tmp_path, run_cli):
    ws = _ws(tmp_path, _printed)
    _, project = _json(run_cli, ws)
    by_check = {f["check"]: f for f in project["findings"]}
    assert by_check["reported_rate"]["message"] == (
        "填报的预算执行率 55.33%，与按规则计算的 55.32% 不符（executed / full_year）")
    assert by_check["reported_rate"]["line"] == _line_of(ws, "reported_rate: 55.33%")
    assert by_check["reported_subtotal"]["message"] == "效益指标填报的得分小计 14，低于按规则计算的 15 分"
    assert by_check["reported_grade"]["message"] == "填报的评价等级“良”，与按规则计算的“优”（总分 95.53）不符"
    assert by_check["reported_grade"]["line"] == _line_of(ws, "reported_grade: 良")
    assert project["total"] == 95.53 and project["grade"] == "优"


def test_json_carries_every_reported_value(tmp_path, run_cli):
    ws = _ws(tmp_path, _printed)
    _, project = _json(run_cli, ws)
    assert project["reported"] == {
        "total": 95.53, "grade": "良", "execution_rate": "55.33%", "budget_score": 5.53,
        "subtotals": {"产出指标": 65, "效益指标": 14}, "stated_weights": {"产出指标": 65}, "stated_total": None}
    budget_row = project["indicators"][0]
    assert budget_row["name"] == "预算执行率" and budget_row["reported_score"] == 5.53  # was null
    assert project["groups"][1] == {"name": "效益指标", "weight": 15, "score": 15, "stated_weight": None,
                                    "reported_score": 14}


def test_printed_values_that_agree_are_silent(tmp_path, run_cli):
    ws = _ws(tmp_path, lambda t: _printed(t).replace("55.33%", "55.32%").replace("grade: 良", "grade: 优").replace("效益指标: 14", "效益指标: 15"))
    _, project = _json(run_cli, ws)
    assert [f["check"] for f in project["findings"]] == ["repeated_target", "repeated_target"]


# ---------------------------------------------------------------- columns the table leaves blank


def _no_initial(text: str) -> str:
    return text.replace("  initial: 990          # 年初预算数\n", "")


def test_a_blank_initial_budget_is_left_blank_in_every_format(tmp_path, run_cli):
    ws = _ws(tmp_path, _no_initial)
    result = run_cli("--ruleset", "2025", workspace=ws)
    assert result.exit_code == 0, result.output
    out = ws / "reports/out/2025/益阳市商务局"
    md = (out / f"{REFERENCE_FILE.stem}.md").read_text(encoding="utf-8")
    assert "2025 年，全年预算 990 万元，实际拨付项目资金 547.6879 万元。" in md
    assert "2025年，实际拨付项目资金547.6879万元，预算执行率55.32%" in md
    assert "| 年度资金总额 |  | 990 | 547.6879 | 10 | 55.32% | 5.53 |" in md  # nothing invented
    assert "总分" in md and "95.53" in md
    sheet = openpyxl.load_workbook(out / f"{REFERENCE_FILE.stem}.xlsx").active
    row = next(r for r in sheet.iter_rows() if r[1].value == "年度资金总额")
    assert row[3].value is None and row[4].value == 990
    _, project = _json(run_cli, ws)
    assert project["budget"]["initial"] is None and project["total"] == 95.53


def test_a_rule_that_needs_the_blank_initial_budget_says_so_at_load(tmp_path, run_cli):
    ws = _ws(tmp_path, _no_initial)
    ruleset = ws / "rulesets/2025/ruleset.yaml"
    ruleset.write_text(ruleset.read_text(encoding="utf-8").replace(
        "  rate: executed / full_year", "  rate: executed / initial"), encoding="utf-8")
    result = run_cli("--ruleset", "2025", workspace=ws)
    assert result.exit_code != 0 and "Traceback" not in result.output
    line = _line_of(ws, "  unit: 万元")
    assert f"{REL}:{line}:" in result.output
    assert "`initial` (年初预算数) is not given" in result.output and "executed / initial" in result.output


# ---------------------------------------------------------------- sub-items (其中)


def _with_parts(text: str) -> str:
    text = text.replace("  executed: 547.6879    # 全年执行数\n",
                        "  executed: 547.6879    # 全年执行数\n"
                        "  current_appropriation: {initial: 900, full_year: 900, executed: 500}\n"
                        "  carried_over: {initial: 90, full_year: 90, executed: 40.6879}\n")
    return text.replace("    actual: 12 家\n    weight: 10\n    reported_score: 10\n",
                        "    actual: 12 家\n    weight: 10\n    reported_score: 10\n"
                        "    parts:\n"
                        "      - {name: 世界 500 强, actual: 5 家}\n"
                        "      - {name: 中国 500 强, actual: 6 家}\n", 1)


def test_sub_items_are_shown_in_every_format_and_their_sums_checked(tmp_path, run_cli):
    ws = _ws(tmp_path, _with_parts)
    result = run_cli("--ruleset", "2025", workspace=ws)
    assert result.exit_code == 0, result.output
    out = ws / "reports/out/2025/益阳市商务局"
    md = (out / f"{REFERENCE_FILE.stem}.md").read_text(encoding="utf-8")
    assert "| 其中：当年财政拨款 | 900 | 900 | 500 | | | |" in md
    assert "|  |  | 其中：世界 500 强 |  | 5 家 |  |  |  |" in md
    html = (out / f"{REFERENCE_FILE.stem}.html").read_text(encoding="utf-8")
    assert "其中：中国 500 强" in html and '<td class="num">40.6879</td>' in html
    import docx
    document = docx.Document(out / f"{REFERENCE_FILE.stem}.docx")
    cells = {c.text for t in document.tables for r in t.rows for c in r.cells}
    assert {"其中：世界 500 强", "6 家", "40.6879"} <= cells
    sheet = openpyxl.load_workbook(out / f"{REFERENCE_FILE.stem}.xlsx").active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert any(v[1] == "其中：当年财政拨款" and v[3:6] == [900, 900, 500] for v in values)
    assert any("其中：中国 500 强" in v for v in values)
    assert "95.53" in md  # the sub-items are not scored
    _, project = _json(run_cli, ws)
    messages = [f["message"] for f in project["findings"] if f["check"] == "sub_items"]
    assert messages == [
        "年度资金总额全年执行数 547.6879 万元，其中各项（当年财政拨款 500 + 上年结转资金 40.6879）合计 540.6879 万元，"
        "相差 -7 万元",
        "“引进 500 强企业”其中各项实际完成值（世界 500 强 5 + 中国 500 强 6）合计 11 家，与该行填报的“12 家”不符"]
    row = next(r for r in project["indicators"] if r["name"] == "引进 500 强企业")
    assert row["parts"] == [{"name": "世界 500 强", "target": "", "actual": "5 家", "weight": None},
                            {"name": "中国 500 强", "target": "", "actual": "6 家", "weight": None}]
    assert project["budget"]["parts"][0] == {"name": "其中：当年财政拨款", "initial": 900, "full_year": 900,
                                             "executed": 500}


# ---------------------------------------------------------------- department variants follow extends


def test_validate_says_which_variant_scores_each_project(tmp_path, run_cli):
    ws = copy_workspace(tmp_path / "ws")  # rulesets/examples-tables extends 2025 and changes only the rate
    result = run_cli("validate", "--ruleset", "examples-tables", workspace=ws)
    assert result.exit_code == 0, result.output
    assert ("projects/2025/益阳市农业农村局/高标准农田建设项目.yaml: scored under "
            "rulesets/2025/departments/益阳市农业农村局.yaml (inherited through extends, laid over "
            "rulesets/examples-tables/ruleset.yaml)") in result.stdout
    assert f"{REL}: scored under rulesets/examples-tables/ruleset.yaml" in result.stdout
    # a variant of the derived ruleset's own takes the inherited one's place
    own = ws / "rulesets/examples-tables/departments/益阳市农业农村局.yaml"
    own.parent.mkdir()
    own.write_text("grades:\n  - {grade: 优, min: 95}\n  - {grade: 良, min: 80}\n  - {grade: 中, min: 60}\n"
                   "  - {grade: 差, min: 0}\n", encoding="utf-8")
    result = run_cli("validate", "--ruleset", "examples-tables", workspace=ws)
    assert result.exit_code == 0, result.output
    assert ("高标准农田建设项目.yaml: scored under rulesets/examples-tables/departments/益阳市农业农村局.yaml\n"
            in result.stdout)


# ---------------------------------------------------------------- provenance of every override


@pytest.mark.chinese  # reads the Chinese default: explain's words around the level (their English: test_english_output)
def test_an_override_on_a_library_block_is_credited_to_the_ruleset_line(tmp_path, run_cli):
    ws = _ws(tmp_path)
    demo = (ws / "rulesets/library-demo/ruleset.yaml").read_text(encoding="utf-8")
    own = ws / "rulesets/demo-own/ruleset.yaml"
    own.parent.mkdir()
    own.write_text(demo + "methods:\n  qualitative_bands:\n    levels:\n"
                   "      - {name: 达成年度指标, from: 0.7}\n      - {name: 部分达成并具有一定效果, to: 0.7}\n",
                   encoding="utf-8")
    line = len(demo.splitlines()) + 4
    result = run_cli("explain", "--ruleset", "demo-own", "--project", REFERENCE_FILE.stem, workspace=ws)
    assert result.exit_code == 0, result.output
    point = next(text for text in result.stdout.splitlines() if "“达成年度指标”档（0.7–1）" in text)
    assert point.endswith(f"(rulesets/demo-own/ruleset.yaml:{line}:9, overriding "
                          "rulesets/library/methods/qualitative-bands-80-60.yaml:9:9)"), point


# ---------------------------------------------------------------- Excel from a department's template


def _department_template(path):
    """An illustrative department layout: fields in cells, a row to repeat, named cells."""
    from openpyxl import Workbook
    from openpyxl.styles import PatternFill
    from openpyxl.workbook.defined_name import DefinedName

    wb = Workbook()
    ws = wb.active
    ws.title = "自评表"
    ws["A1"] = "{{ project.fiscal_year }} 年度项目支出绩效自评表（示例部门格式）"
    ws.merge_cells("A1:F1")
    ws["A2"], ws["B2"] = "项目名称", "{{ project.name }}"
    ws.merge_cells("B2:F2")
    ws["A3"], ws["B3"], ws["C3"], ws["D3"] = "全年预算数（{{ budget.unit }}）", "{{ budget.full_year }}", "执行数", \
        "{{ budget.executed }}"
    ws["E3"], ws["F3"] = "执行率", "{{ execution.rate_text }}"
    for column, header in zip("ABCDEF", ("指标", "年度指标值", "实际完成值", "分值", "得分", "一级指标")):
        ws[f"{column}4"] = header
    for column, field in zip("ABCDEF", ("label", "target", "actual", "weight", "score", "group")):
        ws[f"{column}5"] = f"{{{{ row.{field} }}}}"
    ws["A5"].fill = PatternFill("solid", fgColor="FFF2CC")
    ws["A6"], ws["D6"] = "总分", "{{ max_total }}"
    ws.merge_cells("A6:C6")
    ws["A7"] = "评价等级"
    ws.merge_cells("B7:F7")
    wb.defined_names["total"] = DefinedName("total", attr_text="'自评表'!$E$6")
    wb.defined_names["grade"] = DefinedName("grade", attr_text="'自评表'!$B$7")
    wb.defined_names["单位自用"] = DefinedName("单位自用", attr_text="'自评表'!$A$7")  # not a field: left alone
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def test_a_department_table_xlsx_lays_out_its_excel_output(tmp_path, run_cli):
    ws = _ws(tmp_path)
    _department_template(ws / "reports/templates/益阳市商务局/table.xlsx")
    result = run_cli("--ruleset", "2025", "--format", "xlsx", workspace=ws)
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(ws / "reports/out/2025/益阳市商务局" / f"{REFERENCE_FILE.stem}.xlsx")
    sheet = book["自评表"]
    assert sheet["A1"].value == "2025 年度项目支出绩效自评表（示例部门格式）"
    assert sheet["B2"].value == "开放型经济发展与三产业发展引导资金"
    assert sheet["A3"].value == "全年预算数（万元）" and sheet["B3"].value == 990 and sheet["F3"].value == "55.32%"
    rows = [[c.value for c in line] for line in sheet.iter_rows(min_row=5, max_row=16)]
    assert len([r for r in rows if r[5] and r[5].startswith(("产出", "效益", "满意度"))]) == 12  # every table row
    assert rows[0] == ["对外承包工程和劳务合作完成营业额", "7000 万美元以上", "7983 万美元", 10, 10, "产出指标（65分）"]
    assert all(sheet.cell(row=r, column=1).fill.fgColor.rgb.endswith("FFF2CC") for r in range(5, 17))  # its format
    # the rows below moved down with their merges and names
    assert sheet["A17"].value == "总分" and "A17:C17" in {str(r) for r in sheet.merged_cells.ranges}
    assert sheet["D17"].value == 100 and sheet["E17"].value == 95.53 and sheet["B18"].value == "优"
    assert book.defined_names["单位自用"].attr_text == "'自评表'!$A$18"
    # the other department keeps evalrun's own layout
    farm = copy_workspace(tmp_path / "farm")
    run_cli("--ruleset", "2025", "--format", "xlsx", workspace=farm)
    assert openpyxl.load_workbook(next((farm / "reports/out/2025/益阳市农业农村局").glob("*.xlsx"))).active["B5"].value \
        == "年度资金总额"


def test_an_unknown_field_in_table_xlsx_names_the_file_and_cell(tmp_path, run_cli):
    ws = _ws(tmp_path)
    path = ws / "reports/templates/益阳市商务局/table.xlsx"
    _department_template(path)
    book = openpyxl.load_workbook(path)
    book.active["B2"] = "{{ project.nmae }}"
    book.save(path)
    result = run_cli("--ruleset", "2025", "--format", "xlsx", workspace=ws)
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "reports/templates/益阳市商务局/table.xlsx:2:2:" in result.output
    assert "`{{ project.nmae }}`" in result.output and "did you mean `name`" in result.output
