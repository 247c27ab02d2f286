"""Findings as a user sees them: the rules' own once per run, at the line that causes them;
a project with an error finding is 未定级, never 优, everywhere it is shown."""
from __future__ import annotations

import json
from pathlib import Path

import openpyxl

from tests.helpers import REFERENCE_FILE, REFERENCE_PROJECT, copy_workspace

OUT = "reports/out/2025"


def write_ruleset(ws: Path, name: str, text: str) -> Path:
    path = ws / "rulesets" / name / "ruleset.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def add_project(ws: Path, department: str, edit=lambda text: text, year: str = "2025") -> Path:
    text = REFERENCE_FILE.read_text(encoding="utf-8").replace("department: 益阳市商务局", f"department: {department}")
    path = ws / "projects" / year / department / REFERENCE_FILE.name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(edit(text), encoding="utf-8")
    return path


def _total_weight_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if "不是 100 分" in line]


# ---------------------------------------------------------------- the rules' own findings


def test_a_changed_weight_is_reported_once_at_the_changed_line(tmp_path, run_cli):
    ws = copy_workspace(tmp_path / "ws", reference_only=True)
    for department in ("甲单位", "乙单位"):
        add_project(ws, department, year="2026", edit=lambda t: t.replace("fiscal_year: 2025", "fiscal_year: 2026"))
    write_ruleset(ws, "2026", 'extends: "2025"\nfiscal_year: 2026\nversion: "2026.1"\n'
                  "framework:\n  - name: 效益指标\n    weight: 20\n")
    for command in (["--ruleset", "2026", "--format", "md"], ["validate", "--ruleset", "2026"],
                    ["review", "--ruleset", "2026"]):
        result = run_cli(*command, workspace=ws)
        assert result.exit_code == 1
        lines = _total_weight_lines(result.output)
        assert len(lines) == 1, (command, lines)
        assert "rulesets/2026/ruleset.yaml:6:13" in lines[0], lines[0]
        assert "合计 105" in lines[0]


def test_in_a_ruleset_of_one_file_the_finding_is_printed_once_too(tmp_path, run_cli):
    ws = copy_workspace(tmp_path / "ws", reference_only=True)
    add_project(ws, "甲单位")
    path = ws / "rulesets/2025/ruleset.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("  - name: 满意度指标\n    weight: 10",
                                                             "  - name: 满意度指标\n    weight: 12"), encoding="utf-8")
    result = run_cli("--ruleset", "2025", "--format", "md", workspace=ws)
    assert result.exit_code == 1
    lines = _total_weight_lines(result.stderr)
    assert len(lines) == 1 and lines[0].startswith("rulesets/2025/ruleset.yaml:"), lines
    assert "错误：各项分值（预算执行率 10 + 产出指标 65 + 效益指标 15 + 满意度指标 12）合计 102，不是 100 分" in lines[0]


def test_a_department_variant_that_breaks_the_weights_is_pointed_at(tmp_path, run_cli):
    ws = copy_workspace(tmp_path / "ws", reference_only=True)
    add_project(ws, "甲单位")
    (ws / "rulesets/2025/departments/甲单位.yaml").write_text(
        "budget_execution:\n  weight: 15\n", encoding="utf-8")
    result = run_cli("--ruleset", "2025", "--format", "md", workspace=ws)
    assert result.exit_code == 1
    lines = _total_weight_lines(result.stderr)
    assert len(lines) == 1 and lines[0].startswith("rulesets/2025/departments/甲单位.yaml:2:11:"), lines
    table = {line.split()[0]: line for line in result.stdout.splitlines() if "单位" in line or "商务局" in line}
    assert "未定级" in table["甲单位"] and "优" in table["益阳市商务局"]


# ---------------------------------------------------------------- 未定级


def _over_budget(text: str) -> str:
    return text.replace("executed: 547.6879", "executed: 1200")


def test_a_project_with_an_error_finding_is_not_graded_anywhere(tmp_path, run_cli):
    ws = copy_workspace(tmp_path / "ws", reference_only=True)
    add_project(ws, "甲单位", _over_budget)  # 全年执行数 over 全年预算数: an error in the 2025 rules
    result = run_cli("--ruleset", "2025", workspace=ws)
    assert result.exit_code == 1
    row = next(line for line in result.stdout.splitlines() if line.startswith("甲单位"))
    assert "未定级" in row and "优" not in row and "1 条错误" in row
    assert "错误：全年执行数 1200 万元 超过全年预算数 990 万元" in result.stderr
    assert not (ws / OUT / "甲单位").exists(), "its report is not written"

    md = (ws / OUT / "汇总.md").read_text(encoding="utf-8")
    line = next(line for line in md.splitlines() if "| 甲单位 |" in line)
    assert "| 未定级 | 错误：全年执行数 1200 万元 超过全年预算数 990 万元" in line
    assert "其中 1 个未定级" in md
    assert "| 优（≥90） | 1 | 50% |" in md and "| 未定级 | 1 | 50% |" in md
    html = (ws / OUT / "汇总.html").read_text(encoding="utf-8")
    assert '<td class="failed">未定级</td>' in html
    sheet = openpyxl.load_workbook(ws / OUT / "汇总.xlsx")["汇总"]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert any(r[1] == "甲单位" and r[7] == "未定级" for r in values)
    distribution = {r[0]: r[2] for r in values if r[0] in ("优", "良", "中", "差", "未定级")}
    assert distribution == {"优": 1, "良": 0, "中": 0, "差": 0, "未定级": 1}


def test_json_review_and_explain_show_the_project_as_not_graded(tmp_path, run_cli):
    ws = copy_workspace(tmp_path / "ws", reference_only=True)
    add_project(ws, "甲单位", _over_budget)
    result = run_cli("--ruleset", "2025", "--json", workspace=ws)
    assert result.exit_code == 1
    grades = {p["department"]: p["grade"] for p in json.loads(result.stdout)["projects"]}
    assert grades == {"甲单位": "未定级", "益阳市商务局": "优"}
    review = run_cli("review", "--ruleset", "2025", workspace=ws)
    assert review.exit_code == 1
    assert "（未定级，因有规则标为错误的审核意见）" in review.stdout
    explained = run_cli("explain", "--ruleset", "2025", "--project", str(ws / "projects/2025/甲单位" / REFERENCE_FILE.name)
                        .split("/ws/")[1], workspace=ws)
    assert explained.exit_code == 0, explained.output
    assert "等级 未定级：有规则标为错误的审核意见" in explained.stdout


def test_a_warning_does_not_take_the_grade(tmp_path, run_cli):
    ws = copy_workspace(tmp_path / "ws", projects=False)
    add_project(ws, "甲单位", lambda t: t.replace("executed: 547.6879", "executed: 547.6878"))
    result = run_cli("--ruleset", "2025", "--json", workspace=ws)
    assert result.exit_code == 0
    (project,) = json.loads(result.stdout)["projects"]
    assert project["project"] == REFERENCE_PROJECT and project["grade"] == "优"
    # spending lines off by 0.0001, and the two rows whose actual repeats the target (as in the reference)
    assert [(f["check"], f["severity"]) for f in project["findings"]] == [
        ("spending_total", "warning"), ("repeated_target", "warning"), ("repeated_target", "warning")]



def test_a_run_whose_only_project_is_not_graded_writes_nothing(tmp_path, run_cli):
    """Nothing is replaced by a run that made no report: an earlier 汇总 and report stay as they were."""
    ws = copy_workspace(tmp_path / "ws", projects=False)
    add_project(ws, "甲单位", _over_budget)
    result = run_cli("--ruleset", "2025", "--format", "md", workspace=ws)
    assert result.exit_code == 1 and "未定级" in result.stdout
    assert not [p for p in (ws / "reports").rglob("*") if p.is_file() and "templates" not in p.parts]
