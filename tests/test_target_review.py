"""The target-review kind (绩效目标申报审核, issue 18), through the CLI: what a reviewer sees."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import copy_workspace, is_warning_finding

RULESET = "target-review-2025"
COMMERCE = Path("projects/2025/益阳市商务局/开放型经济发展与三产业发展引导资金.yaml")
FARMLAND = Path("projects/2025/益阳市农业农村局/高标准农田建设项目.yaml")


@pytest.fixture
def workspace(tmp_path) -> Path:
    """The bundled workspace with 2024 too: last year's actuals of the continuing project."""
    return copy_workspace(tmp_path / "ws", years=("2024", "2025"))


def _line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if line.startswith(text))


def test_a_form_without_a_cost_indicator_gets_revise_with_that_reason(workspace, run_cli):
    result = run_cli("--ruleset", RULESET, "--no-db", workspace=workspace)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any("高标准农田建设项目" in line and "修改" in line for line in lines), result.output
    assert any("开放型经济发展与三产业发展引导资金" in line and "通过" in line for line in lines), result.output
    assert "审核意见" in result.output and "92.89" not in result.output  # reviewed, not scored: no 总分 shown
    out = workspace / "reports" / "out" / RULESET
    where = f"{FARMLAND}:{_line_of(workspace / FARMLAND, 'declaration:')}:1"
    summary = (out / "汇总.md").read_text(encoding="utf-8")
    assert "| 1 | 益阳市农业农村局 | [高标准农田建设项目](<益阳市农业农村局/高标准农田建设项目.md>) | 新增项目 | 3200 万元 | 7 | **修改** | 1 |" in summary
    assert "| 2 | 益阳市商务局 |" in summary and "| 延续项目 | 1000 万元 | 9 | **通过** | 0 |" in summary
    reasons = summary.split("## 需修改的问题")[1]
    assert f"| 益阳市农业农村局 | 高标准农田建设项目 | 设置成本指标 | 未设置成本指标；项目支出绩效目标原则上应设置成本指标（经济成本等） | {where} |" in reasons
    assert "开放型经济发展与三产业发展引导资金" not in reasons
    report = (out / "益阳市农业农村局" / "高标准农田建设项目.md").read_text(encoding="utf-8")
    assert "## 三、审核意见\n\n**修改**" in report
    assert f"1. 设置成本指标：未设置成本指标；项目支出绩效目标原则上应设置成本指标（经济成本等）（{where}）" in report
    assert "| 产出指标 | 数量指标 | 新建高标准农田面积 | ≥2.5 万亩 | 20 | 省下达的年度建设任务 | — |" in report
    html = (out / "益阳市农业农村局" / "高标准农田建设项目.html").read_text(encoding="utf-8")
    assert '<p class="revise"><strong>修改</strong></p>' in html and "未设置成本指标" in html
    passing = (out / "益阳市商务局" / "开放型经济发展与三产业发展引导资金.md").read_text(encoding="utf-8")
    assert "**通过**" in passing and "各项审核规则均已满足" in passing
    assert f"上年实际完成值取自：projects/2024/益阳市商务局/{COMMERCE.name}。" in passing
    html_summary = (out / "汇总.html").read_text(encoding="utf-8")
    assert '<td class="revise"><strong>修改</strong></td>' in html_summary
    import docx  # the kind's own Word template, target-review.report.docx

    word = docx.Document(str(out / "益阳市农业农村局" / "高标准农田建设项目.docx"))
    paragraphs = [p.text for p in word.paragraphs]
    assert "审核意见：修改" in paragraphs
    assert f"1. 设置成本指标：未设置成本指标；项目支出绩效目标原则上应设置成本指标（经济成本等）（{where}）" in paragraphs
    assert [c.text for c in word.tables[1].rows[1].cells][:5] == ["产出指标", "数量指标", "新建高标准农田面积", "≥2.5 万亩", "20"]


def test_rule_tests_prove_every_review_rule(workspace, run_cli):
    result = run_cli("test", "--ruleset", RULESET, workspace=workspace)
    assert result.exit_code == 0, result.output
    assert "规则测试：9 个通过，0 个失败" in result.output
    assert "未通过" not in result.output and result.output.count("\n通过  ") + result.output.startswith("通过  ") == 9


def test_explain_lists_each_rule_held_or_not(workspace, run_cli):
    result = run_cli("explain", "--ruleset", RULESET, "--project", "高标准农田建设项目", workspace=workspace)
    assert result.exit_code == 0, result.output
    assert "申报的绩效指标（新增项目）：" in result.output
    assert f"[不符合] 设置成本指标：至少有一个相应指标，适用于二级指标为成本指标   (rulesets/{RULESET}/ruleset.yaml:23:7)" \
        in result.output
    assert "[符合] 一级指标完整" in result.output
    assert result.output.rstrip().endswith("审核意见 修改：1 条审核规则不符合：设置成本指标")
    assert "总分" not in result.output  # the file's self-evaluation table is not what is reviewed


def test_diff_says_a_changed_review_rule_in_words(workspace, run_cli):
    own = workspace / "rulesets" / "tr-strict"
    own.mkdir()
    (own / "ruleset.yaml").write_text(
        f"extends: {RULESET}\nversion: \"2025.t2\"\nreview_rules:\n  rules:\n"
        "    - name: 三级指标分值\n      check: weight_range\n      from: 2\n      to: 15\n"
        "      reason: 三级指标分值 {weight} 分，应在 {from} 至 {to} 分之间\n",
        encoding="utf-8")
    result = run_cli("diff", RULESET, "tr-strict", workspace=workspace)
    assert "审核规则 三级指标分值的上限：20 → 15" in result.output, result.output
    run = run_cli("--ruleset", "tr-strict", "--no-db", "--format", "md", workspace=workspace)
    summary = (workspace / "reports" / "out" / "tr-strict" / "汇总.md").read_text(encoding="utf-8")
    assert "新建高标准农田面积：三级指标分值 20 分，应在 2 至 15 分之间" in summary, run.output


def test_last_years_actuals_come_from_the_store_before_the_file(workspace, run_cli):
    recorded = run_cli("--ruleset", "2024", "--format", "md", workspace=workspace)  # 2024: 引进 500 强企业 6 家
    assert recorded.exit_code == 0, recorded.output
    last_year = workspace / "projects" / "2024" / "益阳市商务局" / COMMERCE.name
    last_year.write_text(last_year.read_text(encoding="utf-8").replace("actual: 6 家", "actual: 4 家"), encoding="utf-8")
    declared = workspace / COMMERCE
    declared.write_text(declared.read_text(encoding="utf-8").replace("target: ≥6 家, weight: 10, basis: 上年实际",
                                                                     "target: ≥5 家, weight: 10, basis: 上年实际"),
                        encoding="utf-8")
    result = run_cli("explain", "--ruleset", RULESET, "--project", "开放型经济发展与三产业发展引导资金", workspace=workspace)
    assert "上年实际完成值取自：结果库 2024 年度（运行 #1）" in result.output, result.output
    assert "引进 500 强企业：延续项目的年度指标值“≥5 家”低于上年实际完成值 6 家（结果库 2024 年度（运行 #1））" in result.output
    (workspace / "evalrun.db").unlink()  # no store: last year's file, now saying 4 家
    result = run_cli("explain", "--ruleset", RULESET, "--project", "开放型经济发展与三产业发展引导资金", workspace=workspace)
    assert f"上年实际完成值取自：projects/2024/益阳市商务局/{COMMERCE.name}" in result.output
    assert result.output.rstrip().endswith("审核意见 通过：各条审核规则均符合")


def test_mistakes_in_review_rules_and_declarations_are_file_line_errors(workspace, run_cli):
    ruleset = workspace / "rulesets" / RULESET / "ruleset.yaml"
    text = ruleset.read_text(encoding="utf-8")
    ruleset.write_text(text.replace("{group}”下没有设置三级指标", "{grop}”下没有设置三级指标")
                       .replace("groups: [产出指标]", "groups: [产出指示]"), encoding="utf-8")
    result = run_cli("validate", "--ruleset", RULESET, workspace=workspace)
    assert result.exit_code != 0
    assert f"rulesets/{RULESET}/ruleset.yaml:22:15: 审核规则 `一级指标完整` 的 reason 使用了未知的占位符 {{grop}}" in result.output
    assert f"rulesets/{RULESET}/ruleset.yaml:42:16: 审核规则 `产出指标分值` 的 groups 中 `产出指示` 不是本规则的一级指标" \
        in result.output
    assert "Traceback" not in result.output
    ruleset.write_text(text, encoding="utf-8")
    declared = workspace / FARMLAND
    declared.write_text(declared.read_text(encoding="utf-8").replace("target: ≥120 公里", "target: ≥ 公里"),
                        encoding="utf-8")
    result = run_cli("--ruleset", RULESET, "--no-db", "--format", "md", workspace=workspace)
    line = _line_of(declared, "    - {level1: 产出指标, level2: 数量指标, name: 新建（改造）灌排渠道长度")
    assert f"{FARMLAND}:{line}:" in result.output and "无法读取年度指标值 `≥ 公里`" in result.output, result.output
    assert "Traceback" not in result.output


def _declaration_only(path: Path) -> None:
    """The file as a department files it with the budget: the project, and its declaration alone."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("declaration:"))
    end = next((i for i, line in enumerate(lines) if i > start and line[:1].isalpha()), len(lines))
    head = [line for line in lines if line.startswith(("project:", "department:", "fiscal_year:"))]
    path.write_text("".join(head) + "\n" + "".join(lines[start:end]), encoding="utf-8")


def test_a_file_of_the_declaration_alone_is_reviewed(workspace, run_cli):
    """At the declaration stage a file has no year's table yet: it is reviewed, its declared rows and budget
    standing for the table, and still refused by the self-evaluation, which needs the year's data."""
    for path in (COMMERCE, FARMLAND):
        _declaration_only(workspace / path)
    result = run_cli("--ruleset", RULESET, "--no-db", workspace=workspace)
    assert result.exit_code == 0, result.output
    assert any("开放型经济发展与三产业发展引导资金" in line and "通过" in line for line in result.output.splitlines())
    assert any("高标准农田建设项目" in line and "修改" in line for line in result.output.splitlines())
    report = (workspace / "reports" / "out" / RULESET / "益阳市商务局" / f"{COMMERCE.stem}.md").read_text(encoding="utf-8")
    assert "| 申报预算（万元） | 1000 |" in report and "**通过**" in report
    assert "| 产出指标 | 数量指标 | 引进 500 强企业 | ≥6 家 | 10 |" in report
    self_evaluation = run_cli("--ruleset", "2025", "--no-db", workspace=workspace)
    assert self_evaluation.exit_code == 1
    assert f"{COMMERCE}:1:1: 文件缺少必填的键 `budget`" in self_evaluation.stderr


def test_a_mistake_in_a_declaration_alone_is_told_once_at_its_place(workspace, run_cli):
    _declaration_only(workspace / COMMERCE)
    text = (workspace / COMMERCE).read_text(encoding="utf-8")
    (workspace / COMMERCE).write_text(text.replace("target: ≥6 家, weight: 10", "target: ≥6 家, weight: 十", 1),
                                      encoding="utf-8")
    line = _line_of(workspace / COMMERCE, "    - {level1: 产出指标, level2: 数量指标, name: 引进 500 强企业")
    result = run_cli("--ruleset", RULESET, "--no-db", workspace=workspace)
    assert result.exit_code == 1
    errors = [e for e in result.stderr.splitlines() if str(COMMERCE) in e and not is_warning_finding(e)]
    assert len(errors) == 1 and errors[0].startswith(f"{COMMERCE}:{line}:") and "`十`" in errors[0], errors


def test_the_json_of_a_target_review_gives_the_verdict_and_no_scores(workspace, run_cli):
    """A target form is reviewed (通过/修改), not scored: --json has no total, no row or group score to mislead."""
    import json

    result = run_cli("--ruleset", "target-review-2025", "--json", "--no-db", workspace=workspace)
    projects = json.loads(result.stdout)["projects"]
    assert projects and all(p["total"] is None and p["max_total"] is None for p in projects)
    assert all(row["score"] is None for p in projects for row in p["indicators"] + p["groups"])
    assert {p["grade"] for p in projects} <= {"通过", "修改"}
    assert all(p["review"]["verdict"] == p["grade"] for p in projects)
    scored = json.loads(run_cli("--ruleset", "2025", "--json", "--no-db", workspace=workspace).stdout)["projects"]
    assert all(p["total"] is not None for p in scored)
