"""`diff`, `impact` and `explain` under --lang en: evalrun's own words in English, the data as written.

What the files hold stays as written in both languages (产出指标, 万元, a
project's name, a method's label, a grade); evalrun's own words around it
(名称, 舍入方式, 未满足, 专家评分, 审核规则, ...) come from the catalogs. A line
is checked by taking out its file places, its quoted spans, every text the
workspace's YAML files hold and the unit after a number: no Chinese may be
left. The Chinese output stays as it was (the golden files and the other
tests read it); a few of its lines are checked here beside their English.
"""
from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest
import yaml

from engine.scoring.check import UNGRADED
from tests.helpers import REFERENCE_PROJECT, copy_workspace

CJK = re.compile(r"[\u4e00-\u9fff]")
CJK_PUNCTUATION = re.compile(r"[\u3000-\u303f\uff01-\uff1f]")  # 。，；：（） and the like: Chinese sentences only
PLACE = re.compile(r"\S+\.yaml(?::\d+)*")
QUOTED = re.compile(r"“[^”]*”|`[^`]*`")
UNIT = re.compile(r"(?<=[\d%])\s?[\u4e00-\u9fff]+(?:/[\u4e00-\u9fff]+)?")  # 2.32万亩, 12 家, 1620元/亩
FARM = "高标准农田建设项目"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    """Both years' example projects: `diff 2024 2025 --impact` scores them under both rulesets."""
    return copy_workspace(tmp_path_factory.mktemp("english") / "ws", years=("2024", "2025"))


def _texts(node, found: set) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            _texts(key, found)
            _texts(value, found)
    elif isinstance(node, list):
        for item in node:
            _texts(item, found)
    elif isinstance(node, str) and CJK.search(node):
        found.add(node.strip())
        found.update(part.strip() for part in node.splitlines() if CJK.search(part))


@functools.lru_cache(maxsize=None)
def data_pattern(workspace: Path) -> re.Pattern:
    """Every text with Chinese in the workspace's rulesets and projects, as a whole word (not inside another)."""
    found: set = {UNGRADED}  # the grade of a project with an error: a grade, as 优 is
    for path in sorted(workspace.glob("rulesets/**/*.yaml")) + sorted(workspace.glob("projects/**/*.yaml")):
        _texts(yaml.safe_load(path.read_text(encoding="utf-8")), found)
    texts = sorted(found, key=len, reverse=True)
    return re.compile(r"(?<![\u4e00-\u9fff])(?:" + "|".join(map(re.escape, texts)) + r")(?![\u4e00-\u9fff])")


def own_words(line: str, workspace: Path) -> str:
    """The line less its file places, quoted spans, the data's texts and the units after numbers."""
    line = PLACE.sub(" ", line)
    line = data_pattern(workspace).sub(" ", line)
    line = QUOTED.sub(" ", line)
    return UNIT.sub(" ", line)


def chinese_left(out: str, workspace: Path, skip=()) -> list[str]:
    """The lines with Chinese words of evalrun's own (lines starting with one of ``skip`` are not read)."""
    return [line for line in out.splitlines() if not line.strip().startswith(tuple(skip))
            and (CJK.search(own_words(line, workspace)) or CJK_PUNCTUATION.search(own_words(line, workspace)))]


def test_the_check_finds_chinese_words_of_evalrun_around_data(workspace):
    """What the tests below rely on: data is taken out, evalrun's words are not."""
    assert not chinese_left("  the weight of first-level indicator 产出指标: 45 → 65", workspace)
    place = "(projects/2025/x/高标准农田建设项目.yaml:43:13)"
    assert not chinese_left(f"    met = no  2.32万亩 does not meet ≥2.5万亩   {place}", workspace)
    label = "正向指标：达到目标值得满分，未达到按 实际值/目标值 × 分值 计分"  # a method's label in the ruleset
    assert not chinese_left(f"  method higher_is_better: {label}", workspace)
    for line in ("  一级指标 产出指标 的分值：45 → 65", "    met = no  2.32万亩 未满足 ≥2.5万亩",
                 "  decision 执行率 89.33%", "  result 8.93 → 四舍五入保留 2 位小数 → 8.93   (weight 10)"):
        assert chinese_left(line, workspace), line


def test_diff_speaks_english_around_the_rules_names(run_cli, workspace):
    result = run_cli("--lang", "en", "diff", "2024", "2025", workspace=workspace)
    assert result.exit_code == 0, result.output
    out = result.stdout
    for line in ("  rounding: truncated → rounded half up", "  lowest total of grade 优: 80 → 90",
                 "  the weight of first-level indicator 产出指标: 45 → 65",
                 "  the second-level groups of first-level indicator 产出指标: added 成本指标",
                 "  budget execution rate: rate formula: executed / initial → executed / full_year",
                 "  the method for “<=” targets: linear_deduction → lower_is_better",
                 "  fiscal year: 2024 → 2025"):
        assert line in out.splitlines(), line
    assert "removed first-level indicator 成本指标 (name: 成本指标; weight: 10; second-level groups: 经济成本指标, " \
           "社会成本指标, 生态环境成本指标)" in out
    assert chinese_left(out, workspace) == []


def test_diff_in_chinese_is_as_before(run_cli, workspace):
    out = run_cli("diff", "2024", "2025", workspace=workspace).stdout.splitlines()
    for line in ("  舍入方式：截断 → 四舍五入", "  等级 优 的最低分：80 → 90", "  一级指标 产出指标 的分值：45 → 65",
                 "  一级指标 产出指标 的二级指标：增加 成本指标", "  财政年度：2024 → 2025",
                 "  不适用指标的分值处理：rescale（剔除后按百分制折算） → unallocated（不分配分值）",
                 "  删除计分方法 qualitative_levels 的档次 部分达成并具有一定效果 的固定取点（0.65）"):
        assert line in out, line


def test_impact_speaks_english_for_the_total_grade_and_causes(run_cli, workspace):
    out = run_cli("--lang", "en", "diff", "2024", "2025", "--impact", workspace=workspace).stdout
    assert "  total: 80.53 → 95.53" in out.splitlines() and f"  grade: {UNGRADED} → 优" in out.splitlines()
    assert "      cause: the weight of first-level indicator 产出指标: 45 → 65  (rulesets/2024/" in out
    # findings (only under 2024, error: ...) are the checks' messages, read by the tests of the checks
    assert chinese_left(out, workspace, skip=("only under", "error")) == []
    chinese = run_cli("diff", "2024", "2025", "--impact", workspace=workspace).stdout.splitlines()
    assert "  总分: 80.53 → 95.53" in chinese and f"  等级: {UNGRADED} → 优" in chinese


@pytest.mark.parametrize("ruleset, project", [
    ("2025", FARM), ("2025", REFERENCE_PROJECT), ("2024", REFERENCE_PROJECT), ("monitoring-2025", FARM),
    ("target-review-2025", FARM), ("target-review-2025", REFERENCE_PROJECT), ("evaluation-2025", REFERENCE_PROJECT),
])
def test_explain_speaks_english_around_the_data(run_cli, workspace, ruleset, project):
    result = run_cli("--lang", "en", "explain", "--ruleset", ruleset, "--project", project, workspace=workspace)
    assert result.exit_code == 0, result.output
    # `review warning: ...` lines are the checks' findings, whose English keeps the form's terms (年初预算数)
    assert chinese_left(result.stdout, workspace, skip=("review ",)) == []


def test_explain_in_english_and_in_chinese(run_cli, workspace):
    def explain(*language, ruleset="2025", project=FARM):
        result = run_cli(*language, "explain", "--ruleset", ruleset, "--project", project, workspace=workspace)
        assert result.exit_code == 0, result.output
        return result.stdout

    english, chinese = explain("--lang", "en"), explain()
    for en, zh in (("  decision execution rate 89.33%", "  判定 执行率 89.33%"),
                   ("  decision 2.32万亩 does not meet ≥2.5万亩", "  判定 2.32万亩 未满足 ≥2.5万亩"),
                   ("  decision 11.5% meets growth ≥10%", "  判定 11.5% 满足 增长 ≥10%"),
                   ("  result 18.56 → rounded half up to 2 decimal places → 18.56   (weight 20)",
                    "  结果 18.56 → 四舍五入保留 2 位小数 → 18.56   (分值 20)"),
                   ("  decision the self-assessment chose the level “部分达成并具有一定效果”",
                    "  判定 自评选定档次“部分达成并具有一定效果”")):
        assert en in english.splitlines(), en
        assert zh in chinese.splitlines(), zh
    assert "target “≥2.5 万亩”" in english and "年度指标值“≥2.5 万亩”" in chinese

    review = explain("--lang", "en", ruleset="target-review-2025")
    assert "declared indicators (a new project):" in review
    assert "  [not met] 设置成本指标: at least one such indicator, for second-level indicators 成本指标   (" in review
    assert "verdict 修改: 1 review rule is not met: 设置成本指标" in review
    assert "  [不符合] 设置成本指标：至少有一个相应指标，适用于二级指标为成本指标   (" in explain(ruleset="target-review-2025")

    monitoring = explain("--lang", "en", ruleset="monitoring-2025")
    assert "monitoring date 2025-06-30, time progress time_progress = 0.5 (counted by whole months)" in monitoring
    assert "执行预警: level 红, as time_progress - progress_rate = 0.22   (" in monitoring
    assert "监控日期 2025-06-30，时间进度 time_progress = 0.5（按月计）" in explain(ruleset="monitoring-2025")

    evaluation = explain("--lang", "en", ruleset="evaluation-2025", project=REFERENCE_PROJECT)
    assert "  decision expert score 3: 符合省市开放型经济发展规划和部门职责，与其他项目不重复" in evaluation
    assert "  explanation 项目立项是否符合法律法规" in evaluation
    assert "  指标解释 项目立项是否符合法律法规" in explain(ruleset="evaluation-2025", project=REFERENCE_PROJECT)


def test_a_monitoring_date_that_is_no_date_is_told_in_english(run_cli, workspace, tmp_path):
    ruleset = workspace / "rulesets" / "monitoring-2025" / "ruleset.yaml"
    text = ruleset.read_text(encoding="utf-8")
    bad = tmp_path / "ws"
    copy_workspace(bad, rulesets=("2025", "monitoring-2025"))
    assert "2025-06-30" in text
    (bad / "rulesets" / "monitoring-2025" / "ruleset.yaml").write_text(text.replace("2025-06-30", "2025-13-40"),
                                                                          encoding="utf-8")
    english = run_cli("--lang", "en", "validate", "--ruleset", "monitoring-2025", workspace=bad)
    assert english.exit_code == 1
    assert "as_of.date `2025-13-40` is not a date; write it as 2025-06-30" in english.stderr
    chinese = run_cli("validate", "--ruleset", "monitoring-2025", workspace=bad)
    assert "as_of.date `2025-13-40` 不是日期；请写成 2025-06-30" in chinese.stderr


def with_capped_rules(workspace: Path) -> Path:
    """The workspace with a ruleset `capped`: 2025's, with a rule on the total (a low execution rate caps it at 69)."""
    (workspace / "rulesets" / "capped").mkdir()
    (workspace / "rulesets" / "capped" / "ruleset.yaml").write_text(
        'extends: "2025"\nversion: "capped.1"\nuse: [totals/execution-below-60-cap-69]\n', encoding="utf-8")
    return workspace


def test_a_rule_on_the_total_is_explained_in_english(run_cli, tmp_path):
    workspace = with_capped_rules(copy_workspace(tmp_path / "ws"))
    english = run_cli("--lang", "en", "explain", "--ruleset", "capped", "--project", REFERENCE_PROJECT,
                      workspace=workspace).stdout
    assert "  result 执行率低于60%总分封顶: rate < 0.6 holds, the total 95.53 is capped at 69 → 69" in english
    assert chinese_left(english, workspace, skip=("review ",)) == []
    chinese = run_cli("explain", "--ruleset", "capped", "--project", REFERENCE_PROJECT, workspace=workspace).stdout
    assert "  结果 执行率低于60%总分封顶：rate < 0.6 成立，总分 95.53 以 69 为上限 → 69" in chinese


@pytest.mark.parametrize("ruleset", ["2025", "monitoring-2025", "target-review-2025", "evaluation-2025", "capped"])
def test_the_reports_are_the_same_under_lang_en(run_cli, tmp_path, ruleset):
    """Reports keep their templates' language: the rounding, review rules and rules on the total they print too."""
    outputs = []
    for language in ((), ("--lang", "en")):
        workspace = with_capped_rules(copy_workspace(tmp_path / f"ws{len(outputs)}"))
        result = run_cli(*language, "--ruleset", ruleset, "--format", "md,html", "--no-db", workspace=workspace)
        assert result.exit_code in (0, 1), result.output
        out = workspace / "reports" / "out" / ruleset
        outputs.append({p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()})
    chinese, english = outputs
    assert chinese and chinese.keys() == english.keys()
    for path in chinese:
        assert chinese[path] == english[path], path


def test_history_compare_and_last_years_values_speak_english(run_cli, tmp_path):
    workspace = copy_workspace(tmp_path / "ws", years=("2024", "2025"))
    for year in ("2024", "2025"):
        assert run_cli("--ruleset", year, "--format", "md", workspace=workspace).exit_code == 0
    compare = run_cli("--lang", "en", "compare", "2024", "2025", workspace=workspace).stdout
    assert re.search(r"益阳市商务局\s+\(1 project, mean total\)\s+87\.93 \(1 project\)\s+95\.53 \(1 project\)\s+\+7\.6",
                     compare), compare
    assert re.search(rf"{FARM}\s+-\s+92\.89 \(优\)\s+new\s+优", compare), compare
    history = run_cli("--lang", "en", "history", "--project", REFERENCE_PROJECT, workspace=workspace).stdout
    assert re.search(r"run #2, \d{4}-\d\d-\d\d \d\d:\d\d$", history, re.M), history
    review = run_cli("--lang", "en", "explain", "--ruleset", "target-review-2025", "--project", REFERENCE_PROJECT,
                     workspace=workspace).stdout
    assert "  last year's actual values from: the results store, fiscal year 2024 (run #1)" in review
    for out in (compare, history, review):
        assert chinese_left(out, workspace) == []
    chinese = run_cli("compare", "2024", "2025", workspace=workspace).stdout
    assert "（1 个项目，平均分）" in chinese and "95.53（1 项）" in chinese and "新增" in chinese
    assert "运行 #2，" in run_cli("history", "--project", REFERENCE_PROJECT, workspace=workspace).stdout
    assert "  上年实际完成值取自：结果库 2024 年度（运行 #1）" in run_cli(
        "explain", "--ruleset", "target-review-2025", "--project", REFERENCE_PROJECT, workspace=workspace).stdout


def test_a_decision_tables_step_in_english(run_cli, tmp_path):
    workspace = copy_workspace(tmp_path / "ws")
    (workspace / "rulesets" / "steps").mkdir()
    (workspace / "rulesets" / "steps" / "ruleset.yaml").write_text(
        'extends: "2025"\nversion: "steps.1"\nuse: [methods/cost-control-steps]\n', encoding="utf-8")
    project = next(workspace.glob(f"projects/2025/*/{FARM}.yaml"))
    text = project.read_text(encoding="utf-8")
    assert "    name: 亩均建设成本\n" in text
    project.write_text(text.replace("    name: 亩均建设成本\n", "    name: 亩均建设成本\n    method: cost_control_steps\n"),
                       encoding="utf-8")
    asked = ("explain", "--ruleset", "steps", "--project", FARM, "--indicator", "亩均建设成本")
    english = run_cli("--lang", "en", *asked, workspace=workspace).stdout
    assert "  table: abs(actual - target) / target * 100 = 8 falls in row 1 [−∞, 10] " \
           "(rulesets/library/methods/cost-control-steps.yaml:11:11), which scores 5" in english.splitlines()
    assert chinese_left(english, workspace) == []
    assert "  查表：abs(actual - target) / target * 100 = 8，落在第 1 行 [−∞, 10]" \
           "（rulesets/library/methods/cost-control-steps.yaml:11:11），得分 5" in run_cli(*asked, workspace=workspace).stdout
