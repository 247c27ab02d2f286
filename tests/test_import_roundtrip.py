"""Export then import, field by field: every key a project file can hold comes back exactly or stays untouched.

The project tests/cases/roundtrip-project.yaml holds every key the project schema allows (the 其中 rows and
printed values of issue 14 included). Exported and imported unchanged, it is "no change" and the same bytes.
Each cell a department fills in, changed, changes that value only; each approved cell, changed, is refused
at its cell (and taken, alone, with --accept-changes); a cell that cannot be read is refused at its cell; a
key the form does not show is left as the file has it. Every key of the schema is in one of these tables, so
a key added to the schema fails here until the forms know what to do with it.
"""
from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from engine.files.load import load_file
from engine.files.validate import schema_errors
from tests.helpers import REPO, copy_workspace

# These tests read evalrun's English messages (--lang en); tests/test_language.py and test_bad_inputs.py check the Chinese default.
pytestmark = pytest.mark.usefixtures("english")

CASE = Path(__file__).resolve().parent / "cases" / "roundtrip-project.yaml"
DEPARTMENT, PROJECT = "全字段示例单位", "全字段示例项目"
REFUSED = "approved values cannot be changed by a returned form (use --accept-changes to take it)"
GONE = object()  # a key the import removes

# ---------------------------------------------------------------- what the form does with each key
# Paths are generic: "[]" for any item of a list, "*" for any key of a mapping.

FILLABLE = {  # the department fills these in
    ("implementing_unit",), ("budget", "executed"), ("budget", "reported_score"), ("budget", "reported_rate"),
    *(("budget", part, "executed") for part in ("current_appropriation", "carried_over", "other")),
    ("goals", "[]", "achieved"), ("indicators", "[]", "actual"), ("indicators", "[]", "reported_score"),
    ("indicators", "[]", "explanation"), ("indicators", "[]", "parts", "[]", "actual"), ("reported_total",),
    ("reported_grade",),
}
APPROVED = {  # shown, locked in the form, refused when changed unless --accept-changes
    ("budget", "unit"), ("budget", "initial"), ("budget", "full_year"),
    *(("budget", part) for part in ("current_appropriation", "carried_over", "other")),  # a number: 年初预算数
    *(("budget", part, column) for part in ("current_appropriation", "carried_over", "other")
      for column in ("initial", "full_year")),
    ("goals", "[]", "expected"), ("indicators", "[]", "level2"), ("indicators", "[]", "name"),
    ("indicators", "[]", "target"), ("indicators", "[]", "weight"), ("indicators", "[]", "applicable"),
    ("indicators", "[]", "note"), ("indicators", "[]", "parts", "[]", "name"),
    ("indicators", "[]", "parts", "[]", "target"), ("indicators", "[]", "parts", "[]", "weight"),
    ("stated_total",), ("stated_weights", "*"),
}
# shown, and what they change is not a value of this file: tests/test_import_merge.py (a renamed project is
# refused, another department or year is another file; a 一级指标 cell is merged over its group's rows)
IDENTITY = {("project",), ("department",), ("fiscal_year",), ("indicators", "[]", "level1")}
KEPT = {  # not in the form: an import leaves them as the file has them (the edit that shows it)
    ("illustrative",): ("illustrative: true\n", "illustrative: false\n"),
    ("report", "title"): ("  title: 2025 年度", "  title: 2024 年度"),
    ("report", "kind"): ("  kind: 单位自评\n", "  kind: 部门评价\n"),
    ("report", "date"): ("  date: 2026 年 3 月 1 日\n", "  date: 2026 年 4 月 1 日\n"),
    ("report", "organiser"): ("  organiser: 财务科\n", "  organiser: 综合科\n"),
    ("budget", "adjusted"): ("  adjusted: 120 ", "  adjusted: 125 "),
    ("budget", "explanation"): ("  explanation: 尾款待验收后支付\n", "  explanation: 尾款于次年支付\n"),
    ("spending", "[]", "item"): ("{item: 培训费,", "{item: 师资培训费,"),
    ("spending", "[]", "amount"): ("amount: 30}", "amount: 31}"),
    ("indicators", "[]", "method"): ("    method: higher_is_better\n", "    method: lower_is_better\n"),
    ("indicators", "[]", "name_en"): ("    name_en: People trained\n", "    name_en: Trainees\n"),
    ("indicators", "[]", "level"): ("    level: 部分达成并具有一定效果", "    level: 未达成且效果较差"),
    ("reported_subtotals", "*"): ("{产出指标: 58,", "{产出指标: 57,"),
    ("deductions", "[]", "reason"): ("reason: 资料报送延迟", "reason: 资料报送不及时"),
    ("deductions", "[]", "points"): ("points: 1}", "points: 2}"),
    ("monitoring", "as_of"): ("  as_of: 2025-06-30\n", "  as_of: 2025-07-31\n"),
    ("monitoring", "executed"): ("  executed: 50\n", "  executed: 55\n"),
    ("monitoring", "explanation"): ("  explanation: 培训集中在下半年\n", "  explanation: 培训安排在下半年\n"),
    ("monitoring", "indicators", "[]", "name"): ("{name: 培训人次, actual: 200", "{name: 培训总人次, actual: 200"),
    ("monitoring", "indicators", "[]", "actual"): ("actual: 200 人次,", "actual: 210 人次,"),
    ("monitoring", "indicators", "[]", "forecast"): ("forecast: 520 人次", "forecast: 530 人次"),
    ("monitoring", "indicators", "[]", "likelihood"): ("likelihood: 确定能", "likelihood: 有可能"),
    ("monitoring", "indicators", "[]", "reason"): ("reason: 按计划推进", "reason: 按计划实施"),
    ("narrative", "intro"): ("  intro: 根据有关规定开展自评。\n", "  intro: 依据有关规定开展自评。\n"),
    ("indicators", "[]", "score"): ("    score: 0 ", "    score: 1 "),
    ("indicators", "[]", "reason"): ("reason: 评价组认定不适用", "reason: 评价组认定为不适用"),
    ("declaration", "continuing"): ("  continuing: true\n", "  continuing: false\n"),
    ("declaration", "goals", "long_term", "[]"): ("[三年内培训 1500 人次]", "[三年内培训 1600 人次]"),
    ("declaration", "goals", "annual", "[]"): ("[全年培训 500 人次]", "[全年培训 520 人次]"),
    ("declaration", "budget", "amount"): ("{amount: 120,", "{amount: 125,"),
    ("declaration", "budget", "unit"): ("unit: 万元}", "unit: 元}"),
    ("declaration", "indicators", "[]", "level1"): ("{level1: 产出指标, level2: 数量指标, name: 申报", "{level1: 效益指标, level2: 数量指标, name: 申报"),
    ("declaration", "indicators", "[]", "level2"): ("level2: 数量指标, name: 申报", "level2: 质量指标, name: 申报"),
    ("declaration", "indicators", "[]", "name"): ("name: 申报培训人次", "name: 申报培训总人次"),
    ("declaration", "indicators", "[]", "target"): ("target: ≥500 人次, weight: 40", "target: ≥520 人次, weight: 40"),
    ("declaration", "indicators", "[]", "weight"): ("weight: 40, basis", "weight: 45, basis"),
    ("declaration", "indicators", "[]", "basis"): ("basis: 年度培训计划", "basis: 年度培训工作计划"),
    ("evaluation", "evaluators", "[]"): ("[评价组甲]", "[评价组乙]"),
    ("evaluation", "date"): ("  date: 2026-05-20\n", "  date: 2026-05-21\n"),
    ("evaluation", "conclusion"): ("  conclusion: 总体良好\n", "  conclusion: 总体较好\n"),
    ("evaluation", "scores", "[]", "name"): ("{name: 立项依据充分性,", "{name: 立项程序规范性,"),
    ("evaluation", "scores", "[]", "score"): ("score: 3, reason: 依据充分", "score: 2, reason: 依据充分"),
    ("evaluation", "scores", "[]", "reason"): ("reason: 依据充分}", "reason: 依据较充分}"),
    ("evaluation", "scores", "[]", "applicable"): ("{name: 生态效益, applicable: false,", "{name: 生态效益, applicable: true,"),
    ("evaluation", "scores", "[]", "note"): ("note: 无生态效益目标}", "note: 没有生态效益目标}"),
    **{("narrative", key, "[]"): (f"  {key}:\n    - {text}\n", f"  {key}:\n    - {text}（修改）\n")
       for key, text in (("overview", "项目概况。"), ("evaluation_work", "评价工作开展情况。"),
                         ("execution", "预算执行情况。"), ("outputs_and_benefits", "产出和效益情况。"),
                         ("application", "评价结果用于下年预算安排。"))},
    ("narrative", "problems", "[]", "heading"): ("heading: 进度方面", "heading: 进度问题"),
    ("narrative", "problems", "[]", "text"): ("text: 部分培训推迟。", "text: 两期培训推迟。"),
    ("narrative", "improvements", "[]", "heading"): ("heading: 计划方面", "heading: 计划安排"),
    ("narrative", "improvements", "[]", "text"): ("text: 提前安排培训计划。", "text: 提早安排培训计划。"),
}

# (cell, what the department writes, the values of the file that change: path -> new value, or GONE)
FILLED = [
    ("G3", "培训科", {("implementing_unit",): "培训科"}),
    ("F5", 111, {("budget", "executed"): 111}),
    ("H5", "90%", {("budget", "reported_rate"): "90%"}),
    ("I5", 9, {("budget", "reported_score"): 9}),
    ("F6", 100, {("budget", "current_appropriation", "executed"): 100}),
    ("F7", 3, {("budget", "carried_over"): GONE, ("budget", "carried_over", "initial"): 20,
               ("budget", "carried_over", "executed"): 3}),  # a number becomes the columns it has
    ("F8", 6, {("budget", "other", "executed"): 6}),
    ("F8", None, {("budget", "other", "executed"): GONE}),
    ("F10", "1.培训 530 人次\n2.学员满意度 95%", {("goals", 0, "achieved"): "培训 530 人次"}),
    ("F12", "530 人次", {("indicators", 0, "actual"): "530 人次"}),
    ("H12", 39, {("indicators", 0, "reported_score"): 39}),
    ("I12", None, {("indicators", 0, "explanation"): GONE}),
    ("F13", "330 人次", {("indicators", 0, "parts", 0, "actual"): "330 人次"}),  # written in { }
    ("F14", "210 人次", {("indicators", 0, "parts", 1, "actual"): "210 人次"}),  # written as a block
    ("H19", 93, {("reported_total",): 93}),
    ("A20", "评价等级：良", {("reported_grade",): "良"}),
    ("A20", "评价等级：", {("reported_grade",): GONE}),
]
CHANGED_APPROVED = [
    ("A4", "项目资金（元）", {("budget", "unit"): "元"}),
    ("D5", 101, {("budget", "initial"): 101}),
    ("E5", 121, {("budget", "full_year"): 121}),
    ("D6", 81, {("budget", "current_appropriation", "initial"): 81}),
    ("E6", 111, {("budget", "current_appropriation", "full_year"): 111}),
    ("D7", 21, {("budget", "carried_over"): 21}),
    ("E7", 5, {("budget", "carried_over"): GONE, ("budget", "carried_over", "initial"): 20,
               ("budget", "carried_over", "full_year"): 5}),
    ("E8", 11, {("budget", "other", "full_year"): 11}),
    ("B10", "1.培训 600 人次\n2.学员满意度 90% 以上", {("goals", 0, "expected"): "培训 600 人次"}),
    ("B12", "产出指标（70分）", {("stated_weights", "产出指标"): 70}),
    ("C15", "质量指标", {("indicators", 1, "level2"): "质量指标"}),
    ("D12", "培训总人次", {("indicators", 0, "name"): "培训总人次"}),
    ("E12", "≥510 人次", {("indicators", 0, "target"): "≥510 人次"}),
    ("G12", 41, {("indicators", 0, "weight"): 41}),
    ("D13", "其中：网络培训", {("indicators", 0, "parts", 0, "name"): "网络培训"}),
    ("E13", "≥310 人次", {("indicators", 0, "parts", 0, "target"): "≥310 人次"}),
    ("G14", 16, {("indicators", 0, "parts", 1, "weight"): 16}),
    ("F16", "不适用", {("indicators", 2, "applicable"): False, ("indicators", 2, "note"): "不适用"}),
    ("D17", "不涉及", {("indicators", 3, "note"): "不涉及"}),
    ("G19", 90, {("stated_total",): 90}),
]
UNREADABLE = [
    ("F6", "一百", "cannot read 其中：当年财政拨款 全年执行数 `一百` as a number"),
    ("H5", "九成", "cannot read 执行率 `九成` as a number"),
    ("F13", "≥", "实际完成值"),
    ("G14", "十五", "cannot read 分值 of 其中：线下培训 `十五` as a number"),
    ("H13", 25, "a 其中 row has no 自评得分 of its own"),
    ("I14", "已完成", "a 其中 row has no 偏差原因分析及改进措施 of its own"),
    ("D13", "其中：", "the 其中 row has no name"),
    ("G19", "满分", "cannot read 总分 分值 `满分` as a number"),
]


# ---------------------------------------------------------------- helpers


def generic(path: tuple) -> tuple:
    return tuple("[]" if isinstance(p, int) else p for p in path)


def flat(value, path: tuple = ()) -> dict:
    """Every leaf of loaded YAML by its path; numbers as Decimal, so that 20 and 20.0 compare equal."""
    if isinstance(value, dict):
        return {k: v for key, item in value.items() for k, v in flat(item, path + (key,)).items()}
    if isinstance(value, list):
        return {k: v for index, item in enumerate(value) for k, v in flat(item, path + (index,)).items()}
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        value = Decimal(value)
    return {path: value}


def schema_paths(node: dict, defs: dict, path: tuple = ()) -> set:
    """Every key path the project schema allows, generic; a node that may be a single value is a path too."""
    if "$ref" in node:
        return schema_paths(defs[node["$ref"].rsplit("/", 1)[1]], defs, path)
    types = node.get("type", [])
    types = [types] if isinstance(types, str) else types
    found = {path} if path and (not types or set(types) - {"object", "array"}) else set()  # `enum`: a value
    if "items" in node:
        found |= schema_paths(node["items"], defs, path + ("[]",))
    for key, child in node.get("properties", {}).items():
        found |= schema_paths(child, defs, path + (key,))
    if isinstance(node.get("additionalProperties"), dict):
        found |= schema_paths(node["additionalProperties"], defs, path + ("*",))
    return found


def with_mapping_keys(path: tuple) -> tuple:
    """A generic path with the keys of stated_weights and reported_subtotals as "*"."""
    return tuple("*" if index and path[index - 1] in ("stated_weights", "reported_subtotals") else part
                 for index, part in enumerate(path))


FUND_PARTS = ("current_appropriation", "carried_over", "other")


def any_fund_part(paths) -> set:
    """The three 其中 rows of 年度资金总额 are alike (fund_part in the schema): one stands for all."""
    return {tuple("<fund part>" if p in FUND_PARTS else p for p in path) for path in paths}


SCHEMA = json.loads((REPO / "schemas" / "project.schema.json").read_text("utf-8"))
ALL_KEYS = schema_paths(SCHEMA, SCHEMA["$defs"])


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    """A workspace holding the case project, and the form `evalrun export` wrote for it (made once)."""
    from click.testing import CliRunner

    from engine.cli import cli

    workspace = copy_workspace(tmp_path_factory.mktemp("roundtrip") / "ws", projects=False)
    target = workspace / "projects" / "2025" / DEPARTMENT / f"{PROJECT}.yaml"
    target.parent.mkdir(parents=True)
    shutil.copy(CASE, target)
    result = CliRunner().invoke(cli, ["export", "--ruleset", "2025", "--output", str(workspace / "forms"),
                                      "--workspace", str(workspace)])
    assert result.exit_code == 0, result.output
    return workspace


@pytest.fixture
def case(exported, tmp_path) -> Path:
    """A private copy of that workspace."""
    return Path(shutil.copytree(exported, tmp_path / "ws"))


def project_file(workspace: Path) -> Path:
    return workspace / "projects" / "2025" / DEPARTMENT / f"{PROJECT}.yaml"


def returned(workspace: Path, cells: dict) -> Path:
    """The exported form with ``cells`` written, as Excel saves it."""
    wb = openpyxl.load_workbook(workspace / "forms" / f"{DEPARTMENT}.xlsx")
    for ref, value in cells.items():
        wb.active[ref] = value
    path = workspace / "forms" / "returned.xlsx"
    wb.save(path)
    return path


def changed_values(before: Path | bytes, after: Path) -> dict:
    old = flat(load_file(before) if isinstance(before, Path) else before)
    new = flat(load_file(after))
    return {path: new.get(path, GONE) for path in old.keys() | new.keys() if old.get(path, GONE) != new.get(path, GONE)}


def expected(changes: dict) -> dict:
    return {path: Decimal(v) if isinstance(v, int) and not isinstance(v, bool) else v for path, v in changes.items()}


def comments(text: str) -> list:
    return [line[line.index("#"):] for line in text.splitlines() if "#" in line]


# ---------------------------------------------------------------- the tables cover the schema


def test_every_key_of_the_project_schema_is_either_shown_or_kept():
    tables = FILLABLE | APPROVED | IDENTITY | set(KEPT)
    assert sorted(ALL_KEYS - tables) == [], "a key the forms do not know: say whether the form shows it"
    assert sorted(tables - ALL_KEYS) == []
    assert not (FILLABLE & APPROVED) and not ((FILLABLE | APPROVED) & set(KEPT))


def test_the_case_project_holds_every_key_of_the_schema():
    data = load_file(CASE)
    assert schema_errors(data, "project", CASE.name) == []
    held = {with_mapping_keys(generic(path[:n])) for path in flat(data) for n in range(1, len(path) + 1)}
    assert sorted(any_fund_part(ALL_KEYS) - any_fund_part(held)) == []


def test_every_shown_key_has_a_changed_cell_here():
    changed = {with_mapping_keys(generic(path)) for _, _, changes in FILLED + CHANGED_APPROVED for path in changes}
    assert sorted(any_fund_part(FILLABLE | APPROVED) - any_fund_part(changed)) == []
    assert {with_mapping_keys(generic(p)) for _, _, c in FILLED for p in c} <= FILLABLE | APPROVED


# ---------------------------------------------------------------- the round trip


def test_an_unchanged_form_is_no_change_and_the_same_bytes(run_cli, case):
    before = project_file(case).read_bytes()
    result = run_cli("import", str(case / "forms" / f"{DEPARTMENT}.xlsx"), "--force", workspace=case)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (f"projects/2025/{DEPARTMENT}/{PROJECT}.yaml: no change (the form holds the file's "
                             "values)\n")
    assert project_file(case).read_bytes() == before == CASE.read_bytes()


@pytest.mark.parametrize("cell, value, changes", FILLED, ids=[f"{c}={v}" for c, v, _ in FILLED])
def test_a_filled_cell_changes_that_value_only(run_cli, case, cell, value, changes):
    path = project_file(case)
    before = path.read_bytes()
    result = run_cli("import", str(returned(case, {cell: value})), "--force", workspace=case)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"projects/2025/{DEPARTMENT}/{PROJECT}.yaml: 1 change from sheet {PROJECT}", lines
    assert lines[-1] == f"updated projects/2025/{DEPARTMENT}/{PROJECT}.yaml" and len(lines) == 3
    assert changed_values(load_file(CASE), path) == expected(changes)
    text = path.read_text("utf-8")
    assert comments(text) == comments(before.decode("utf-8"))  # every comment kept, in its place
    assert schema_errors(load_file(path), "project", path.name) == []
    # the form exported from the updated file imports as no change
    assert run_cli("export", "--ruleset", "2025", "--output", str(case / "again"), workspace=case).exit_code == 0
    result = run_cli("import", str(case / "again" / f"{DEPARTMENT}.xlsx"), "--force", workspace=case)
    assert result.stdout.endswith("no change (the form holds the file's values)\n"), result.stdout + result.stderr
    assert path.read_text("utf-8") == text


@pytest.mark.parametrize("cell, value, changes", CHANGED_APPROVED, ids=[f"{c}={v}" for c, v, _ in CHANGED_APPROVED])
def test_a_changed_approved_cell_is_refused_there_and_taken_alone_when_accepted(run_cli, case, cell, value, changes):
    path = project_file(case)
    before = path.read_bytes()
    form = returned(case, {cell: value})
    result = run_cli("import", str(form), "--force", workspace=case)
    assert result.exit_code == 1
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"returned.xlsx!{PROJECT}!{cell}: ") and first.endswith(REFUSED), result.stderr
    assert path.read_bytes() == before
    result = run_cli("import", str(form), "--force", "--accept-changes", workspace=case)
    assert result.exit_code == 0, result.stderr
    assert changed_values(load_file(CASE), path) == expected(changes)
    assert comments(path.read_text("utf-8")) == comments(before.decode("utf-8"))
    assert schema_errors(load_file(path), "project", path.name) == []


@pytest.mark.parametrize("cell, value, message", UNREADABLE, ids=[f"{c}={v}" for c, v, _ in UNREADABLE])
def test_a_cell_that_cannot_be_read_is_refused_at_that_cell(run_cli, case, cell, value, message):
    before = project_file(case).read_bytes()
    result = run_cli("import", str(returned(case, {cell: value})), "--force", workspace=case)
    assert result.exit_code == 1, result.stdout
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"returned.xlsx!{PROJECT}!{cell}: ") and message in first, result.stderr
    assert "internal error" not in result.stderr
    assert project_file(case).read_bytes() == before


@pytest.mark.parametrize("key", sorted(KEPT), ids=[".".join(k) for k in sorted(KEPT)])
def test_a_key_the_form_does_not_show_is_kept_as_the_file_has_it(run_cli, case, key):
    path = project_file(case)
    old, new = KEPT[key]
    text = path.read_text("utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), "utf-8")
    edited = path.read_bytes()
    assert {with_mapping_keys(generic(p)) for p in changed_values(load_file(CASE), path)} == {key}
    # the form exported before the edit does not carry the key: importing it leaves the file as edited
    result = run_cli("import", str(case / "forms" / f"{DEPARTMENT}.xlsx"), "--force", workspace=case)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.endswith("no change (the form holds the file's values)\n"), result.stdout
    assert path.read_bytes() == edited


def test_a_new_file_from_the_form_holds_every_value_the_form_shows(run_cli, case, tmp_path):
    fresh = copy_workspace(tmp_path / "fresh", projects=False)
    result = run_cli("import", str(case / "forms" / f"{DEPARTMENT}.xlsx"), workspace=fresh)
    assert result.exit_code == 0, result.stderr
    path = project_file(fresh)
    shown = FILLABLE | APPROVED | IDENTITY
    old = {p: v for p, v in flat(load_file(CASE)).items() if with_mapping_keys(generic(p)) in shown}
    assert old.pop(("stated_total",)) == 100  # what a table that states nothing means: not written
    new = flat(load_file(path))
    # numbers the form writes as text (a 其中 row's target) come back as text; all else exactly
    assert {p: str(v) for p, v in new.items() if p in old} == {p: str(v) for p, v in old.items()}
    assert set(new) - set(old) == set()
    # and that file round-trips too, once given the level the form has no column for (as import warns)
    assert "the form has no column for the level" in result.stderr
    path.write_text(path.read_text("utf-8").replace("    actual: 12月\n", "    actual: 12月\n    level: 部分达成并具有一定效果\n"),
                    "utf-8")
    assert run_cli("export", "--ruleset", "2025", "--output", str(fresh / "forms"), workspace=fresh).exit_code == 0
    before = path.read_bytes()
    result = run_cli("import", str(fresh / "forms" / f"{DEPARTMENT}.xlsx"), "--force", workspace=fresh)
    assert result.stdout.endswith("no change (the form holds the file's values)\n"), result.stdout + result.stderr
    assert path.read_bytes() == before


def test_only_the_cells_a_department_fills_are_unlocked(exported):
    ws = openpyxl.load_workbook(exported / "forms" / f"{DEPARTMENT}.xlsx").active
    unlocked = ["F5", "H5", "F6", "F7", "F8", "F12", "F13", "F14", "H12", "I12", "H19", "A20"]
    locked = ["D6", "E6", "D7", "E8", "D13", "E13", "G13", "H13", "I13", "H14", "I14", "G19"]
    assert [ref for ref in unlocked if ws[ref].protection.locked] == []
    assert [ref for ref in locked if not ws[ref].protection.locked] == []


def test_a_blank_form_leaves_the_fund_parts_executed_empty(run_cli, case):
    assert run_cli("export", "--ruleset", "2025", "--blank", "--output", str(case / "blank"), workspace=case).exit_code == 0
    ws = openpyxl.load_workbook(case / "blank" / f"{DEPARTMENT}.xlsx").active
    assert [ws[ref].value for ref in ("D6", "E6", "F6", "F8", "E13", "F13", "H5", "A20")] == [
        80, 110, None, None, "≥300 人次", None, None, "评价等级："]


def test_a_rate_written_as_a_number_stays_a_number(run_cli, case):
    path = project_file(case)
    path.write_text(path.read_text("utf-8").replace("  reported_rate: 91.67%\n", "  reported_rate: 91.67\n"), "utf-8")
    assert run_cli("export", "--ruleset", "2025", "--output", str(case / "forms"), workspace=case).exit_code == 0
    result = run_cli("import", str(case / "forms" / f"{DEPARTMENT}.xlsx"), "--force", workspace=case)
    assert result.stdout.endswith("no change (the form holds the file's values)\n"), result.stdout + result.stderr
    result = run_cli("import", str(returned(case, {"H5": 0.9})), "--force", workspace=case)
    assert result.exit_code == 0, result.stderr
    assert "  执行率: 91.67% → 90%" in result.stdout.splitlines()
    assert "  reported_rate: 90\n" in path.read_text("utf-8")


def test_a_rate_the_file_does_not_record_is_compared_with_the_rate_computed(run_cli, case):
    path = project_file(case)
    path.write_text(path.read_text("utf-8").replace("  reported_rate: 91.67%\n", ""), "utf-8")
    assert run_cli("export", "--ruleset", "2025", "--output", str(case / "forms"), workspace=case).exit_code == 0
    assert openpyxl.load_workbook(case / "forms" / f"{DEPARTMENT}.xlsx").active["H5"].value == 0.9167  # 110 / 120
    result = run_cli("import", str(case / "forms" / f"{DEPARTMENT}.xlsx"), "--force", workspace=case)
    assert result.stdout.endswith("no change (the form holds the file's values)\n"), result.stdout + result.stderr
    result = run_cli("import", str(returned(case, {"H5": "92%"})), "--force", workspace=case)
    assert result.exit_code == 0, result.stderr
    assert "  执行率: 91.67% → 92%" in result.stdout.splitlines()
    assert "  reported_rate: 92%\n" in path.read_text("utf-8")


def test_a_grade_in_the_cell_right_of_its_label_is_read(run_cli, case):
    wb = openpyxl.load_workbook(case / "forms" / f"{DEPARTMENT}.xlsx")
    ws = wb.active
    ws.unmerge_cells("A20:I20")
    ws["A20"], ws["B20"] = "评价等级", "良"
    wb.save(case / "forms" / "returned.xlsx")
    result = run_cli("import", str(case / "forms" / "returned.xlsx"), "--force", workspace=case)
    assert result.exit_code == 0, result.stderr
    assert "  评价等级: 优 → 良" in result.stdout.splitlines()
    assert changed_values(load_file(CASE), project_file(case)) == {("reported_grade",): "良"}


def test_a_total_label_merged_over_the_weight_column_states_no_total(run_cli, case):
    wb = openpyxl.load_workbook(case / "forms" / f"{DEPARTMENT}.xlsx")
    ws = wb.active
    ws.unmerge_cells("A19:F19")
    ws["G19"] = None
    ws.merge_cells("A19:G19")
    wb.save(case / "forms" / "returned.xlsx")
    before = project_file(case).read_bytes()
    result = run_cli("import", str(case / "forms" / "returned.xlsx"), "--force", workspace=case)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.endswith("no change (the form holds the file's values)\n"), result.stdout
    assert project_file(case).read_bytes() == before
