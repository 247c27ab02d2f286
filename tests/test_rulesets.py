"""Rulesets across years and departments: merge rules, resolution errors, diff, impact, rule tests."""
from __future__ import annotations

import json
import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from engine import RunOptions, run
from engine.api import load_ruleset
from engine.errors import EvalrunError
from engine.rules.inherit import merge
from engine.files.load import load_text
from engine.tools.ruletests import case_files, run_cases
from engine.rules.rulesets import known_rulesets
from tests.helpers import REFERENCE_PROJECT, REPO, copy_workspace

# These tests read evalrun's English messages (--lang en); tests/test_language.py and test_bad_inputs.py check the Chinese default.
pytestmark = pytest.mark.usefixtures("english")


def y(text: str, name: str = "x.yaml"):
    return load_text(text, name)


# ---------------------------------------------------------------- merge rules


def test_mappings_merge_key_by_key():
    merged = merge(y("rounding: {places: 2, mode: half_up}\ntitle: a\n"), y("rounding: {places: 1}\n"))
    assert merged == {"rounding": {"places": 1, "mode": "half_up"}, "title": "a"}


def test_named_lists_merge_by_name_add_and_remove():
    parent = y("framework:\n  - {name: A, weight: 50, subgroups: [a]}\n  - {name: B, weight: 50, subgroups: [b]}\n")
    child = y("framework:\n  - {name: A, weight: 40}\n  - {name: B, remove: true}\n"
              "  - {name: C, weight: 60, subgroups: [c]}\n", "child.yaml")
    merged = merge(parent, child)
    assert merged["framework"] == [{"name": "A", "weight": 40, "subgroups": ["a"]},
                                   {"name": "C", "weight": 60, "subgroups": ["c"]}]


def test_plain_lists_replace_whole_and_null_removes():
    merged = merge(y("targets: {achieved_words: [完成, 及时]}\nchecks: {a: error}\n"),
                   y("targets: {achieved_words: [达标]}\nchecks: {a: null}\n"))
    assert merged["targets"]["achieved_words"] == ["达标"] and merged["checks"] == {}


def test_overrides_remember_both_sources():
    overrides = []
    merge(y("rounding: {places: 2}\n", "p.yaml"), y("rounding: {places: 1}\n", "c.yaml"), (), overrides)
    (override,) = overrides
    assert override.path == ("rounding", "places")
    assert (override.new.file, override.old.file) == ("c.yaml", "p.yaml")


@pytest.mark.parametrize("child,line,message", [
    ("framework:\n  - {name: 产出指标标, weight: 40}\n", 3,
     "overrides `产出指标标` in framework, which the parent does not have (did you mean `产出指标`?)"),
    ("framework:\n  - {name: 产出, remove: true}\n", 3, "removes `产出`, which the parent does not have"),
    ("methods:\n  higher_is_beter: {formula: weight}\n", 3,
     "overrides `higher_is_beter` in methods, which the parent does not have (did you mean `higher_is_better`?)"),
    ("checks: {spending: null}\n", 2, "removes an inherited key, but the parent has no `spending`"),
])
def test_override_of_a_missing_node_is_an_error_with_the_line(tmp_path, child, line, message):
    ws = copy_workspace(tmp_path / "ws")
    (ws / "rulesets" / "2026").mkdir()
    (ws / "rulesets" / "2026" / "ruleset.yaml").write_text('extends: "2025"\n' + child, encoding="utf-8")
    with pytest.raises(EvalrunError) as caught:
        load_ruleset(ws, "2026")
    assert message in str(caught.value)
    assert str(caught.value).startswith(f"rulesets/2026/ruleset.yaml:{line}:")


def write_ruleset(ws: Path, name: str, text: str) -> None:
    (ws / "rulesets" / name).mkdir(parents=True, exist_ok=True)
    (ws / "rulesets" / name / "ruleset.yaml").write_text(text, encoding="utf-8")


def test_extends_cycle_is_an_error(tmp_path, run_cli):
    ws = copy_workspace(tmp_path / "ws")
    write_ruleset(ws, "a", 'extends: "b"\n')
    write_ruleset(ws, "b", 'extends: "a"\n')
    result = run_cli("--ruleset", "a", workspace=ws)
    assert result.exit_code == 1
    assert re.match(r"rulesets/b/ruleset\.yaml:1:10: `extends: a` makes a cycle \(a → b → a\)", result.stderr)


def test_missing_parent_is_an_error(tmp_path, run_cli):
    ws = copy_workspace(tmp_path / "ws")
    write_ruleset(ws, "2026", 'extends: "2023"\n')
    result = run_cli("--ruleset", "2026", workspace=ws)
    assert result.exit_code == 1
    assert result.stderr.startswith("rulesets/2026/ruleset.yaml:1:10: `extends: 2023` names a ruleset that does not exist")


@pytest.mark.chinese  # reads the Chinese default: the findings, explain and store lines it checks
def test_child_override_changes_scores_and_is_explained(tmp_path, run_cli):
    ws = copy_workspace(tmp_path / "ws")
    write_ruleset(ws, "2025b", 'extends: "2025"\nbudget_execution: {score: weight * rate}\n')
    result = run_cli("explain", "--ruleset", "2025b", "--project", REFERENCE_PROJECT, "--indicator", "预算执行率",
                     workspace=ws)
    assert result.exit_code == 0, result.stderr
    assert "公式 weight * rate   (rulesets/2025b/ruleset.yaml:2:27, overriding rulesets/2025/ruleset.yaml:33:10)" in result.stdout


# ---------------------------------------------------------------- years and departments


def test_both_years_run_and_the_reference_is_exact(run_cli, workspace):
    workspace = copy_workspace(workspace.parent / "both", years=("2024", "2025"))
    r2024 = run_cli("--ruleset", "2024", workspace=workspace)
    r2025 = run_cli("--ruleset", "2025", "--json", workspace=workspace)
    assert r2024.exit_code == 0 and r2025.exit_code == 0
    projects = {p["department"]: p for p in json.loads(r2025.stdout)["projects"]}
    assert set(projects) == {"益阳市商务局", "益阳市农业农村局"}
    assert projects["益阳市商务局"]["total"] == 95.53
    assert any(r["score"] not in (None, r["weight"]) for r in projects["益阳市农业农村局"]["indicators"]), \
        "the second department has partial scores"


def test_department_variant_applies_to_that_department_only(tmp_path):
    outcome = run(RunOptions(ruleset="2025", workspace=copy_workspace(tmp_path / "ws"), write_reports=False))
    by_department = {r.project.department: r for r in outcome.results}
    farm, trade = by_department["益阳市农业农村局"], by_department["益阳市商务局"]
    assert farm.ruleset.variant == "益阳市农业农村局" and trade.ruleset.variant == ""
    assert farm.ruleset.sha256 != trade.ruleset.sha256
    cost = next(r for r in farm.rows if r.name == "亩均建设成本")
    assert cost.trace.method == "linear_deduction" and cost.score == Decimal("13.8")
    assert next(r for r in trade.rows if r.name == "资金使用额").trace.method == "lower_is_better"


def test_runs_are_byte_identical(tmp_path):
    ws = copy_workspace(tmp_path / "ws")
    run(RunOptions(ruleset="2025", workspace=ws))
    first = {p: p.read_bytes() for p in (ws / "reports" / "out").rglob("*") if p.is_file()}
    run(RunOptions(ruleset="2025", workspace=ws))
    second = {p: p.read_bytes() for p in (ws / "reports" / "out").rglob("*") if p.is_file()}
    assert first == second and first


def test_outputs_carry_the_ruleset_provenance(tmp_path):
    ws = copy_workspace(tmp_path / "ws")
    outcome = run(RunOptions(ruleset="2025", workspace=ws))
    for result in outcome.results:
        text = (ws / "reports/out/2025" / result.project.department / f"{result.project.name}.md").read_text(encoding="utf-8")
        assert result.ruleset.sha256 in text and result.ruleset.id in text and result.ruleset.version in text


# ---------------------------------------------------------------- new, diff, impact


def test_new_then_run_works_with_no_other_edit(tmp_path, run_cli):
    ws = copy_workspace(tmp_path / "ws")
    made = run_cli("new", "2026", "--from", "2025", workspace=ws)
    assert made.exit_code == 0, made.stderr
    text = (ws / "rulesets" / "2026" / "ruleset.yaml").read_text(encoding="utf-8")
    assert 'extends: "2025"' in text and "fiscal_year: 2026" in text
    assert run_cli("--ruleset", "2026", workspace=ws).exit_code == 0
    assert run_cli("new", "2026", "--from", "2025", workspace=ws).exit_code == 2, "never overwrites"


@pytest.mark.chinese  # reads the Chinese default: the diff's lines (their English: tests/test_english_output.py)
def test_diff_lists_every_difference_and_nothing_else(tmp_path, run_cli):
    ws = copy_workspace(tmp_path / "ws")
    write_ruleset(ws, "2026", 'extends: "2025"\nfiscal_year: 2026\nversion: "2026.1"\n'
                  "framework:\n  - {name: 产出指标, weight: 60}\n  - {name: 效益指标, weight: 20}\n"
                  "grades:\n  - {grade: 优, min: 85}\n")
    result = run_cli("diff", "2025", "2026", workspace=ws)
    assert result.exit_code == 0, result.stderr
    ruleset_part = result.stdout.split("\n部门 ")[0]  # then each department variant's own differences
    lines = [l.strip() for l in ruleset_part.splitlines()[1:] if l.startswith("  ") and not l.startswith("      ")]
    assert lines == [
        "财政年度：2025 → 2026", "版本：2025.1 → 2026.1", "等级 优 的最低分：90 → 85",
        "一级指标 产出指标 的分值：65 → 60", "一级指标 效益指标 的分值：15 → 20",
    ]
    assert "rulesets/2025/ruleset.yaml:37:13 → rulesets/2026/ruleset.yaml:5:26" in result.stdout


@pytest.mark.chinese  # reads the Chinese default: the findings, explain and store lines it checks
def test_impact_shows_moves_with_their_causes(tmp_path, run_cli):
    ws = copy_workspace(tmp_path / "ws")
    write_ruleset(ws, "2026", 'extends: "2025"\nfiscal_year: 2026\nrounding: {mode: truncate}\n'
                  "grades:\n  - {grade: 优, min: 96}\n")
    result = run_cli("diff", "2025", "2026", "--impact", workspace=ws)
    assert result.exit_code == 0, result.stderr
    block = result.stdout.split(f"益阳市商务局 / {REFERENCE_PROJECT}")[1]
    assert "等级: 优 → 良" in block
    assert "原因：等级 优 的最低分：90 → 96" in block
    assert "总分:" not in block, "truncation leaves 95.53 as it is; only the grade moves"


@pytest.mark.chinese  # reads the Chinese default: the findings, explain and store lines it checks
def test_diff_2024_2025_impact_on_the_bundled_projects(tmp_path, run_cli):
    result = run_cli("diff", "2024", "2025", "--impact", workspace=copy_workspace(tmp_path / "ws", years=("2024", "2025")))
    assert result.exit_code == 0, result.stderr
    assert "删除一级指标 成本指标" in result.stdout
    assert "预算执行率: 9.77 → 8.93" in result.stdout
    assert "原因：预算执行率 执行率公式：executed / initial → executed / full_year" in result.stdout


# ---------------------------------------------------------------- rule tests as data


RULE_CASES = [(name, case) for name in known_rulesets(REPO) for case in run_cases(REPO, name)]


@pytest.mark.parametrize("ruleset,case", RULE_CASES, ids=[f"{n}:{c.name}" for n, c in RULE_CASES])
def test_bundled_rule_tests_pass(ruleset, case):
    assert case.passed, "\n".join(case.differences)


def test_every_bundled_ruleset_has_rule_tests():
    assert set(known_rulesets(REPO)) >= {"2024", "2025", "library-demo"}
    assert all(case_files(REPO, name) for name in known_rulesets(REPO))


def test_a_wrong_expected_score_fails_with_a_readable_difference(tmp_path, run_cli):
    ws = copy_workspace(tmp_path / "ws")
    path = ws / "rulesets" / "2025" / "tests" / "reference.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("引进 500 强企业: 10", "引进 500 强企业: 9"), encoding="utf-8")
    result = run_cli("test", "--ruleset", "2025", workspace=ws)
    assert result.exit_code == 1
    assert "FAIL  参考报告：益阳市商务局 2025 年度自评表" in result.stdout
    assert "引进 500 强企业: expected 9, got 10 (higher_is_better:" in result.stdout
    assert re.search(r"rule tests: \d+ passed, 1 failed", result.stdout)  # only the edited case fails


@pytest.mark.chinese
def test_run_from_inside_the_workspace_is_told_where_the_workspace_is(tmp_path, run_cli, monkeypatch):
    """From projects/ (a new user's easy mistake), the message names the folder above that has the ruleset."""
    ws = copy_workspace(tmp_path / "ws")
    monkeypatch.chdir(ws / "projects" / "2025")
    here = run_cli("--ruleset", "2025")
    assert here.exit_code == 2
    assert here.stderr.strip().endswith("工作目录似乎是 ../..（那里有 rulesets/2025）：请在那里运行，或加 --workspace ../..")
    given = run_cli("--ruleset", "2025", workspace=ws / "projects")
    assert f"工作目录似乎是 {ws.resolve()}（那里有 rulesets/2025）" in given.stderr
    monkeypatch.chdir(tmp_path)
    assert run_cli("--ruleset", "2025").stderr.strip().endswith("；. 是 evalrun 的工作目录吗？")
