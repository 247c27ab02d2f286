"""The monitoring kind (双监控, issue 18): as-of date, 时间进度, variables, level tables, the 预警 list."""
from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from engine.api import find_project, load_ruleset
from engine.errors import EvalrunError
from engine.scoring.measures import time_progress
from engine.tools.ruletests import run_cases


@pytest.mark.parametrize("day,basis,expected", [
    ("2025-06-30", "month", Decimal("0.5")), ("2025-06-29", "month", Decimal(5) / 12),
    ("2025-06-30", "day", Decimal(181) / 365), ("2025-12-31", "month", Decimal(1)),
])
def test_time_progress_by_month_or_day(day, basis, expected):
    assert time_progress(datetime.date.fromisoformat(day), 2025, basis) == expected


def test_the_project_behind_time_progress_is_red_and_listed(workspace, run_cli):
    result = find_project(workspace, "monitoring-2025", "高标准农田建设项目")
    assert result.grade == "红" and result.project.budget.executed == Decimal(980)
    assert result.measures.time_progress == Decimal("0.5")
    assert find_project(workspace, "monitoring-2025", "开放型经济发展与三产业发展引导资金").grade == "绿"
    run_cli("--ruleset", "monitoring-2025", "--no-db", workspace=workspace)
    summary = (workspace / "reports" / "out" / "monitoring-2025" / "汇总.md").read_text(encoding="utf-8")
    warnings = summary.split("## 预警清单")[1]
    assert "| 益阳市农业农村局 | 高标准农田建设项目 | 执行预警 | **红** | time_progress - progress_rate = 0.22 |" in warnings
    assert "开放型经济发展与三产业发展引导资金" not in warnings  # on time: not in the 预警 list
    report = next((workspace / "reports" / "out" / "monitoring-2025").glob("益阳市农业农村局/*.md")).read_text("utf-8")
    assert "**执行预警：红**" in report and "| 新建高标准农田面积 | ≥2.5 万亩 | 0.6 万亩 | 24% | 2.3 万亩 | 有可能 | 黄 |" in report


def test_the_self_evaluation_ignores_the_monitoring_section(workspace):
    assert find_project(workspace, "2025", "开放型经济发展与三产业发展引导资金").total == Decimal("95.53")


def test_the_rule_tests_prove_the_thresholds(workspace):
    results = run_cases(workspace, "monitoring-2025")
    assert len(results) == 7 and all(r.passed for r in results)


def test_moving_a_threshold_fails_the_rule_test(workspace):
    path = workspace / "rulesets" / "monitoring-2025" / "ruleset.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("{level: 红, from: 0.2,", "{level: 红, from: 0.25,"),
                    encoding="utf-8")
    failed = [r.name for r in run_cases(workspace, "monitoring-2025") if not r.passed]
    assert "执行进度 30%，正好落后 20 个百分点：红" in failed


@pytest.mark.parametrize("text,message", [
    ("levels:\n  - {name: a, input: rate, rows: [{level: 红, from: 0.2}]}\n", "最后一行不能写 from 或 below"),
    ("levels:\n  - {name: a, input: rate, rows: [{level: 红}, {level: 绿}]}\n", "第 1 行没有 from 或 below"),
    ("levels:\n  - {name: a, input: rat, rows: [{level: 绿}]}\n", "使用了未知的名称 `rat`"),
    ("variables:\n  - {name: x, formula: y}\n", "使用了未知的名称 `y`"),
    ("levels:\n  - {name: a, per: indicator, input: actual, rows: [{level: 绿}]}\ngrade_by: a\n", "grade_by"),
])
def test_mistakes_in_measures_are_refused(workspace, text, message):
    (workspace / "rulesets" / "m").mkdir()
    (workspace / "rulesets" / "m" / "ruleset.yaml").write_text('extends: "2025"\nversion: "m"\n' + text, "utf-8")
    with pytest.raises(EvalrunError) as caught:
        load_ruleset(workspace, "m")
    assert message in str(caught.value) and "rulesets/m/ruleset.yaml:" in str(caught.value)
