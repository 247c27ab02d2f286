"""评价结果应用 as ruleset data: the advice each result gets, where it is shown, and mistakes in the section."""
from __future__ import annotations

import json
from decimal import Decimal

import docx
import pytest

from tests.helpers import REFERENCE_PROJECT, copy_workspace
from engine import api
from engine.scoring.advice import advise
from engine.errors import EvalrunError

# These tests read evalrun's English messages (--lang en); tests/test_language.py and test_bad_inputs.py check the Chinese default.
pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def workspace(tmp_path):
    return copy_workspace(tmp_path / "ws", years=("2024", "2025"))


def child(workspace, body: str, name: str = "2026"):
    """A ruleset NAME that extends 2025 with BODY; the loaded ruleset, or the EvalrunError it raises."""
    folder = workspace / "rulesets" / name
    folder.mkdir()
    (folder / "ruleset.yaml").write_text(
        f'extends: "2025"\nfiscal_year: 2026\nversion: "2026.1"\n{body}', encoding="utf-8")
    try:
        return api.load_ruleset(workspace, name)
    except EvalrunError as exc:
        return exc


def test_json_gives_each_project_its_advice_and_why(run_cli, workspace):
    result = run_cli("--ruleset", "2025", "--json", "--no-db", workspace=workspace)
    projects = {p["project"]: p for p in json.loads(result.stdout)["projects"]}
    reference = projects[REFERENCE_PROJECT]
    assert (reference["total"], reference["grade"]) == (95.53, "优")  # the published numbers do not move
    assert reference["advice"] == {"advice": "保持", "basis": "等级为优，执行率低于 60%", "rule": "优等但执行率偏低",
                                   "note": "不予增加预算，督促加快支出进度", "budget_change": 0}
    assert projects["高标准农田建设项目"]["advice"]["advice"] == "优先保障"  # 89.33%: the grade's own advice
    old = run_cli("--ruleset", "2024", "--json", "--no-db", workspace=workspace)
    assert json.loads(old.stdout)["projects"][0]["advice"] is None  # the 2024 rules have no section


def test_the_summary_and_the_reports_show_the_advice(run_cli, workspace):
    assert run_cli("--ruleset", "2025", "--format", "md,html,docx", "--no-db", workspace=workspace).exit_code == 0
    out = workspace / "reports/out/2025"
    summary = (out / "汇总.md").read_text(encoding="utf-8")
    assert "| 审核提示 | 预算建议 |" in summary and summary.rstrip().endswith("| 保持 | 1 |")
    assert "## 评价结果应用（下年预算安排建议）" in summary and "| 优先保障 | 1 |" in summary
    report = (out / "益阳市商务局" / f"{REFERENCE_PROJECT}.md").read_text(encoding="utf-8")
    assert ("评价结果应用（下年预算安排建议）：保持（等级为优，执行率低于 60%：不予增加预算，督促加快支出进度）。"
            in report)
    html = (out / "益阳市商务局" / f"{REFERENCE_PROJECT}.html").read_text(encoding="utf-8")
    assert '<p class="advice"><strong>评价结果应用（下年预算安排建议）：</strong>保持（' in html
    word = docx.Document(out / "益阳市商务局" / f"{REFERENCE_PROJECT}.docx")
    assert any(p.text.startswith("评价结果应用（下年预算安排建议）：保持（等级为优") for p in word.paragraphs)
    assert run_cli("--ruleset", "2024", "--format", "md", "--no-db", workspace=workspace).exit_code == 0
    assert "预算建议" not in (workspace / "reports/out/2024/汇总.md").read_text(encoding="utf-8")


def test_a_child_ruleset_changes_one_grade_and_adds_a_rule(workspace):
    ruleset = child(workspace, """results_use:
  by_grade:
    中: {advice: 核减 15%, budget_change: -15}
  rules:
    - name: 良而分低
      grades: [良]
      total: {below: 85}
      advice: 核减 5%
""")
    use = ruleset.results_use
    assert [r.name for r in use.rules] == ["优等但执行率偏低", "执行率过低", "良而分低"]
    assert advise(use, "中", Decimal("70"), Decimal("0.9")).advice == "核减 15%"
    assert advise(use, "良", Decimal("84.99"), Decimal("0.9")).advice == "核减 5%"
    assert advise(use, "良", Decimal("85"), Decimal("0.9")).advice == "保持"  # `below` does not count
    assert advise(use, "良", Decimal("84"), Decimal("0.5")).advice == "核减 20%"  # the earlier rule wins
    assert advise(use, "优", Decimal("95"), Decimal("0.6")).advice == "优先保障"  # `from` counts: 60% is not below
    assert advise(use, "差", Decimal("40"), Decimal("0.9")).basis == "等级为差"


@pytest.mark.parametrize("body, line, message", [
    ("results_use:\n  by_grade:\n    忧: {advice: 保持}\n", 6,
     "`忧` is not a grade of this ruleset; grades: 优, 良, 中, 差"),
    ("results_use:\n  by_grade:\n    差: null\n", 6, "results_use.by_grade gives no advice for the grade `差`"),
    ("results_use:\n  rules:\n    - {name: 全部, advice: 保持}\n", 6,
     "the results_use rule `全部` has no condition (grades, total or execution_rate)"),
    ("results_use:\n  rules:\n    - {name: 错, execution_rate: {from: 0.8, below: 0.6}, advice: 保持}\n", 6,
     "the execution_rate range runs from 0.8 to below 0.6, which holds nothing"),
    ("results_use:\n  rules:\n    - {name: 错, grades: [甲], advice: 保持}\n", 6, "`甲` is not a grade of this ruleset"),
    ("results_use:\n  by_grade:\n    优: {advise: 保持}\n", 6, "advise"),
])
def test_a_mistake_in_the_section_is_reported_with_its_line(workspace, body, line, message):
    error = child(workspace, body)
    assert isinstance(error, EvalrunError), error
    errors = getattr(error, "errors", [error])
    assert any(message in str(e) for e in errors), [str(e) for e in errors]
    assert any(e.source.file == "rulesets/2026/ruleset.yaml" and e.source.line == line for e in errors), \
        [str(e) for e in errors]
