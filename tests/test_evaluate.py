"""Evaluation: rounding, methods, not-applicable rules, traces, from YAML cases."""
from __future__ import annotations

import time
from decimal import Decimal

import pytest

from engine import evaluate
from engine.api import load_ruleset
from engine.errors import EvalrunError
from engine.files.load import load_text
from engine.model import Rounding
from engine.rules.project import build_project
from engine.files.validate import check_schema
from tests.helpers import REPO
from tests.helpers import CASES, project_yaml

# These tests read evalrun's English messages (--lang en); tests/test_language.py and test_bad_inputs.py check the Chinese default.
pytestmark = pytest.mark.usefixtures("english")



@pytest.fixture(scope="module")
def ruleset():
    return load_ruleset(REPO, "2025")




def score_rows(ruleset, rows, **kw):
    text = project_yaml(rows, **kw)
    data = load_text(text, "case.yaml")
    check_schema(data, "project", "case.yaml")
    return evaluate(ruleset, build_project(data, "case.yaml", ruleset))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_scoring_case(ruleset, case):
    row = {"level1": "产出指标", "level2": "数量指标", "name": "指标", **case["row"]}
    if "error" in case:
        with pytest.raises(EvalrunError) as caught:
            score_rows(ruleset, [row])
        assert case["error"] in str(caught.value)
        assert str(caught.value).startswith("case.yaml:"), "the error names the file and line"
        return
    result = score_rows(ruleset, [row])
    (scored,) = result.rows
    assert scored.score == Decimal(str(case["score"]))
    if "method" in case:
        assert scored.trace.method == case["method"]


@pytest.mark.parametrize("value,places,mode,expected", [
    ("5.5322", 2, "half_up", "5.53"),
    ("2.675", 2, "half_up", "2.68"),
    ("2.665", 2, "half_up", "2.67"),
    ("2.675", 2, "half_even", "2.68"),
    ("2.665", 2, "half_even", "2.66"),
    ("5.539", 2, "truncate", "5.53"),
    ("5.55", 1, "half_up", "5.6"),
    ("95.5", 0, "half_up", "96"),
])
def test_rounding(value, places, mode, expected):
    assert Rounding(places, mode).apply(Decimal(value)) == Decimal(expected)


def test_execution_rate_uses_unrounded_rate(ruleset):
    result = score_rows(ruleset, [{"level1": "产出指标", "level2": "数量指标", "name": "x", "target": "≥1 个",
                                   "actual": "1 个", "weight": 65}],
                        budget="{initial: 990, full_year: 990, executed: 547.6879}")
    assert result.budget_row.actual == "55.32%"
    assert result.budget_row.score == Decimal("5.53")
    assert result.budget_row.trace.raw == Decimal(10) * Decimal("547.6879") / Decimal(990)


def test_execution_above_budget_is_capped_at_the_weight(ruleset):
    result = score_rows(ruleset, [{"level1": "产出指标", "level2": "数量指标", "name": "x", "target": "≥1 个",
                                   "actual": "1 个", "weight": 65}],
                        budget="{initial: 100, full_year: 100, executed: 120}")
    assert result.budget_row.score == 10
    assert [f.check for f in result.findings] == ["execution_over_budget"]


def test_trace_names_formula_inputs_and_their_lines(ruleset):
    result = score_rows(ruleset, [{"level1": "产出指标", "level2": "数量指标", "name": "引进企业",
                                   "target": "≥30 家", "actual": "12 家", "weight": 10}])
    trace = result.rows[0].trace
    assert trace.method == "higher_is_better"
    assert trace.formula.source.file == "rulesets/2025/ruleset.yaml" and trace.formula.source.line > 0
    inputs = {i.name: i for i in trace.inputs}
    assert inputs["target"].value == 30 and inputs["actual"].value == 12 and inputs["weight"].value == 10
    assert inputs["met"].value is False
    assert inputs["actual"].source.file == "case.yaml" and inputs["actual"].source.line == 6
    assert trace.raw == 4 and trace.rounded == 4


def test_group_weights_that_do_not_add_up_are_an_error_finding(ruleset):
    result = score_rows(ruleset, [{"level1": "产出指标", "level2": "数量指标", "name": "x", "target": "≥1 个",
                                   "actual": "1 个", "weight": 60}])
    (finding,) = [f for f in result.findings if f.check == "group_weights"]
    assert finding.severity == "error" and "合计 60" in finding.message and "65 分" in finding.message


# ---------------------------------------------------------------- extreme but valid numbers, through the CLI

REFERENCE = "projects/2025/益阳市商务局/开放型经济发展与三产业发展引导资金.yaml"
RULES = "rulesets/2025/ruleset.yaml"


def _edit(workspace, relative, *changes):
    path = workspace / relative
    text = path.read_text(encoding="utf-8")
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_tiny_budget_with_a_huge_spend_is_one_user_error(reference_workspace, run_cli, jobs):
    _edit(reference_workspace, REFERENCE, ("full_year: 990 ", "full_year: 0.0000000001 "),
          ("executed: 547.6879", "executed: 999999999999999"))
    result = run_cli("--ruleset", "2025", "--json", "--jobs", jobs, workspace=reference_workspace)
    assert result.exit_code == 1, result.output
    (line,) = [line for line in result.stderr.splitlines() if line.strip()]
    assert line.startswith(f"{REFERENCE}:17:3: 预算执行率: the execution rate formula `executed / full_year` failed")
    assert "too large to show as a percentage" in line and f"({RULES}:32:9)" in line


def test_a_rate_formula_scaled_by_a_huge_power_is_one_user_error(reference_workspace, run_cli):
    _edit(reference_workspace, RULES, ("rate: executed / full_year", "rate: executed / full_year * 10 ** 100"))
    result = run_cli("--ruleset", "2025", "--json", workspace=reference_workspace)
    assert result.exit_code == 1, result.output
    assert "`executed / full_year * 10 ** 100` failed" in result.stderr and "internal error" not in result.stderr


def test_a_formula_that_grows_beyond_the_bound_stops_at_once(reference_workspace, run_cli):
    """floor of a power of a power: stopped at 10^999, not computed to a million digits."""
    _edit(reference_workspace, RULES, (
        "formula: weight if met else (weight * max(actual, 0) / target if target > 0 else 0)",
        "formula: min(weight, floor((actual ** 100) ** 100))"))
    started = time.process_time()
    result = run_cli("--ruleset", "2025", "--json", workspace=reference_workspace)
    assert time.process_time() - started < 10
    assert result.exit_code == 1, result.output
    (line,) = [line for line in result.stderr.splitlines() if line.strip()]
    assert line.startswith(f"{REFERENCE}:58:5: `对外承包工程和劳务合作完成营业额`: the formula of `higher_is_better`")
    assert "beyond 10^999" in line and "(with weight=10, actual=7983)" in line and f"({RULES}:60:14)" in line


def test_a_huge_actual_in_the_over_target_check_is_a_finding(reference_workspace, run_cli):
    _edit(reference_workspace, RULES, ("  explain_missed_target: true", "  explain_missed_target: true\n"
                                                                    "  explain_over_target: 1.3"))
    _edit(reference_workspace, REFERENCE, ("target: 7000 万美元以上", "target: 0.0000000001 美元以上"),
          ("actual: 7983 万美元", "actual: 999999999999999 亿美元"))
    result = run_cli("--ruleset", "2025", "--json", workspace=reference_workspace)
    assert result.exit_code == 0, result.output
    assert "为年度指标值“0.0000000001 美元以上”的 999999999999999" in result.stdout
