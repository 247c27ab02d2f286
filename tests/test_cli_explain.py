"""`evalrun explain`: how each score was computed, and what it says about a wrong name."""
from __future__ import annotations

import re

from tests.helpers import REFERENCE_PROJECT


def test_explain_shows_formula_inputs_and_sources(run_cli, workspace):
    result = run_cli("explain", "--ruleset", "2025", "--project", REFERENCE_PROJECT,
                     "--indicator", "预算执行率", workspace=workspace)
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert "公式 weight * min(rate, 1)" in text
    assert "executed = 547.6879" in text and "full_year = 990" in text
    assert re.search(r"rulesets/2025/ruleset\.yaml:\d+", text)
    assert re.search(r"projects/2025/益阳市商务局/.+\.yaml:\d+", text)
    assert "→ 5.53" in text


def test_explain_whole_project_ends_with_total_and_grade(run_cli, workspace):
    result = run_cli("explain", "--ruleset", "2025", "--project", REFERENCE_PROJECT, workspace=workspace)
    assert result.exit_code == 0
    assert "总分 = 预算执行率 5.53 + 产出指标 65 + 效益指标 15 + 满意度指标 10 = 95.53" in result.stdout
    assert "等级 优" in result.stdout


def test_explain_unknown_project_suggests(run_cli, workspace):
    result = run_cli("explain", "--ruleset", "2025", "--project", "开放型经济发展", workspace=workspace)
    assert result.exit_code == 2
    assert "2025 财政年度没有项目 `开放型经济发展`" in result.stderr  # Chinese, evalrun's default


def test_explain_unknown_indicator(run_cli, workspace):
    result = run_cli("explain", "--ruleset", "2025", "--project", REFERENCE_PROJECT,
                     "--indicator", "群众满意", workspace=workspace)
    assert result.exit_code == 2
    assert "没有指标 `群众满意`（是否想写 `群众满意度`？）" in result.stderr
