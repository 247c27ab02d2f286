"""`evalrun diff` between any two rulesets, both ways; department variants carried over by `new`,
compared by `diff` and used by `--impact`; errors of the new rules are errors, not hints."""
from __future__ import annotations

import itertools
import json
import re
import shutil
from pathlib import Path

import pytest

from tests.helpers import REPO, copy_workspace
from engine.rules.rulesets import known_rulesets

BUNDLED = known_rulesets(REPO)
PAIRS = list(itertools.permutations(BUNDLED, 2))
FARM = "益阳市农业农村局"
VARIANT = f"rulesets/2025/departments/{FARM}.yaml"


@pytest.fixture(scope="module")
def rulesets_only(tmp_path_factory) -> Path:
    return copy_workspace(tmp_path_factory.mktemp("diff") / "ws", projects=False)


def test_the_bundled_rulesets_are_the_ones_tested():
    assert {"2024", "2025", "library-demo"} <= set(BUNDLED) and len(PAIRS) >= 6


@pytest.mark.parametrize("old,new", PAIRS, ids=[f"{a}-{b}" for a, b in PAIRS])
def test_diff_works_both_ways_between_any_two_rulesets(rulesets_only, run_cli, old, new):
    result = run_cli("diff", old, new, workspace=rulesets_only)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    count = re.fullmatch(rf"{re.escape(old)} → {re.escape(new)}: (\d+) 处变化", lines[0])
    assert count, lines[0]
    ruleset_part = lines[1:next((i for i, line in enumerate(lines) if line.startswith("部门 ")), len(lines))]
    described = [line for line in ruleset_part if line.startswith("  ") and not line.startswith("    ")]
    assert len(described) == int(count.group(1))
    for line in lines[1:]:  # in words, never Python's own notation
        assert "{'" not in line and "True" not in line and "None" not in line, line
    places = [line.strip() for line in lines[1:] if re.match(r" +rulesets/", line)]
    assert len(places) >= int(count.group(1))
    assert all(re.fullmatch(r"(rulesets/\S+:\d+:\d+)( → rulesets/\S+:\d+:\d+)?", p) for p in places), places


@pytest.mark.parametrize("old,new", [p for p in PAIRS if "2025" in p])
def test_impact_works_both_ways_on_the_bundled_projects(tmp_path, run_cli, old, new):
    ws = copy_workspace(tmp_path / "ws", years=("2024", "2025"))
    result = run_cli("diff", old, new, "--impact", workspace=ws)
    assert result.exit_code in (0, 1), result.output
    assert "internal error" not in result.output
    assert "影响：同一批项目分别按" in result.stdout


def test_a_ruleset_compared_with_itself_has_no_change(rulesets_only, run_cli):
    result = run_cli("diff", "2025", "2025", workspace=rulesets_only)
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == "2025 → 2025: 没有变化"


def test_a_ruleset_that_names_every_check_differs_only_in_levels(tmp_path, run_cli):
    """library-demo names no check; 2025 names them all at their default levels: no difference in checks."""
    ws = copy_workspace(tmp_path / "ws", projects=False)
    result = run_cli("diff", "library-demo", "2025", workspace=ws)
    assert "检查" not in result.stdout
    path = ws / "rulesets/2025/ruleset.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("spending_total: warning", "spending_total: error"),
                    encoding="utf-8")
    result = run_cli("diff", "library-demo", "2025", workspace=ws)
    assert "  检查 spending_total 的级别：warning → error" in result.stdout


# ---------------------------------------------------------------- department variants


def _year_2026_projects(ws: Path) -> None:
    for path in (ws / "projects/2025").glob("*/*.yaml"):
        target = ws / "projects/2026" / path.parent.name / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(path.read_text(encoding="utf-8").replace("fiscal_year: 2025", "fiscal_year: 2026"),
                          encoding="utf-8")


def test_new_writes_a_title_yaml_would_misread_as_it_reads(tmp_path, run_cli):
    """A parent title holding `: ` and ` #` (and a line break in a group name) once made `new` write a file that did
    not load, and leave it behind."""
    ws = copy_workspace(tmp_path / "ws")
    ruleset = ws / "rulesets/2025/ruleset.yaml"
    text = ruleset.read_text(encoding="utf-8")
    assert "\ntitle: 2025 年度项目支出绩效自评评分规则\n" in text
    ruleset.write_text(text.replace("\ntitle: 2025 年度项目支出绩效自评评分规则\n",
                                    '\ntitle: "2025 年度: 项目支出 # 自评\u2028规则"\n'), encoding="utf-8")
    made = run_cli("new", "2026", "--from", "2025", workspace=ws)
    assert made.exit_code == 0, made.output
    from engine.rules.rulesets import load_ruleset

    assert load_ruleset(ws, "2026").title == "2026 年度: 项目支出 # 自评\u2028规则"
    written = (ws / "rulesets/2026/ruleset.yaml").read_text(encoding="utf-8")
    assert written.startswith("# 2026 年度: 项目支出 # 自评 规则\n#\n")  # the comment stays one line


def test_a_new_year_that_does_not_resolve_leaves_nothing_behind(tmp_path, run_cli, monkeypatch):
    """All or none: a department variant that cannot be carried over takes back the new ruleset too."""
    from engine.errors import EvalrunError
    from engine.rules import newyear

    ws = copy_workspace(tmp_path / "ws")

    def refuse(workspace, name, department):
        raise EvalrunError(f"{department} 的部门规则无法建立在 {name} 之上")

    monkeypatch.setattr(newyear, "load_variant", refuse)
    made = run_cli("new", "2026", "--from", "2025", workspace=ws)
    assert made.exit_code == 1 and f"{FARM} 的部门规则无法建立在 2026 之上" in made.stderr
    assert not (ws / "rulesets/2026").exists()
    monkeypatch.undo()
    assert run_cli("new", "2026", "--from", "2025", workspace=ws).exit_code == 0  # and it can be made again


def test_new_carries_the_department_variants_over(tmp_path, run_cli):
    ws = copy_workspace(tmp_path / "ws")
    made = run_cli("new", "2026", "--from", "2025", workspace=ws)
    assert made.exit_code == 0, made.output
    assert f"已写出 rulesets/2026/departments/{FARM}.yaml：该部门的部门规则，从 2025 带过来" in made.stdout
    carried = (ws / f"rulesets/2026/departments/{FARM}.yaml").read_text(encoding="utf-8")
    assert carried.startswith(f"# 由 `evalrun new 2026 --from 2025` 从 {VARIANT} 带过来：\n")
    assert (ws / VARIANT).read_text(encoding="utf-8") in carried, "the department's file, comments and all"

    _year_2026_projects(ws)
    scores = {}
    for name in ("2025", "2026"):
        result = run_cli("--ruleset", name, "--json", workspace=ws)
        assert result.exit_code == 0, result.output
        scores[name] = {p["department"]: (p["total"], p["grade"], p["ruleset"].get("variant"))
                        for p in json.loads(result.stdout)["projects"]}
    assert scores["2026"] == scores["2025"]
    assert scores["2026"][FARM] == (92.89, "优", FARM)

    result = run_cli("diff", "2025", "2026", "--impact", workspace=ws)
    assert result.exit_code == 0, result.output
    assert f"部门 {FARM}（{VARIANT} → rulesets/2026/departments/{FARM}.yaml）：与以上相同，没有另外的变化" in result.stdout
    assert result.stdout.count("得分与等级不变") == 2


def test_diff_and_impact_see_a_department_variant_left_behind(tmp_path, run_cli):
    ws = copy_workspace(tmp_path / "ws")
    assert run_cli("new", "2026", "--from", "2025", workspace=ws).exit_code == 0
    shutil.rmtree(ws / "rulesets/2026/departments")  # as a year started by hand, or by an older evalrun
    year = ws / "rulesets/2026/ruleset.yaml"  # ... that keeps only its own variants (else 2025's follow extends)
    year.write_text(year.read_text(encoding="utf-8") + "department_variants: own\n", encoding="utf-8")
    result = run_cli("diff", "2025", "2026", "--impact", workspace=ws)
    assert result.exit_code == 0, result.output
    department = result.stdout.split(f"部门 {FARM}（{VARIANT} → rulesets/2026/ruleset.yaml）：")[1]
    assert "另有 3 处变化" in department and "“<=”目标的计分方法：linear_deduction → lower_is_better" in department
    farm = result.stdout.split(f"{FARM} / 高标准农田建设项目")[1].split("益阳市商务局 /")[0]
    assert "亩均建设成本: 13.8 → 13.89" in farm and "总分: 92.89 → 92.98" in farm
    assert f"原因：“<=”目标的计分方法：linear_deduction → lower_is_better  ({VARIANT}:" in farm
    assert "得分与等级不变" not in farm


def test_diff_says_which_changes_of_the_year_a_department_does_not_take(tmp_path, run_cli):
    ws = copy_workspace(tmp_path / "ws", projects=False)
    result = run_cli("diff", "2024", "2025", workspace=ws)
    assert result.exit_code == 0
    department = result.stdout.split(f"部门 {FARM}（rulesets/2024/ruleset.yaml → {VARIANT}）：")[1]
    assert "以上 3 处变化不适用于该部门（部门规则另有规定）" in department
    assert "“<=”目标的计分方法：linear_deduction → lower_is_better" in department


def test_a_carried_variant_that_named_its_year_names_the_new_one(tmp_path, run_cli):
    ws = copy_workspace(tmp_path / "ws", projects=False)
    variant = ws / VARIANT
    variant.write_text('extends: "2025"   # explicitly\n' + variant.read_text(encoding="utf-8"), encoding="utf-8")
    assert run_cli("new", "2026", "--from", "2025", workspace=ws).exit_code == 0
    carried = (ws / f"rulesets/2026/departments/{FARM}.yaml").read_text(encoding="utf-8")
    assert '\nextends: "2026"\n' in carried and 'extends: "2025"' not in carried


def test_impact_reports_an_error_of_the_new_rules_as_an_error(tmp_path, run_cli):
    ws = copy_workspace(tmp_path / "ws")
    assert run_cli("new", "2026", "--from", "2025", workspace=ws).exit_code == 0
    with (ws / "rulesets/2026/ruleset.yaml").open("a", encoding="utf-8") as handle:
        handle.write("checks:\n  explanation_required: error\n")
    result = run_cli("diff", "2025", "2026", "--impact", workspace=ws)
    assert result.exit_code == 1
    farm = result.stdout.split(f"{FARM} / 高标准农田建设项目")[1].split("益阳市商务局 /")[0]
    assert "等级: 优 → 未定级" in farm
    assert "原因：检查 explanation_required 的级别：warning → error" in farm
    assert "  错误（2026 规定为错误）：“亩均建设成本”未达到年度指标值“≤1500 元/亩”" in farm
    assert "提示：“亩均建设成本”未达到" not in farm, "an error, not a hint"
    assert "1 个项目在 2026 下有错误或无法评分（未定级）" in result.stderr


def test_diff_refuses_a_broken_department_variant(tmp_path, run_cli):
    ws = copy_workspace(tmp_path / "ws", projects=False)
    assert run_cli("new", "2026", "--from", "2025", workspace=ws).exit_code == 0
    path = ws / f"rulesets/2026/departments/{FARM}.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("(actual - target)", "(actual - taget)"), encoding="utf-8")
    result = run_cli("diff", "2025", "2026", workspace=ws)
    assert result.exit_code == 1
    assert re.match(rf"rulesets/2026/departments/{FARM}.yaml:\d+:\d+: .*使用了未知的名称 `taget`", result.stderr)
