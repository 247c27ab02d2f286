"""Golden tests: the bundled example reproduces the published 自评表 number for number."""
from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path

import pytest

from engine import RunOptions, run
from tests.helpers import REFERENCE_PROJECT, copy_workspace
from tests.helpers import REFERENCE_ROWS

GOLDEN = Path(__file__).parent / "golden" / "reference_report.md"

# Every number of the reference table: (三级指标, 分值, 自评得分).


@pytest.fixture(scope="module")
def reference_result(tmp_path_factory):
    workspace = copy_workspace(tmp_path_factory.mktemp("reference") / "ws", reference_only=True)
    outcome = run(RunOptions(ruleset="2025", workspace=workspace, write_reports=False))
    (result,) = [r for r in outcome.results if r.project.name == REFERENCE_PROJECT]
    return result


def test_reference_total_and_grade(reference_result):
    assert reference_result.total == Decimal("95.53")
    assert reference_result.grade == "优"
    assert reference_result.max_total == 100


def test_reference_execution_rate(reference_result):
    assert reference_result.budget_row.actual == "55.32%"
    assert reference_result.budget_row.score == Decimal("5.53")


def test_reference_rows(reference_result):
    scored = [(r.name, r.weight, r.score) for r in reference_result.all_rows if r.applicable]
    assert scored == [(n, Decimal(w), Decimal(s)) for n, w, s in REFERENCE_ROWS]


def test_reference_group_scores(reference_result):
    assert [(g.name, g.score) for g in reference_result.groups] == [
        ("产出指标", 65), ("效益指标", 15), ("满意度指标", 10)]


def test_reference_not_applicable_rows_carry_no_score(reference_result):
    dropped = [(r.level2, r.note) for r in reference_result.rows if not r.applicable]
    assert dropped == [("生态效益指标", "不适应"), ("可持续影响指标", "不适应")]
    assert all(r.score is None for r in reference_result.rows if not r.applicable)


def test_reference_findings_are_only_the_repeated_targets(reference_result):
    # The published table writes the target again as the actual in two rows (issue 14): each is
    # a warning on its own line, and the rows still count as met (targets.repeated_actual: met).
    assert [(f.check, f.severity, f.source.line) for f in reference_result.findings] == [
        ("repeated_target", "warning", 104), ("repeated_target", "warning", 133)]
    assert "“资金使用额”实际完成值“≤990 万元”照抄年度指标值“≤990 万元”" in reference_result.findings[0].message
    assert "群众满意度" in reference_result.findings[1].message
    assert reference_result.total == Decimal("95.53")


def test_cli_summary_shows_reference_total(run_cli, workspace):
    result = run_cli("--ruleset", "2025", workspace=workspace)
    assert result.exit_code == 0, result.output
    assert "95.53" in result.stdout and "优" in result.stdout
    assert (workspace / "reports/out/2025/益阳市商务局" / f"{REFERENCE_PROJECT}.md").is_file()


def test_json_output_holds_every_reference_number(run_cli, workspace):
    result = run_cli("--ruleset", "2025", "--json", workspace=workspace)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data["ruleset"]) == {"id", "version", "sha256"}
    (project,) = [p for p in data["projects"] if p["project"] == REFERENCE_PROJECT]
    assert project["total"] == 95.53 and project["grade"] == "优"
    rows = {r["name"]: r for r in project["indicators"]}
    assert rows["预算执行率"]["score"] == 5.53 and rows["预算执行率"]["actual"] == "55.32%"
    for name, weight, score in REFERENCE_ROWS:
        assert rows[name]["weight"] == weight and rows[name]["score"] == float(score), name
    for row in project["indicators"]:
        assert set(row) >= {"level1", "level2", "name", "weight", "target", "actual", "score", "applicable"}
    assert not (workspace / "reports" / "out").exists(), "--json writes no reports"


def test_rendered_report_matches_golden(workspace):
    run(RunOptions(ruleset="2025", workspace=workspace))
    text = (workspace / "reports/out/2025/益阳市商务局" / f"{REFERENCE_PROJECT}.md").read_text(encoding="utf-8")
    if os.environ.get("EVALRUN_REGENERATE_GOLDEN"):
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8"), (
        "the rendered report changed; if on purpose, regenerate with EVALRUN_REGENERATE_GOLDEN=1 pytest "
        "and review `git diff tests/golden`")


def test_report_has_the_reference_structure():
    text = GOLDEN.read_text(encoding="utf-8")
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings == [
        "## 一、项目基本情况", "## 二、部门评价工作开展情况", "## 三、绩效评价指标分析",
        "## 四、存在的问题和改进措施", "## 五、部门评价结果拟应用和公开情况", "## 2025 年度项目支出绩效自评表",
    ]
    assert "| 年度资金总额 | 990 | 990 | 547.6879 | 10 | 55.32% | 5.53 |" in text
    assert "| 总分 | | | | | 100 | 95.53 | |" in text
