"""The evaluation kind (财预〔2020〕10号 附件1, issue 18), through the CLI: what an evaluator sees."""
from __future__ import annotations

from pathlib import Path

RULESET = "evaluation-2025"
COMMERCE = Path("projects/2025/益阳市商务局/开放型经济发展与三产业发展引导资金.yaml")


def _line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line)


def test_the_example_is_scored_from_the_evaluators_scores_and_printed_with_the_texts(workspace, run_cli):
    result = run_cli("--ruleset", RULESET, "--no-db", workspace=workspace)
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if "开放型经济发展与三产业发展引导资金" in line)
    assert "86.02" in line and "良" in line
    assert "高标准农田建设项目" not in result.output  # no evaluation: section, not evaluated
    out = workspace / "reports" / "out" / RULESET
    summary = (out / "汇总.md").read_text(encoding="utf-8")
    assert "| 序号 | 部门 | 项目 | 评价组 | 决策（15） | 过程（20） | 产出（35） | 效益（30） | 总分 | 等级 |" in summary
    assert "| 益阳市财政局绩效评价组（示例） | 13.5 | 15.52 | 33 | 24 | 86.02 | 良 |" in summary
    report = (out / "益阳市商务局" / "开放型经济发展与三产业发展引导资金.md").read_text(encoding="utf-8")
    assert "| 预算执行率 | 55.32%（供参考，由评价组在相应指标中评分） |" in report
    assert ("| 过程 | 资金管理 | 预算执行率 | 5 | 项目预算资金是否按照计划执行，用以反映或考核项目预算执行情况。 | "
            "预算执行率 =（实际支出资金 / 实际到位资金）× 100%；得分 = 预算执行率 × 分值。 | 2.77 | "
            "全年执行 547.69 万元，执行率 55.32%，得分 = 55.32% × 5 分 |") in report
    assert "| 效益 | 项目效益 | 生态效益 | 4 |" in report and "| — | 不适用：项目无生态效益目标 |" in report
    assert "| **合计** | | **86.02** |" in report and "评价等级：**良**" in report
    html = (out / "益阳市商务局" / "开放型经济发展与三产业发展引导资金.html").read_text(encoding="utf-8")
    assert "<th>指标解释</th><th>评分标准</th><th>得分</th><th>评分理由</th>" in html and "扣完为止" in html
    assert "预算执行率</td><td class=\"n\">10" not in report  # the framework has no budget row of its own
    import docx  # the kind's own Word template, evaluation.report.docx

    word = docx.Document(str(out / "益阳市商务局" / "开放型经济发展与三产业发展引导资金.docx"))
    assert "总分：86.02\u3000评价等级：良" in [p.text for p in word.paragraphs]
    rows = [[c.text for c in row.cells] for row in word.tables[2].rows]
    assert ["过程", "资金管理", "预算执行率", "5"] == rows[8][:4] and rows[8][6:] == ["2.77", "全年执行 547.69 万元，执行率 55.32%，得分 = 55.32% × 5 分"]


def test_rule_tests_pass(workspace, run_cli):
    result = run_cli("test", "--ruleset", RULESET, workspace=workspace)
    assert result.exit_code == 0, result.output
    assert "规则测试：9 个通过，0 个失败" in result.output


def test_explain_shows_each_score_with_its_reason_standard_and_line(workspace, run_cli):
    result = run_cli("explain", "--ruleset", RULESET, "--project", "开放型经济发展与三产业发展引导资金", workspace=workspace)
    assert result.exit_code == 0, result.output
    line = _line_of(workspace / COMMERCE, "{name: 完成及时性, score: 6")
    assert "  评分标准 按计划时间完成得满分；每延迟一个月扣 2 分，扣完为止。" in result.output
    assert f"    score = 6  评分理由：第四批资金拨付较计划延迟一个月，扣 2 分   ({COMMERCE}:{line}:" in result.output
    assert "预算执行率 55.32%（executed / full_year；本规则不单列计分）" in result.output
    assert "总分 = 决策 13.5 + 过程 15.52 + 产出 33 + 效益 24 = 86.02（各项得分相加）" in result.output


def test_scores_out_of_bounds_or_without_reason_are_file_line_errors(workspace, run_cli):
    path = workspace / COMMERCE
    text = path.read_text(encoding="utf-8")
    text = text.replace("{name: 立项依据充分性, score: 3,", "{name: 立项依据充分性, score: 3.5,")
    text = text.replace("{name: 成本节约率, score: 7, reason: 实际支出未超过计划成本}", "{name: 成本节约率, score: -1, reason: 超支}")
    text = text.replace("{name: 质量达标率, score: 10, reason: 抽查的 12 个扶持项目均达到申报条件和验收标准}", "{name: 质量达标率, score: 10}")
    path.write_text(text, encoding="utf-8")
    result = run_cli("--ruleset", RULESET, "--no-db", "--format", "md", workspace=workspace)
    output = result.output
    first = _line_of(path, "{name: 立项依据充分性")
    assert f"{COMMERCE}:{first}:30: `立项依据充分性` 的专家评分 3.5 超过该行分值 3；评分应在 0 至 3 分之间" in output, output
    cost = _line_of(path, "{name: 成本节约率")
    assert f"{COMMERCE}:{cost}:" in output and "`成本节约率` 的专家评分 -1 低于 0；评分应在 0 至 7 分之间" in output
    quality = _line_of(path, "{name: 质量达标率")
    assert f"{COMMERCE}:{quality}:" in output and "`质量达标率` 的专家评分 10 没有评分理由（reason）" in output
    assert "失败" in output and "Traceback" not in output


def test_diff_names_a_changed_weight_and_standard(workspace, run_cli):
    own = workspace / "rulesets" / "evaluation-2026"
    own.mkdir()
    (own / "ruleset.yaml").write_text(
        "extends: evaluation-2025\nfiscal_year: 2026\nversion: \"2026.eval1\"\nindicator_table:\n"
        "  - {level1: 产出, level2: 产出时效, name: 完成及时性, weight: 8, standard: 每延迟一个月扣 4 分，扣完为止。}\n",
        encoding="utf-8")
    result = run_cli("diff", RULESET, "evaluation-2026", workspace=workspace)
    assert "指标表 完成及时性的评分标准：按计划时间完成得满分；每延迟一个月扣 2 分，扣完为止。 → 每延迟一个月扣 4 分，扣完为止。" \
        in result.output, result.output


def test_a_framework_without_a_budget_row_needs_no_weight_for_it(workspace, run_cli):
    ruleset = workspace / "rulesets" / RULESET / "ruleset.yaml"
    ruleset.write_text(ruleset.read_text(encoding="utf-8").replace("  counted: false", "  counted: true"), encoding="utf-8")
    result = run_cli("validate", "--ruleset", RULESET, workspace=workspace)
    assert result.exit_code != 0
    line = _line_of(ruleset, "budget_execution:")
    assert f"rulesets/{RULESET}/ruleset.yaml:{line}:" in result.output
    assert "budget_execution 没有 `weight`；请写出，或者框架没有单列预算执行率行时写 `counted: false`" in result.output
