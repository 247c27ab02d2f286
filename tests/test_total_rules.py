"""Rules on the total (issue 18): a ruleset caps or sets the total by a rule, shown like any other rule."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest

from engine.api import find_project, load_ruleset
from engine.errors import EvalrunError
from engine.tools.explain import explain
from tests.helpers import REFERENCE_PROJECT


def with_rules(workspace, text: str, name: str = "t"):
    (workspace / "rulesets" / name).mkdir()
    (workspace / "rulesets" / name / "ruleset.yaml").write_text(
        f'extends: "2025"\nversion: "{name}.1"\n' + text, encoding="utf-8")
    return name


CAP = "use: [totals/execution-below-60-cap-69]\n"


def test_low_execution_caps_the_total_and_the_grade_follows(reference_workspace):
    result = find_project(reference_workspace, with_rules(reference_workspace, CAP), REFERENCE_PROJECT)
    assert result.execution_rate < Decimal("0.6")
    assert (result.total, result.grade) == (Decimal(69), "中")
    [adjustment] = result.adjustments
    assert (adjustment.before, adjustment.after) == (Decimal("95.53"), Decimal(69))


def test_explain_shows_the_rule_its_line_and_its_inputs(reference_workspace):
    text = explain(find_project(reference_workspace, with_rules(reference_workspace, CAP), REFERENCE_PROJECT))
    assert "= 95.53（各项得分相加）" in text  # the sum of the rows, before the rule
    assert "总分规则 执行率低于60%总分封顶   (rulesets/library/totals/execution-below-60-cap-69.yaml:6:10)" in text
    assert "    rate = 0.5532" in text
    assert "总分 95.53 以 69 为上限 → 69" in text
    assert "等级 中：总分 69 ≥ 60" in text


def test_a_set_formula_replaces_the_total_within_its_bounds(reference_workspace):
    name = with_rules(reference_workspace, "total_rules:\n  - {name: 按执行率折算, when: rate < 0.9, set: total * rate}\n")
    result = find_project(reference_workspace, name, REFERENCE_PROJECT)
    assert result.total == Decimal("52.85")  # 95.53 × 0.5532 = 52.847..., rounded as rows are


def test_a_rule_that_does_not_hold_changes_nothing(reference_workspace):
    name = with_rules(reference_workspace, "total_rules:\n  - {name: 执行率过低, when: rate < 0.3, cap: 50}\n")
    result = find_project(reference_workspace, name, REFERENCE_PROJECT)
    assert (result.total, result.grade, result.adjustments) == (Decimal("95.53"), "优", ())


@pytest.mark.parametrize("rule,message", [
    ("{name: a, when: rate < 0.6}", "总分规则 `a` 既没有 cap（总分上限）也没有 set（新总分公式）"),
    ("{name: a, when: rate < 0.6, cap: 60, set: total}", "同时写了 cap 和 set"),
    ("{name: a, when: rate.real < 0.6, cap: 60}", "使用了属性访问"),
    ("{name: a, when: rate < 0.6, set: weight}", "使用了未知的名称 `weight`"),
])
def test_mistakes_in_a_rule_are_refused_with_their_line(reference_workspace, rule, message):
    name = with_rules(reference_workspace, f"total_rules:\n  - {rule}\n")
    with pytest.raises(EvalrunError) as caught:
        load_ruleset(reference_workspace, name)
    assert message in str(caught.value)
    assert "rulesets/t/ruleset.yaml:4" in str(caught.value)


def test_json_and_reports_carry_the_rule(reference_workspace, run_cli):
    name = with_rules(reference_workspace, CAP)
    out = run_cli("--ruleset", name, "--json", "--no-db", workspace=reference_workspace)
    [data] = json.loads(out.stdout)["projects"]
    assert data["total"] == 69 and data["adjustments"][0]["before"] == 95.53
    run_cli("--ruleset", name, "--format", "md,html", "--no-db", workspace=reference_workspace)
    report = next((reference_workspace / "reports" / "out" / name).glob("*/*.md")).read_text(encoding="utf-8")
    assert "执行率低于60%总分封顶：rate < 0.6 成立，总分 95.53 以 69 为上限 → 69" in report


def test_diff_names_a_rule_on_the_total(reference_workspace, run_cli):
    with_rules(reference_workspace, CAP)
    (reference_workspace / "rulesets" / "u").mkdir()
    (reference_workspace / "rulesets" / "u" / "ruleset.yaml").write_text(
        'extends: "t"\nversion: "u.1"\ntotal_rules:\n  - {name: 执行率低于60%总分封顶, cap: 70}\n', encoding="utf-8")
    out = run_cli("diff", "t", "u", workspace=reference_workspace).stdout
    assert "总分规则 执行率低于60%总分封顶的总分上限：69 → 70" in out
