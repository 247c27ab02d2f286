"""Evaluation: rounding, methods, not-applicable rules, traces, from YAML cases."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from engine import evaluate
from engine.api import load_ruleset
from engine.errors import EvalrunError
from engine.load import load_text
from engine.model import Rounding
from engine.resolve import build_project
from engine.validate import check_schema
from conftest import REPO

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "scoring.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def ruleset():
    return load_ruleset(REPO, "2025")


def project_yaml(rows, budget="{initial: 100, full_year: 100, executed: 100}", extra=""):
    lines = [
        "project: 测试项目", "department: 测试单位", "fiscal_year: 2025", f"budget: {budget}", "indicators:",
    ]
    for row in rows:
        lines.append("  - " + yaml.safe_dump(row, allow_unicode=True, default_flow_style=True, width=10**6).strip())
    return "\n".join(lines) + "\n" + extra


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
