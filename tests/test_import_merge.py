"""`evalrun import` of a form returned for a project that has a file already: the file is updated in place.

Only the values the form carries and changes are edited; the report block, spending lines, narrative,
qualitative levels, comments, key order and quoting stay byte for byte. Approved values (budget, targets,
weights, indicator names) are refused unless --accept-changes; a value that cannot be scored is refused
at its cell. The forms here are those `evalrun export` writes, changed as a department would.
"""
from __future__ import annotations

import shutil
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings, strategies as st

from engine.cli import cli
from engine.files.load import load_file, load_text
from engine.forms.projectedit import Edit, edit
from tests.helpers import REFERENCE_FILE, REFERENCE_PROJECT, copy_workspace

# These tests read evalrun's English messages (--lang en); tests/test_language.py and test_bad_inputs.py check the Chinese default.
pytestmark = pytest.mark.usefixtures("english")

DEPARTMENT = "益阳市商务局"
FARM = "益阳市农业农村局"
FARM_PROJECT = "高标准农田建设项目"
REFUSED = "approved values cannot be changed by a returned form (use --accept-changes to take it)"


def project_path(workspace: Path, department: str = DEPARTMENT, project: str = REFERENCE_PROJECT) -> Path:
    return workspace / "projects" / "2025" / department / f"{project}.yaml"


def snapshot(workspace: Path) -> dict:
    return {p: p.read_bytes() for p in sorted((workspace / "projects").rglob("*.yaml"))}


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    """The forms `evalrun export` writes for the bundled 2025 projects (made once: they only read them)."""
    workspace = copy_workspace(tmp_path_factory.mktemp("exported") / "ws")
    result = CliRunner().invoke(cli, ["export", "--ruleset", "2025", "--output", str(workspace / "forms"),
                                      "--workspace", str(workspace)])
    assert result.exit_code == 0, result.output
    return workspace / "forms"


@pytest.fixture
def forms(exported, workspace) -> Path:
    """A copy of the exported forms in the test's own workspace."""
    return Path(shutil.copytree(exported, workspace / "forms"))


def changed_form(forms: Path, cells: dict, department: str = DEPARTMENT, name: str = "returned.xlsx") -> Path:
    """The department's exported form with ``cells`` filled in, as Excel saves it."""
    wb = openpyxl.load_workbook(forms / f"{department}.xlsx")
    ws = wb.active
    for ref, value in cells.items():
        ws[ref] = value
    path = forms / name
    wb.save(path)
    return path


def changed_lines(before: bytes, after: bytes) -> tuple:
    old, new = before.decode("utf-8").splitlines(), after.decode("utf-8").splitlines()
    return [line for line in old if line not in new], [line for line in new if line not in old]


# ---------------------------------------------------------------- the round trip


@pytest.mark.parametrize("options", [("--year", "2025", "--force"), ()], ids=["year-force", "from-title"])
def test_export_then_import_leaves_every_project_file_byte_identical(run_cli, workspace, forms, options):
    before = snapshot(workspace)
    assert b"level: " in project_path(workspace, FARM, FARM_PROJECT).read_bytes()  # qualitative levels kept too
    for form in sorted(forms.glob("*.xlsx")):
        result = run_cli("import", str(form), *options, workspace=workspace)
        assert result.exit_code == 0, result.stderr
        department = form.stem
        (path,) = (p for p in before if p.parent.name == department)
        shown = path.relative_to(workspace).as_posix()
        assert result.stdout == f"{shown}: no change (the form holds the file's values)\n"
        assert result.stderr == ""
    assert snapshot(workspace) == before
    assert len(before) == len(list((workspace / "projects" / "2025").glob("*/*.yaml"))) >= 2


def test_values_that_read_the_same_are_no_change(run_cli, workspace, forms):
    path = project_path(workspace)
    path.write_text(path.read_text("utf-8").replace("reported_total: 95.53\n",
                                                    "reported_total: 95.53\nstated_weights: {产出指标: 60}\n"), "utf-8")
    before = snapshot(workspace)
    # the form writes the ruleset's 65 in its header; the targets as other forms write them
    form = changed_form(forms, {"E12": "≥7000万美元", "E13": "≥５家", "F13": "12家", "E17": "及 时"})
    result = run_cli("import", str(form), "--force", workspace=workspace)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.endswith("no change (the form holds the file's values)\n")
    assert snapshot(workspace) == before


def test_import_lists_each_change_and_edits_only_those_lines(run_cli, workspace, forms):
    path = project_path(workspace)
    before = path.read_bytes()
    form = changed_form(forms, {"F13": "15 家", "I13": "多引进 3 家", "F5": 600, "H24": 96,
                                "F10": forms_goals(forms).replace("71.03%", "70%")})
    result = run_cli("import", str(form), "--year", "2025", "--force", workspace=workspace)
    assert result.exit_code == 0, result.stderr
    shown = path.relative_to(workspace).as_posix()
    assert result.stdout.splitlines() == [
        f"{shown}: 5 changes from sheet {REFERENCE_PROJECT}",
        "  全年执行数: 547.6879 → 600",
        "  年度总体目标 1 实际完成情况: 直接利用外资同比增长 71.03% → 直接利用外资同比增长 70%",
        "  三级指标 引进 500 强企业 实际完成值: 12 家 → 15 家",
        "  三级指标 引进 500 强企业 偏差原因分析及改进措施: (empty) → 多引进 3 家",
        "  总分 自评得分: 95.53 → 96",
        f"updated {shown}",
    ]
    removed, added = changed_lines(before, path.read_bytes())
    assert removed == ["  executed: 547.6879    # 全年执行数", "    achieved: 直接利用外资同比增长 71.03%",
                       "    actual: 12 家", "reported_total: 95.53"]
    assert added == ["  executed: 600         # 全年执行数", "    achieved: 直接利用外资同比增长 70%",
                     "    actual: 15 家", "    explanation: 多引进 3 家", "reported_total: 96"]
    text = path.read_text("utf-8")
    assert "    actual: 15 家\n    weight: 10\n    reported_score: 10\n    explanation: 多引进 3 家\n" in text
    assert run_cli("validate", "--ruleset", "2025", workspace=workspace).exit_code == 0


def forms_goals(forms: Path) -> str:
    return openpyxl.load_workbook(forms / f"{DEPARTMENT}.xlsx").active["F10"].value


def test_dry_run_lists_the_same_changes_and_writes_nothing(run_cli, workspace, forms):
    before = snapshot(workspace)
    form = changed_form(forms, {"F13": "15 家"})
    result = run_cli("import", str(form), "--dry-run", workspace=workspace)
    assert result.exit_code == 0, result.stderr
    shown = project_path(workspace).relative_to(workspace).as_posix()
    assert result.stdout.splitlines() == [f"{shown}: 1 change from sheet {REFERENCE_PROJECT}",
                                          "  三级指标 引进 500 强企业 实际完成值: 12 家 → 15 家",
                                          "dry run: nothing was written"]
    assert snapshot(workspace) == before


def test_changes_without_force_are_listed_and_not_written(run_cli, workspace, forms):
    before = snapshot(workspace)
    result = run_cli("import", str(changed_form(forms, {"F13": "15 家"})), workspace=workspace)
    assert result.exit_code == 1
    shown = project_path(workspace).relative_to(workspace).as_posix()
    assert "  三级指标 引进 500 强企业 实际完成值: 12 家 → 15 家" in result.stdout.splitlines()
    assert result.stderr.splitlines()[0] == (
        f"returned.xlsx!{REFERENCE_PROJECT}: {shown} exists already; add --force to update it with the changes "
        "listed (--dry-run lists them without writing)")
    assert snapshot(workspace) == before


def test_an_emptied_cell_removes_only_that_value(run_cli, workspace, forms):
    path = project_path(workspace, FARM, FARM_PROJECT)
    before = path.read_bytes()
    form = changed_form(forms, {"I14": None, "H18": None}, department=FARM)
    result = run_cli("import", str(form), "--force", workspace=workspace)
    assert result.exit_code == 0, result.stderr
    assert "  三级指标 工程验收合格率 偏差原因分析及改进措施: 2 处渠道衬砌整改后复验。 → (empty)" in result.stdout
    assert "  三级指标 带动农户增收 自评得分: 7 → (empty)" in result.stdout
    removed, added = changed_lines(before, path.read_bytes())
    assert removed == ["    explanation: 2 处渠道衬砌整改后复验。",
                       "    reported_score: 7   # 高于该档区间（3–4 分）：按规则取该档上限，并提示"]
    assert added == []


def test_a_blank_form_filled_in_takes_what_it_holds(run_cli, workspace):
    assert run_cli("export", "--ruleset", "2025", "--blank", workspace=workspace).exit_code == 0
    form = workspace / "reports" / "out" / "2025" / "forms" / f"{FARM}.xlsx"
    wb = openpyxl.load_workbook(form)
    ws = wb.active
    ws["F5"], ws["F10"] = 3200, "1.新建高标准农田 2.5 万亩\n2.提升 12%"
    actuals = ["2.5 万亩", "126 公里", "100%", "11月", "1500 元/亩", "同比增长 12%", "效果明显", "0.56", None, "95%"]
    for row, actual in zip(range(12, 22), actuals):
        if actual:
            ws[f"F{row}"] = actual
    wb.save(form)
    path = project_path(workspace, FARM, FARM_PROJECT)
    result = run_cli("import", str(form), "--force", workspace=workspace)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "  全年执行数: 3126.4 → 3200" in lines and "  三级指标 新建高标准农田面积 自评得分: 18.56 → (empty)" in lines
    assert "  年度总体目标 2 实际完成情况: 项目区粮食综合生产能力提升 11.5% → 提升 12%" in lines
    data = load_file(path)
    assert "reported_total" not in data and "reported_score" not in data["indicators"][0]
    assert data["indicators"][3]["level"] == "部分达成并具有一定效果" and data["narrative"]["problems"]
    assert run_cli("validate", "--ruleset", "2025", workspace=workspace).exit_code == 0


def test_a_qualitative_level_and_the_rest_of_the_row_stay(run_cli, workspace, forms):
    path = project_path(workspace, FARM, FARM_PROJECT)
    before = path.read_bytes()
    result = run_cli("import", str(changed_form(forms, {"H15": 7}, department=FARM)), "--force", workspace=workspace)
    assert result.exit_code == 0, result.stderr
    removed, added = changed_lines(before, path.read_bytes())
    assert (removed, added) == (["    reported_score: 8"], ["    reported_score: 7"])
    assert "    level: 部分达成并具有一定效果   # 未按期完成：由部门选定档次\n" in \
        path.read_text("utf-8")


def test_a_file_with_windows_line_ends_and_a_bom_keeps_them(run_cli, workspace, forms):
    path = project_path(workspace)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    before = path.read_bytes()
    result = run_cli("import", str(changed_form(forms, {"F13": "15 家", "I13": "多引进"})), "--force",
                     workspace=workspace)
    assert result.exit_code == 0, result.stderr
    after = path.read_bytes()
    assert after.startswith(b"\xef\xbb\xbf") and after.count(b"\n") == after.count(b"\r\n") == before.count(b"\n") + 1
    assert after.replace(b"    actual: 15 \xe5\xae\xb6", b"    actual: 12 \xe5\xae\xb6").replace(
        "    explanation: 多引进\r\n".encode(), b"") == before


# ---------------------------------------------------------------- approved values


def test_a_changed_target_and_budget_are_refused_with_their_cells(run_cli, workspace, forms):
    before = snapshot(workspace)
    form = changed_form(forms, {"E13": "≥3 家", "E5": 456.3, "G14": 5})
    result = run_cli("import", str(form), "--force", workspace=workspace)
    assert result.exit_code == 1
    where = f"returned.xlsx!{REFERENCE_PROJECT}"
    assert result.stderr.splitlines() == [
        f"{where}!E5: 全年预算数 was changed from `990` to `456.3`; {REFUSED}",
        f"{where}!E13: 年度指标值 was changed from `≥5 家` to `≥3 家`; {REFUSED}",
        f"{where}!G14: 分值 was changed from `10` to `5`; {REFUSED}",
        f"3 problems in sheet {REFERENCE_PROJECT}; nothing was written "
        "(fix them, or add --partial to write the other sheets)",
    ]
    assert snapshot(workspace) == before

    result = run_cli("import", str(form), "--force", "--accept-changes", workspace=workspace)
    assert result.exit_code == 0, result.stderr
    assert "  三级指标 引进 500 强企业 年度指标值: ≥5 家 → ≥3 家  (approved value, taken with --accept-changes)" in \
        result.stdout.splitlines()
    data = load_file(project_path(workspace))
    assert data["budget"]["full_year"] == Decimal("456.3") and data["indicators"][1]["target"] == "≥3 家"
    assert data["indicators"][2]["weight"] == 5


def test_weights_of_groups_and_of_the_budget_row_and_the_goals_are_approved(run_cli, workspace, forms):
    form = changed_form(forms, {"B12": "产出指标（70分）", "G5": 15, "D7": 20,
                                "B10": "1.直接利用外资同比增长 3%以上"})
    result = run_cli("import", str(form), "--force", workspace=workspace)
    assert result.exit_code == 1
    where = f"returned.xlsx!{REFERENCE_PROJECT}"
    assert result.stderr.splitlines()[:5] == [
        f"{where}!G5: 分值 was changed from `10` to `15`; {REFUSED}",
        f"{where}!D7: 上年结转资金 年初预算数 was changed from (empty) to `20`; {REFUSED}",
        f"{where}!B10: 预期目标 was changed from `1.直接利用外资同比增长 5%以上 2.外贸进出口额同比增长 5.5%及以上 "
        "3.对外承包工程和劳务合作完成营业额 7000 万美元 4.新引进“三类 500 强”企业投资的项目 5 个以上 "
        f"5.推动开放型经济高质量发展，产业转型升级，带动和提升新兴产业发展` to `1.直接利用外资同比增长 3%以上`; {REFUSED}",
        f"{where}!F10: 实际完成情况 has 5 numbered item(s), 预期目标 1; write one numbered item per goal (1.… 2.…), "
        "in the order of the goals",
        f"{where}!B12: 产出指标 分值 was changed from `65` to `70`; {REFUSED}",
    ]
    result = run_cli("import", str(form), "--force", "--accept-changes", workspace=workspace)
    assert result.exit_code == 1  # the five goals achieved no longer match one goal
    form = changed_form(forms, {"B12": "产出指标（70分）", "G5": 15, "D7": 20})
    result = run_cli("import", str(form), "--force", "--accept-changes", workspace=workspace)
    assert result.exit_code == 0, result.stderr
    assert "  预算执行率 分值: 10 → 15  (not taken: the ruleset sets it, not the project file)" in result.stdout
    data = load_file(project_path(workspace))
    assert data["stated_weights"] == {"产出指标": 70} and data["budget"]["carried_over"] == 20


def test_the_implementing_unit_is_the_departments_to_fill(run_cli, workspace, forms):
    path = project_path(workspace)
    before = path.read_bytes()
    result = run_cli("import", str(changed_form(forms, {"G3": "投资管理科"})), "--force", workspace=workspace)
    assert result.exit_code == 0, result.stderr
    assert '  实施单位: (empty) → 投资管理科' in result.stdout
    assert changed_lines(before, path.read_bytes()) == (['implementing_unit: ""'], ["implementing_unit: 投资管理科"])


def test_partial_writes_the_sheets_that_pass(run_cli, workspace, forms):
    wb = openpyxl.load_workbook(forms / f"{FARM}.xlsx")
    wb.active["H15"] = 7
    ours = openpyxl.load_workbook(forms / f"{DEPARTMENT}.xlsx").active
    refused = wb.create_sheet("商务局")
    for row in ours.iter_rows():
        for cell in row:
            refused[cell.coordinate] = cell.value
    for merged in ours.merged_cells.ranges:
        refused.merge_cells(str(merged))
    refused["E13"] = "≥3 家"
    wb.save(forms / "both.xlsx")
    before = project_path(workspace).read_bytes()
    result = run_cli("import", str(forms / "both.xlsx"), "--force", "--partial", workspace=workspace)
    assert result.exit_code == 1
    assert result.stdout.splitlines()[-1] == f"updated projects/2025/{FARM}/{FARM_PROJECT}.yaml"
    assert result.stderr.splitlines()[-1] == "1 problem; not written: sheet 商务局"
    assert project_path(workspace).read_bytes() == before


def test_a_value_written_through_an_alias_is_not_edited(run_cli, workspace, forms):
    path = project_path(workspace)
    text = path.read_text("utf-8").replace("    actual: 12 家\n", "    actual: &twelve 12 家\n")
    path.write_text(text, "utf-8")
    result = run_cli("import", str(changed_form(forms, {"F13": "15 家"})), "--force", workspace=workspace)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"projects/2025/{DEPARTMENT}/{REFERENCE_PROJECT}.yaml:69:13: cannot update `indicators[1].actual` in place: "
        "it carries an anchor (`&name`) that other values may use; write the value out here, then import again")
    assert path.read_text("utf-8") == text


def test_a_renamed_indicator_is_a_changed_name_not_a_new_indicator(run_cli, workspace, forms):
    form = changed_form(forms, {"D13": "引进世界 500 强企业"})
    result = run_cli("import", str(form), "--force", workspace=workspace)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"returned.xlsx!{REFERENCE_PROJECT}!D13: 三级指标 was changed from `引进 500 强企业` to "
        f"`引进世界 500 强企业`; {REFUSED}")
    result = run_cli("import", str(form), "--force", "--accept-changes", workspace=workspace)
    assert result.exit_code == 0, result.stderr
    names = [row.get("name") for row in load_file(project_path(workspace))["indicators"]]
    assert names[1] == "引进世界 500 强企业" and len(names) == 12 and "引进 500 强企业" not in names


def test_a_renamed_project_is_not_silently_a_new_one(run_cli, workspace, forms):
    form = changed_form(forms, {"B2": "开放型经济发展引导资金"})
    before = snapshot(workspace)
    result = run_cli("import", str(form), "--force", workspace=workspace)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"returned.xlsx!{REFERENCE_PROJECT}!B2: 项目支出名称 was changed from `{REFERENCE_PROJECT}` to "
        f"`开放型经济发展引导资金` (the sheet was exported for projects/2025/{DEPARTMENT}/{REFERENCE_PROJECT}.yaml); "
        "approved values cannot be changed by a returned form (use --accept-changes to import it as a new project)")
    assert snapshot(workspace) == before
    result = run_cli("import", str(form), "--accept-changes", workspace=workspace)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"wrote projects/2025/{DEPARTMENT}/开放型经济发展引导资金.yaml\n"


def test_an_indicator_added_or_removed_by_the_form_is_refused(run_cli, workspace, tmp_path):
    # the form of another version of the file: one indicator gone, another new
    other = copy_workspace(tmp_path / "other", reference_only=True)
    path = project_path(other)
    text = path.read_text("utf-8")
    text = text.replace("    name: 湘商回湘投资新注册企业数\n", "    name: 新设外资企业\n")
    text = text.replace("    name: 境内省外资金\n", "    name: 境内省外到位资金\n")
    path.write_text(text, "utf-8")
    result = run_cli("export", "--ruleset", "2025", "--output", str(tmp_path / "forms"), workspace=other)
    assert result.exit_code == 0, result.stderr
    form = tmp_path / "forms" / f"{DEPARTMENT}.xlsx"
    # two names changed in one 二级指标: each is matched in order to the rows of the file it replaces
    result = run_cli("import", str(form), "--force", workspace=workspace)
    assert result.exit_code == 1
    assert [line.split(": ", 1)[1] for line in result.stderr.splitlines()[:2]] == [
        f"三级指标 was changed from `境内省外资金` to `境内省外到位资金`; {REFUSED}",
        f"三级指标 was changed from `湘商回湘投资新注册企业数` to `新设外资企业`; {REFUSED}"]

    # a 二级指标's row moved elsewhere: the form adds one and removes the other
    text = REFERENCE_FILE.read_text("utf-8").replace("    level2: 质量指标\n    name: 境内省外资金\n",
                                                     "    level2: 数量指标\n    name: 境内省外资金（新）\n")
    path.write_text(text, "utf-8")
    run_cli("export", "--ruleset", "2025", "--output", str(tmp_path / "forms"), workspace=other)
    result = run_cli("import", str(form), "--force", workspace=workspace)
    assert result.exit_code == 1
    sheet = f"{DEPARTMENT}.xlsx!{REFERENCE_PROJECT}"
    assert result.stderr.splitlines()[:2] == [
        f"{sheet}!D15: 三级指标 境内省外资金（新） is not in the project file; a returned form cannot add an "
        "indicator (use --accept-changes to take it)",
        f"{sheet}: 三级指标 境内省外资金 (projects/2025/{DEPARTMENT}/{REFERENCE_PROJECT}.yaml:81:11) is not in the form; a returned form cannot "
        "remove an indicator (use --accept-changes to take it)"]
    result = run_cli("import", str(form), "--force", "--accept-changes", workspace=workspace)
    assert result.exit_code == 0, result.stderr
    rows = load_file(project_path(workspace))["indicators"]
    assert [r.get("name") for r in rows].count("境内省外资金（新）") == 1 and len(rows) == 12
    assert "境内省外资金" not in [r.get("name") for r in rows]
    assert run_cli("validate", "--ruleset", "2025", workspace=workspace).exit_code == 0


def test_a_row_marked_not_applicable_by_the_form_is_refused(run_cli, workspace, forms):
    result = run_cli("import", str(changed_form(forms, {"F16": "不适用"})), "--force", workspace=workspace)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"returned.xlsx!{REFERENCE_PROJECT}!F16: 不适用 was changed from `适用` to `不适用`; {REFUSED}")


def test_exported_forms_lock_the_approved_cells(forms):
    for path in forms.glob("*.xlsx"):
        for ws in openpyxl.load_workbook(path).worksheets:
            assert ws.protection.sheet and not ws.protection.password  # no password to open, read or unprotect
            locked = ["B2", "B3", "D5", "E5", "G5", "D6", "B10", "B12", "C12", "D12", "E12", "G12", "E13", "G13"]
            unlocked = ["G3", "F5", "H5", "I5", "F10", "F12", "H12", "I12", "F13", "H13", "I13"]
            assert [ref for ref in locked if not ws[ref].protection.locked] == []
            assert [ref for ref in unlocked if ws[ref].protection.locked] == []


def test_blank_forms_are_locked_too(run_cli, workspace):
    assert run_cli("export", "--ruleset", "2025", "--blank", workspace=workspace).exit_code == 0
    ws = openpyxl.load_workbook(workspace / "reports" / "out" / "2025" / "forms" / f"{DEPARTMENT}.xlsx").active
    assert ws.protection.sheet and ws["E13"].protection.locked and not ws["F13"].protection.locked


# ---------------------------------------------------------------- values that cannot be scored


@pytest.mark.parametrize("existing", [True, False], ids=["update", "new-file"])
def test_a_value_that_cannot_be_scored_is_refused_at_its_cell(run_cli, workspace, forms, tmp_path, existing):
    form = changed_form(forms, {"F13": "两个", "F15": "413亿元多"})
    target = workspace if existing else copy_workspace(tmp_path / "fresh", projects=False)
    before = snapshot(target)
    result = run_cli("import", str(form), "--force", workspace=target)
    assert result.exit_code == 1
    where = f"returned.xlsx!{REFERENCE_PROJECT}"
    assert [line for line in result.stderr.splitlines() if line.startswith(where)] == [
        f"{where}!F13: `引进 500 强企业`: the actual value `两个` gives no number to compare with the target `≥5 家`; "
        "write the value reached (for example `5家`)",
        f"{where}!F15: `境内省外资金`: the actual value `413亿元多` is in 亿元多 but the target `≥400 亿元` is in 亿元; "
        "use the target's unit",
    ]
    assert snapshot(target) == before


def test_a_missed_qualitative_target_needs_a_level_and_is_a_warning(run_cli, workspace, forms):
    result = run_cli("import", str(changed_form(forms, {"F17": "基本及时"})), "--force", workspace=workspace)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.startswith(f"warning: returned.xlsx!{REFERENCE_PROJECT}!F17: `根据申报情况及时拨付`: cannot tell "
                                    "which level the actual value `基本及时` reaches")
    assert "the form has no column for the level: add `level:` to the row in the project file" in result.stderr


# ---------------------------------------------------------------- the year, the file


def test_the_year_comes_from_the_title(run_cli, forms, tmp_path):
    fresh = copy_workspace(tmp_path / "fresh", projects=False)
    result = run_cli("import", str(forms / f"{DEPARTMENT}.xlsx"), "--dry-run", workspace=fresh)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"projects/2025/{DEPARTMENT}/{REFERENCE_PROJECT}.yaml: a new project file, from sheet {REFERENCE_PROJECT}",
        "dry run: nothing was written"]
    assert not (fresh / "projects").exists()
    result = run_cli("import", str(forms / f"{DEPARTMENT}.xlsx"), workspace=fresh)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"wrote projects/2025/{DEPARTMENT}/{REFERENCE_PROJECT}.yaml\n"


def test_titles_naming_two_years_need_year(run_cli, forms, tmp_path):
    wb = openpyxl.load_workbook(forms / f"{DEPARTMENT}.xlsx")
    second = wb.copy_worksheet(wb.active)
    second["A1"] = "2024 年度项目支出绩效自评表"
    wb.save(tmp_path / "two.xlsx")
    result = run_cli("import", str(tmp_path / "two.xlsx"), workspace=tmp_path)
    assert result.exit_code == 2
    assert result.stderr.startswith("evalrun: two.xlsx: the titles name two years, 2025 (two.xlsx!")
    assert result.stderr.endswith("give --year YEAR, or import each year's forms on its own\n")


def test_an_xlsx_named_xls_is_read_and_said_so(run_cli, workspace, forms):
    shutil.copy(forms / f"{DEPARTMENT}.xlsx", forms / "自评表.xls")
    result = run_cli("import", str(forms / "自评表.xls"), workspace=workspace)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ("warning: 自评表.xls: this is an Excel 工作簿 (.xlsx) whose name ends in .xls; "
                             "read as .xlsx (rename it 自评表.xlsx)\n")
    assert result.stdout.endswith("no change (the form holds the file's values)\n")


def test_a_word_document_is_named_as_such(run_cli, workspace, tmp_path):
    path = tmp_path / "自评表.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    result = run_cli("import", str(path), "--year", "2025", workspace=workspace)
    assert result.exit_code == 1
    assert result.stderr == ("自评表.xlsx: this is a Word document (.docx), not an Excel workbook; open the form in "
                             "Excel or WPS and save it as an Excel 工作簿 (.xlsx)\n")


def test_goals_achieved_numbered_unlike_the_goals_is_an_error(run_cli, workspace, forms):
    result = run_cli("import", str(changed_form(forms, {"F10": "1.甲\n2.乙"})), "--force", workspace=workspace)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"returned.xlsx!{REFERENCE_PROJECT}!F10: 实际完成情况 has 2 numbered item(s), 预期目标 5; write one "
        "numbered item per goal (1.… 2.…), in the order of the goals")


# ---------------------------------------------------------------- editing in place


TEXTS = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30).filter(str.strip)
NUMBERS = st.decimals(min_value=0, max_value=10**6, places=4, allow_nan=False, allow_infinity=False)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(row=st.integers(0, 11), change=st.one_of(
    st.tuples(st.sampled_from(("actual", "target", "explanation")), TEXTS),
    st.tuples(st.sampled_from(("actual", "target", "reported_score")), NUMBERS)))
def test_an_edit_changes_that_value_and_no_other_line(row, change):
    key, value = change
    text = REFERENCE_FILE.read_text("utf-8")
    result = edit(text, [Edit("set", ("indicators", row, key), value)])
    data = load_text(result, "edited")
    assert data["indicators"][row][key] == value
    old, new = text.splitlines(), result.splitlines()
    assert len(new) - len(old) in (0, 1)  # the value's line changed, or a line added for it
    assert len([line for line in old if line not in new]) <= 1
    data["indicators"][row].pop(key)
    original = load_text(text, "original")
    original["indicators"][row].pop(key, None)
    assert data == original
