"""`evalrun import` and `evalrun export`: the 自评表 forms departments fill in Excel, read back into project files."""
from __future__ import annotations

import re

from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from engine import api
from engine.forms.import_forms import ImportOptions, import_workbook
from engine.forms.importer import _items
from engine.files.load import load_file
from tests.helpers import REFERENCE_FILE, REFERENCE_PROJECT, copy_workspace

# These tests read evalrun's English messages (--lang en); tests/test_language.py and test_bad_inputs.py check the Chinese default.
pytestmark = pytest.mark.usefixtures("english")

DEPARTMENT = "益阳市商务局"
ROAD = "乡村道路养护"
TRANSPORT = "益阳市交通运输局"


def put(ws, ref: str, value, merge: str | None = None, fmt: str | None = None) -> None:
    ws[ref] = value
    if fmt:
        ws[ref].number_format = fmt
    if merge:
        ws.merge_cells(f"{ref}:{merge}")


def summary_sheet(wb) -> None:
    ws = wb.active
    ws.title = "汇总"
    for column, header in zip("ABC", ("序号", "项目", "总分")):
        put(ws, f"{column}1", header)
    put(ws, "A2", 1), put(ws, "B2", ROAD), put(ws, "C2", 95.48)


def real_form(ws) -> None:
    """A form as a department fills it: no title, a blank first row and column A, a blank column in the
    indicator table, numbers as text and in full-width digits, 一级 merged in one group and written only
    in the first row in another, weights in the headers, 不适用/不适应 rows, and a 总分 row."""
    put(ws, "B2", "项目名称："), put(ws, "C2", ROAD, merge="J2")
    put(ws, "B3", "主管部门"), put(ws, "C3", TRANSPORT), put(ws, "F3", "实施单位"), put(ws, "G3", "市公路事务中心")
    put(ws, "B4", "项目资金\n（万元）", merge="B9")
    for column, header in zip("EFGHIJ", ("年初 预算数", "全年预算数", "全年执行数", "分值", "执行率", "自评得分")):
        put(ws, f"{column}4", header)
    put(ws, "C5", "年度资金总额", merge="D5")
    put(ws, "E5", "990"), put(ws, "F5", "１，０００"), put(ws, "G5", "５４７．６８７９"), put(ws, "H5", "10分")
    put(ws, "I5", "54.77%"), put(ws, "J5", 5.48)
    put(ws, "C6", "其中：当年财政拨款"), put(ws, "E6", 800)
    put(ws, "C7", "上年结转资金"), put(ws, "F7", 190)  # only in the 全年预算数 column: read as that column
    put(ws, "C9", "其他资金"), put(ws, "E9", "-")  # row 8 left blank
    put(ws, "B10", "年度总体目标", merge="B11"), put(ws, "C10", "预期目标", merge="F10")
    put(ws, "G10", "实际完成情况", merge="J10")
    put(ws, "C11", "1.养护道路 120 公里；2.群众满意度 90% 以上。", merge="F11")
    put(ws, "G11", "1.养护道路 126 公里；2.群众满意度 93%。", merge="J11")
    headers = {"B": "一级指标", "C": "二级指标", "D": "三级指标", "F": "年度指标值", "G": "实际完成值",
               "H": "分值", "I": "自评得分", "J": "偏差原因分析及改进措施"}
    for column, header in headers.items():
        put(ws, f"{column}13", header)
    put(ws, "B14", "产出指标 (65 分)", merge="B17"), put(ws, "C14", "数量指标", merge="C15")
    rows = [
        (14, "养护道路里程", "≥１２０公里", 126, "20", "20", None),
        (15, "桥梁检查座数", "不少于 30 座", "32座", 20, 20, None),
        (16, "路面优良率", "≥90%", 0.95, 15, "15.00", None),
        (17, "按期完工", "11月前", "10月", "10", "10分", "提前完工"),
        (19, "群众出行便利", "有效", "有效", "15", 15, None),
        (22, "群众满意度", "≥90%", "93%", "１０", "10", None),
    ]
    for row, name, target, actual, weight, score, why in rows:
        put(ws, f"D{row}", name), put(ws, f"F{row}", target), put(ws, f"G{row}", actual)
        put(ws, f"H{row}", weight), put(ws, f"I{row}", score)
        if why:
            put(ws, f"J{row}", why)
    ws["G16"].number_format = "0%"
    put(ws, "C16", "质量指标"), put(ws, "C17", "时效指标")  # row 18 left blank
    put(ws, "B19", "效益指标（15分）"), put(ws, "C19", "社会效益指标")  # 一级 only in its first row
    put(ws, "C20", "生态效益指标"), put(ws, "D20", "不适用")
    put(ws, "C21", "可持续影响指标"), put(ws, "D21", "道路长效管护"), put(ws, "F21", "不适应"), put(ws, "G21", "不适应")
    put(ws, "B22", "满意度指标（１０分）"), put(ws, "C22", "服务对象满意度指标")
    put(ws, "B23", "总 分", merge="G23"), put(ws, "H23", 100), put(ws, "I23", "95.48")
    put(ws, "B25", "填表人：")


def second_form(ws) -> None:
    """Another layout: a title, 调整后预算数, 执行率 as a fraction, no 自评得分 column, no 总分 row."""
    put(ws, "A1", "2025 年度项目支出绩效自评表", merge="H1")
    put(ws, "A2", "项目支出名称"), put(ws, "B2", "农村公路安全生命防护工程", merge="H2")
    put(ws, "A3", "主管部门"), put(ws, "B3", TRANSPORT, merge="D3")
    for column, header in zip("CDEFG", ("年初预算数", "调整后预算数", "全年执行数", "分值", "执行率")):
        put(ws, f"{column}4", header)
    put(ws, "A5", "年度资金总额", merge="B5")
    put(ws, "C5", 200), put(ws, "D5", 200), put(ws, "E5", 200), put(ws, "F5", 10), put(ws, "G5", 1, fmt="0.00%")
    for column, header in zip("ABCDEFG", ("一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值",
                                          "偏差原因分析及改进措施")):
        put(ws, f"{column}7", header)
    put(ws, "A8", "产出指标（65分）", merge="A9"), put(ws, "B8", "数量指标"), put(ws, "B9", "质量指标")
    put(ws, "C8", "防护栏长度"), put(ws, "D8", "≥40 公里"), put(ws, "E8", "41 公里"), put(ws, "F8", 40)
    put(ws, "C9", "验收合格率"), put(ws, "D9", "100%"), put(ws, "E9", "100%"), put(ws, "F9", 25)
    put(ws, "A10", "效益指标（15分）"), put(ws, "B10", "社会效益指标")
    put(ws, "C10", "事故率下降"), put(ws, "D10", "下降 5% 以上"), put(ws, "E10", "下降 8%"), put(ws, "F10", 15)
    put(ws, "A11", "满意度指标（10分）"), put(ws, "B11", "服务对象满意度指标")
    put(ws, "C11", "群众满意度"), put(ws, "D11", "≥90%"), put(ws, "E11", 0.92, fmt="0.00%"), put(ws, "F11", 10)
    put(ws, "A13", "备注：每个项目一张表。", merge="G13")


@pytest.fixture
def variations(tmp_path) -> Path:
    wb = openpyxl.Workbook()
    summary_sheet(wb)
    real_form(wb.create_sheet("道路养护"))
    second_form(wb.create_sheet("防护工程"))
    path = tmp_path / "交通局自评表.xlsx"
    wb.save(path)
    return path


@pytest.fixture
def empty_workspace(tmp_path) -> Path:
    return copy_workspace(tmp_path / "fresh", projects=False)


def imported(workspace: Path, department: str, project: str) -> dict:
    return load_file(workspace / "projects" / "2025" / department / f"{project}.yaml")


# ---------------------------------------------------------------- round trip


def test_reference_exported_and_imported_back_scores_the_same(reference_workspace, empty_workspace):
    ruleset = api.load_ruleset(reference_workspace, "2025")
    before = api.evaluate(ruleset, api.load_project(REFERENCE_FILE, ruleset, reference_workspace))
    exported = api.export_forms(api.ExportOptions("2025", reference_workspace))
    assert [p.name for p in exported.written] == [f"{DEPARTMENT}.xlsx"]

    outcome = import_workbook(ImportOptions(exported.written[0], 2025, empty_workspace))
    assert outcome.ok, [str(e) for s in outcome.sheets for e in s.errors]
    (path,) = outcome.written
    assert path == empty_workspace / "projects" / "2025" / DEPARTMENT / f"{REFERENCE_PROJECT}.yaml"
    after = api.evaluate(ruleset, api.load_project(path, ruleset, empty_workspace))

    assert after.total == before.total == Decimal("95.53")
    assert after.grade == before.grade
    assert [(r.name or r.note, r.weight, r.score) for r in after.all_rows] == \
           [(r.name or r.note, r.weight, r.score) for r in before.all_rows]
    assert [r.reported_score for r in after.all_rows[1:]] == [r.reported_score for r in before.all_rows[1:]]
    assert after.project.reported_total == before.project.reported_total
    assert after.project.goals == before.project.goals
    assert [f.check for f in after.findings] == [f.check for f in before.findings]  # the two repeated_target rows


def test_the_report_workbook_evalrun_writes_imports_too(reference_workspace, empty_workspace):
    api.run(api.RunOptions("2025", reference_workspace, formats=("xlsx",)))
    report = reference_workspace / "reports" / "out" / "2025" / "汇总.xlsx"
    outcome = import_workbook(ImportOptions(report, 2025, empty_workspace))
    assert [s.skipped.startswith("not a 自评表") for s in outcome.sheets] == [True, False]
    data = imported(empty_workspace, DEPARTMENT, REFERENCE_PROJECT)
    assert data["reported_total"] == Decimal("95.53") and data["budget"]["reported_score"] == Decimal("5.53")
    assert data["stated_weights"] == {"产出指标": 65, "效益指标": 15, "满意度指标": 10}


def test_the_written_file_is_readable_yaml_with_a_header(reference_workspace, empty_workspace):
    exported = api.export_forms(api.ExportOptions("2025", reference_workspace))
    import_workbook(ImportOptions(exported.written[0], 2025, empty_workspace))
    text = (empty_workspace / "projects" / "2025" / DEPARTMENT / f"{REFERENCE_PROJECT}.yaml").read_text("utf-8")
    # in Chinese, as the rest of the file, whatever the console speaks (this test runs in English)
    assert text.startswith(f"# 由 `evalrun import` 从 {DEPARTMENT}.xlsx 的工作表 {REFERENCE_PROJECT} 导入。\n")
    assert "分值为 10" in text.splitlines()[3]
    assert "  reported_rate: 55.32%   # 表中填报的执行率\n" in text  # a run compares it
    comments = [line.partition("#")[2] for line in text.splitlines() if "#" in line]
    assert not [c for c in comments if re.search(r"\b(as|the|form|weights|states)\b", c)], comments
    assert "  executed: 547.6879      # 全年执行数\n" in text
    assert "    target: 7000 万美元以上\n" in text and "    note: 不适应\n" in text
    keys = [line.split(":")[0] for line in text.splitlines() if line and line[0] not in "# "]
    assert keys == ["project", "department", "implementing_unit", "fiscal_year", "budget", "goals",
                    "stated_weights", "indicators", "reported_total"]


# ---------------------------------------------------------------- variations


def test_a_real_form_with_its_variations_imports(variations, empty_workspace):
    outcome = import_workbook(ImportOptions(variations, 2025, empty_workspace))
    assert outcome.ok, [str(e) for s in outcome.sheets for e in s.errors]
    assert [(s.sheet, bool(s.skipped)) for s in outcome.sheets] == [("汇总", True), ("道路养护", False),
                                                                    ("防护工程", False)]
    data = imported(empty_workspace, TRANSPORT, ROAD)
    assert data["project"] == ROAD and data["implementing_unit"] == "市公路事务中心"
    assert data["budget"] == {"unit": "万元", "initial": 990, "full_year": 1000, "executed": Decimal("547.6879"),
                              "current_appropriation": 800, "carried_over": {"full_year": 190},
                              "reported_score": Decimal("5.48"), "reported_rate": "54.77%"}
    assert data["goals"] == [{"expected": "养护道路 120 公里", "achieved": "养护道路 126 公里"},
                             {"expected": "群众满意度 90% 以上。", "achieved": "群众满意度 93%。"}]
    assert data["stated_weights"] == {"产出指标": 65, "效益指标": 15, "满意度指标": 10}
    rows = [(r["level1"], r["level2"], r.get("name"), r.get("target"), r.get("actual"), r.get("weight"),
             r.get("reported_score"), r.get("applicable", True), r.get("note")) for r in data["indicators"]]
    assert rows == [
        ("产出指标", "数量指标", "养护道路里程", "≥１２０公里", 126, 20, 20, True, None),
        ("产出指标", "数量指标", "桥梁检查座数", "不少于 30 座", "32座", 20, 20, True, None),
        ("产出指标", "质量指标", "路面优良率", "≥90%", "95%", 15, 15, True, None),
        ("产出指标", "时效指标", "按期完工", "11月前", "10月", 10, 10, True, None),
        ("效益指标", "社会效益指标", "群众出行便利", "有效", "有效", 15, 15, True, None),
        ("效益指标", "生态效益指标", None, None, None, None, None, False, "不适用"),
        ("效益指标", "可持续影响指标", "道路长效管护", None, None, None, None, False, "不适应"),
        ("满意度指标", "服务对象满意度指标", "群众满意度", "≥90%", "93%", 10, 10, True, None),
    ]
    assert data["indicators"][3]["explanation"] == "提前完工"
    assert data["reported_total"] == Decimal("95.48")

    ruleset = api.load_ruleset(empty_workspace, "2025")
    path = empty_workspace / "projects" / "2025" / TRANSPORT / f"{ROAD}.yaml"
    result = api.evaluate(ruleset, api.load_project(path, ruleset, empty_workspace))
    assert result.total == Decimal("95.48")


def test_a_second_layout_in_the_same_workbook(variations, empty_workspace):
    import_workbook(ImportOptions(variations, 2025, empty_workspace))
    data = imported(empty_workspace, TRANSPORT, "农村公路安全生命防护工程")
    assert data["budget"] == {"initial": 200, "full_year": 200, "executed": 200,  # 调整后预算数 as 全年预算数
                              "reported_rate": "100%"}
    assert [(r["level2"], r["actual"], r["weight"]) for r in data["indicators"]] == [
        ("数量指标", "41 公里", 40), ("质量指标", "100%", 25), ("社会效益指标", "下降 8%", 15),
        ("服务对象满意度指标", "92%", 10)]
    assert "reported_total" not in data and "reported_score" not in data["indicators"][0]


def test_department_option_replaces_the_sheets_department(variations, empty_workspace):
    outcome = import_workbook(ImportOptions(variations, 2025, empty_workspace, department="测试局"))
    assert outcome.ok
    assert imported(empty_workspace, "测试局", ROAD)["department"] == "测试局"


def test_a_title_of_another_year_is_a_warning(tmp_path, empty_workspace, run_cli):
    wb = openpyxl.Workbook()
    second_form(wb.active)
    wb.active["A1"] = "2024 年度项目支出绩效自评表"
    wb.save(tmp_path / "old.xlsx")
    result = run_cli("import", str(tmp_path / "old.xlsx"), "--year", "2025", workspace=empty_workspace)
    assert result.exit_code == 0
    assert result.stderr == ("warning: old.xlsx!Sheet!A1: the title says 2024 年度, but --year is 2025; "
                             "imported as 2025\n")


@pytest.mark.parametrize("block,items", [
    ("1.养护道路；2.满意度 5.5% 以上。", ["养护道路", "满意度 5.5% 以上。"]),
    ("1.甲\n2.乙\n3.丙", ["甲", "乙", "丙"]),
    ("1、甲 2、乙", ["甲", "乙"]),
    ("推动开放型经济高质量发展", ["推动开放型经济高质量发展"]),
    ("甲\n乙", ["甲", "乙"]),
    ("1.\n2.", ["", ""]),
    ("", []),
])
def test_goals_are_split_at_their_numbers(block, items):
    assert _items(block) == items


# ---------------------------------------------------------------- errors


def broken_form(ws) -> None:
    real_form(ws)
    put(ws, "E5", "九百九十")      # not a number
    ws["G5"] = None              # 全年执行数 missing
    put(ws, "I5", "abc%")
    put(ws, "F14", "≥ 家")         # a comparison without a number
    ws["G15"] = None             # actual missing
    put(ws, "C16", "质量")          # not a 二级 of 产出指标
    put(ws, "H16", "十")
    put(ws, "I17", -3)
    put(ws, "B19", "效益指")       # not a group of the ruleset
    put(ws, "I23", "九十")


BROKEN = [
    ("E5", "cannot read 年初预算数 `九百九十` as a number; expected digits such as 990"),
    ("G5", "全年执行数 is empty; write the amount in 万元"),
    ("I5", "cannot read 执行率 `abc%` as a number; expected digits such as 990 or 547.6879 or a percentage"),
    ("F14", "cannot read the 年度指标值 `≥ 家`"),
    ("G15", "the 实际完成值 is empty"),
    ("C16", "`质量` is not a 二级指标 of 产出指标 (did you mean `质量指标`?); expected one of: 数量指标, "),
    ("H16", "cannot read 分值 `十` as a number"),
    ("I17", "自评得分 is -3; it cannot be negative"),
    ("B19", "the 一级指标 `效益指` is not in the ruleset's framework (did you mean `效益指标`?)"),
    ("I23", "cannot read 总分 `九十` as a number"),
]


@pytest.fixture
def broken(tmp_path) -> Path:
    wb = openpyxl.Workbook()
    broken_form(wb.active)
    wb.active.title = "道路养护"
    second_form(wb.create_sheet("防护工程"))
    path = tmp_path / "自评表.xlsx"
    wb.save(path)
    return path


def test_every_unreadable_cell_is_named_and_nothing_is_written(broken, empty_workspace):
    outcome = import_workbook(ImportOptions(broken, 2025, empty_workspace))
    messages = [str(e) for s in outcome.sheets for e in s.errors]
    assert len(messages) == len(BROKEN), messages
    for message, (cell, text) in zip(messages, BROKEN):
        assert message.startswith(f"自评表.xlsx!道路养护!{cell}: "), message
        assert text in message, message
    assert outcome.written == [] and not (empty_workspace / "projects").exists()


def test_partial_writes_the_good_sheets(broken, empty_workspace):
    outcome = import_workbook(ImportOptions(broken, 2025, empty_workspace, partial=True))
    assert [p.name for p in outcome.written] == ["农村公路安全生命防护工程.yaml"]
    assert [s.sheet for s in outcome.failed] == ["道路养护"]


def test_an_existing_project_file_is_updated_only_with_force(variations, empty_workspace):
    import_workbook(ImportOptions(variations, 2025, empty_workspace))
    path = empty_workspace / "projects" / "2025" / TRANSPORT / f"{ROAD}.yaml"
    path.write_text(path.read_text("utf-8").replace("actual: 126", "actual: 120"), "utf-8")
    outcome = import_workbook(ImportOptions(variations, 2025, empty_workspace))
    assert not outcome.written
    assert f"projects/2025/{TRANSPORT}/{ROAD}.yaml exists already; add --force to update it" in \
        str(outcome.failed[0].errors[0])
    assert "actual: 120" in path.read_text("utf-8")
    assert import_workbook(ImportOptions(variations, 2025, empty_workspace, force=True)).ok
    assert "actual: 126" in path.read_text("utf-8")
    assert not list(path.parent.parent.glob(".evalrun-staging-*"))


def test_a_sheet_without_its_blocks_says_what_is_missing(tmp_path, empty_workspace):
    wb = openpyxl.Workbook()
    for column, header in zip("ABCDEF", ("一级指标", "二级指标", "三级指标", "年度指标值", "分值", "得分")):
        put(wb.active, f"{column}3", header)
    wb.save(tmp_path / "bare.xlsx")
    outcome = import_workbook(ImportOptions(tmp_path / "bare.xlsx", 2025, empty_workspace))
    messages = [str(e) for e in outcome.sheets[0].errors]
    assert messages == [
        "bare.xlsx!Sheet: no cell labelled 项目支出名称 or 项目名称; expected the project's name to its right",
        "bare.xlsx!Sheet: no cell labelled 主管部门 or 主管部门(单位); expected the department (主管部门) to its right, "
        "or give --department NAME",
        "bare.xlsx!Sheet: no budget block: no cell labelled 年初预算数, 全年预算数 or 全年执行数 above the indicators",
        "bare.xlsx!Sheet!C3: the indicator header has no column 实际完成值; expected 一级指标, 二级指标, 三级指标, "
        "年度指标值, 实际完成值, 分值, 自评得分, 偏差原因分析及改进措施",
    ]


# ---------------------------------------------------------------- export


def test_blank_forms_keep_targets_and_leave_what_departments_report_empty(workspace):
    outcome = api.export_forms(api.ExportOptions("2025", workspace, blank=True))
    folder = workspace / "reports" / "out" / "2025" / "forms"
    assert sorted(p.name for p in outcome.written) == ["益阳市农业农村局.xlsx", f"{DEPARTMENT}.xlsx"]
    ws = openpyxl.load_workbook(folder / f"{DEPARTMENT}.xlsx").active
    assert ws.title == REFERENCE_PROJECT
    assert [ws[f"{c}5"].value for c in "DEFGHI"] == [990, 990, None, 10, None, None]
    assert (ws["E12"].value, ws["F12"].value, ws["G12"].value, ws["H12"].value) == ("7000 万美元以上", None, 10, None)
    assert ws["D21"].value == "不适应" and ws["H24"].value is None
    assert ws["F10"].value.startswith("1.\n2.")


def test_filled_forms_carry_the_reported_scores(workspace):
    api.export_forms(api.ExportOptions("2025", workspace, output=workspace / "forms"))
    wb = openpyxl.load_workbook(workspace / "forms" / "益阳市农业农村局.xlsx")
    ws = wb["高标准农田建设项目"]
    assert ws["H12"].value == 18.56 and ws["I12"].value.startswith("2 个项目区")
    assert ws["I5"].value == 8.93 and ws["H5"].value == 0.8933


# ---------------------------------------------------------------- command line


def test_import_command_lists_what_it_wrote_and_skipped(run_cli, variations, empty_workspace):
    result = run_cli("import", str(variations), "--year", "2025", workspace=empty_workspace)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "skipped sheet 汇总: not a 自评表 (no 三级指标 header)",
        f"wrote projects/2025/{TRANSPORT}/{ROAD}.yaml",
        f"wrote projects/2025/{TRANSPORT}/农村公路安全生命防护工程.yaml",
    ]
    assert run_cli("validate", "--ruleset", "2025", workspace=empty_workspace).exit_code == 0


def test_import_command_errors_exit_1_with_one_line_each(run_cli, broken, empty_workspace):
    result = run_cli("import", str(broken), "--year", "2025", workspace=empty_workspace)
    assert result.exit_code == 1 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert [line.split(": ")[0] for line in lines[:-1]] == [f"自评表.xlsx!道路养护!{c}" for c, _ in BROKEN]
    assert lines[-1] == ("10 problems in sheet 道路养护; nothing was written "
                         "(fix them, or add --partial to write the other sheets)")
    assert "Traceback" not in result.output


def test_import_command_partial(run_cli, broken, empty_workspace):
    result = run_cli("import", str(broken), "--year", "2025", "--partial", workspace=empty_workspace)
    assert result.exit_code == 1
    assert result.stdout == f"wrote projects/2025/{TRANSPORT}/农村公路安全生命防护工程.yaml\n"
    assert result.stderr.splitlines()[-1] == "10 problems; not written: sheet 道路养护"


@pytest.mark.parametrize("content,message", [
    (b"project: x\n", "this is not an Excel workbook (.xlsx)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "this is an old Excel 97-2003 workbook (.xls)"),
    (b"PK\x03\x04 broken", "the file is damaged (it cannot be unzipped)"),
    (b"PK\x03\x04" + bytes(20 * 1024 * 1024), "the workbook is 20.0 MB; a 自评表 workbook is far smaller (at most 20 MB"),
])
def test_a_file_that_is_not_an_xlsx_gets_one_line(run_cli, tmp_path, empty_workspace, content, message):
    path = tmp_path / "form.xls"
    path.write_bytes(content)
    result = run_cli("import", str(path), "--year", "2025", workspace=empty_workspace)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"form.xls: {message}") and len(result.stderr.splitlines()) == 1


def test_a_workbook_without_a_form_says_so(run_cli, tmp_path, empty_workspace):
    wb = openpyxl.Workbook()
    summary_sheet(wb)
    wb.save(tmp_path / "汇总.xlsx")
    result = run_cli("import", str(tmp_path / "汇总.xlsx"), "--year", "2025", workspace=empty_workspace)
    assert result.exit_code == 1
    assert "汇总.xlsx: no sheet looks like a 项目支出绩效自评表 (none has a 三级指标 header); sheets: 汇总" in result.stderr


def test_import_usage_errors_exit_2(run_cli, tmp_path, empty_workspace):
    wb = openpyxl.Workbook()
    real_form(wb.active)  # no title
    wb.save(tmp_path / "untitled.xlsx")
    result = run_cli("import", str(tmp_path / "untitled.xlsx"), workspace=empty_workspace)
    assert result.exit_code == 2
    assert result.stderr == ("evalrun: untitled.xlsx: no --year given, and no sheet's title names the year "
                             "(such as `2025年度项目支出绩效自评表`); give --year YEAR\n")
    assert run_cli("import", "no-such.xlsx", "--year", "2025", workspace=empty_workspace).exit_code == 2


def test_export_command(run_cli, reference_workspace):
    result = run_cli("export", "--ruleset", "2025", "--blank", workspace=reference_workspace)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [f"wrote reports/out/2025/forms/{DEPARTMENT}.xlsx",
                                          "1 project in 1 workbook"]
    assert run_cli("export", workspace=reference_workspace).exit_code == 2
