"""`evalrun validate` and a run report every problem at once, each once, with file and line.

Projects and rulesets: the schema's errors together with the meaning errors
of every part the schema accepted. Templates: compiled and rendered against
an example, a mistake reported with its folder and line. Project files: one
file per project, in its department's folder.
"""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from tests.helpers import REFERENCE_FILE, REFERENCE_PROJECT, copy_workspace

# These tests read evalrun's English messages (--lang en); tests/test_language.py and test_bad_inputs.py check the Chinese default.
pytestmark = pytest.mark.usefixtures("english")

REFERENCE = f"projects/2025/益阳市商务局/{REFERENCE_PROJECT}.yaml"
RULESET = "rulesets/2025/ruleset.yaml"


def _edit(path: Path, *pairs: tuple[str, str]) -> None:
    """Replace each `old` (which must occur) by `new`, the first occurrence only."""
    text = path.read_text(encoding="utf-8")
    for old, new in pairs:
        assert old in text, old
        text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")


def _line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line)


def _problems(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip() and not line.endswith(("problem found", "problems found"))]


# ---------------------------------------------------------------- projects


def test_three_typos_in_three_rows_give_three_lines(tmp_path, run_cli):
    ws = copy_workspace(tmp_path / "ws", reference_only=True, templates=True)
    path = ws / REFERENCE
    _edit(path, ("    weight: 10\n    reported_score: 10\n  - level1: 产出指标\n    level2: 数量指标\n    name: 引进",
                 "    wieght: 10\n    reported_score: 10\n  - level1: 产出指标\n    level2: 数量指标\n    name: 引进"),
          ("name: 引进 500 强企业\n    target: ≥5 家\n    actual: 12 家\n    weight: 10",
           "name: 引进 500 强企业\n    target: ≥5 家\n    actual: 12 家\n    weight: 10分"),
          ("    level2: 质量指标\n", "    level2: 质量指\n"))
    result = run_cli("validate", "--ruleset", "2025", workspace=ws)
    assert result.exit_code == 1
    problems = _problems(result)
    assert len(problems) == 3, problems
    assert "3 problems found" in result.stderr
    assert all(p.startswith(f"{REFERENCE}:") for p in problems)
    assert "unknown key `wieght` in indicators[0] (did you mean `weight`?)" in problems[0]
    assert "weights and scores are plain numbers of points (分), without a unit: write `10`" in problems[1]
    assert "`质量指` is not a second-level indicator of 产出指标 (did you mean `质量指标`?)" in problems[2]
    lines = [int(p.split(":")[1]) for p in problems]
    assert lines == sorted(lines) and len(set(lines)) == 3


def test_schema_and_meaning_errors_of_one_file_come_together(tmp_path, run_cli):
    """A misspelt key no longer hides an unreadable target in another row, or one in the same row."""
    ws = copy_workspace(tmp_path / "ws", reference_only=True, templates=True)
    path = ws / REFERENCE
    _edit(path, ("target: 7000 万美元以上", "target: ≥七千万美元"),
          ("    weight: 10\n    reported_score: 10\n", "    wieght: 10\n    reported_score: 10\n"),
          ("target: ≥5 家", "target: ≥五家"),
          ("level1: 效益指标", "level1: 效益指"))
    for command in (["validate", "--ruleset", "2025"], ["--ruleset", "2025", "--format", "md"]):
        result = run_cli(*command, workspace=ws)
        assert result.exit_code == 1
        problems = [p for p in _problems(result) if p.startswith(REFERENCE)]
        assert len(problems) == 4, problems
        assert "cannot read the target `≥七千万美元`" in problems[0], "checked although its row has a misspelt key"
        assert "unknown key `wieght`" in problems[1]
        assert "cannot read the target `≥五家`" in problems[2]
        assert "the first-level indicator `效益指` is not in the ruleset's framework" in problems[3]


# ---------------------------------------------------------------- rulesets


def test_every_problem_of_a_ruleset_at_once(tmp_path, run_cli):
    ws = copy_workspace(tmp_path / "ws", reference_only=True, templates=True)
    path = ws / RULESET
    _edit(path, ("    label: 正向指标", "    lable: 正向指标"),
          ("weight * target / actual", "weight * taget / actual"),
          ("  - name: 产出指标\n    weight: 65", "  - name: 产出指标\n    weight: 6五"),
          ("{name: 达成年度指标, from: 0.8, to: 1}", "{name: 达成年度指标, from: 0.9, to: 1}"),
          ("score: weight * min(rate, 1)", "score: weight * min(rat, 1)"))
    result = run_cli("validate", "--ruleset", "2025", workspace=ws)
    assert result.exit_code == 1
    problems = _problems(result)
    assert "5 problems found" in result.stderr, problems
    assert all(p.startswith(f"{RULESET}:") for p in problems)
    expected = [
        "uses the unknown name `rat` (did you mean `rate`?)",
        "framework[0].weight should be a number, got the text `6五`",
        "unknown key `lable` in methods.higher_is_better (did you mean `label`?)",
        "uses the unknown name `taget` (did you mean `target`?)",
        "between the level `部分达成并具有一定效果` (up to 0.8) and the one above (from 0.9) there is a gap",
    ]
    for problem, words in zip(problems, expected):
        assert words in problem, (problem, words)
    assert not any("is missing the required key `label`" in p for p in problems), "an echo of `lable`"


def test_a_broken_ruleset_does_not_hide_the_project_files_problems(tmp_path, run_cli):
    ws = copy_workspace(tmp_path / "ws", reference_only=True, templates=True)
    _edit(ws / RULESET, ("weight * target / actual", "weight * taget / actual"))
    _edit(ws / REFERENCE, ("    weight: 10\n", "    wieght: 10\n"))
    result = run_cli("validate", "--ruleset", "2025", workspace=ws)
    assert result.exit_code == 1
    problems = _problems(result)
    assert [p.split(":")[0] for p in problems] == [REFERENCE, RULESET], problems


def test_a_broken_department_variant_is_reported_once_even_without_projects(tmp_path, run_cli):
    ws = copy_workspace(tmp_path / "ws", reference_only=True, templates=True)
    variant = ws / "rulesets/2025/departments/益阳市农业农村局.yaml"
    _edit(variant, ("(weight * max(0, 1 - (actual - target) / target)", "(weight * max(0, 1 - (actual - taget) / target)"))
    result = run_cli("validate", "--ruleset", "2025", workspace=ws)
    assert result.exit_code == 1
    assert _problems(result) == [p for p in _problems(result) if p.startswith("rulesets/2025/departments/益阳市农业农村局.yaml:")]
    assert len(_problems(result)) == 1 and "unknown name `taget`" in result.stderr
    # with two projects in that department, still once
    department = ws / "projects/2025/益阳市农业农村局"
    department.mkdir(parents=True)
    farm = Path(__file__).resolve().parent.parent / "projects/2025/益阳市农业农村局/高标准农田建设项目.yaml"
    shutil.copy(farm, department / "a.yaml")
    _edit(department / "a.yaml", ("project: 高标准农田建设项目", "project: 高标准农田建设项目一期"))
    shutil.copy(farm, department / "b.yaml")
    for command in (["validate", "--ruleset", "2025"], ["--ruleset", "2025", "--format", "md"]):
        result = run_cli(*command, workspace=ws)
        assert result.exit_code == 1
        assert len([p for p in _problems(result) if "taget" in p]) == 1, result.stderr


# ---------------------------------------------------------------- templates


def _department_template(ws: Path, department: str, name: str, old: str, new: str) -> tuple[Path, int]:
    folder = ws / "reports" / "templates" / department
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(ws / "reports" / "templates" / name, folder / name)
    _edit(folder / name, (old, new))
    return folder / name, _line_of(folder / name, new)


def test_a_typo_in_a_department_template_is_found_by_validate_with_folder_and_line(tmp_path, run_cli, monkeypatch):
    ws = copy_workspace(tmp_path / "ws", reference_only=True, templates=True)
    assert run_cli("validate", "--ruleset", "2025", workspace=ws).exit_code == 0
    _, line = _department_template(ws, "益阳市商务局", "report.html.j2", "{{ project.department }}", "{{ project.nme }}")
    expected = (f"reports/templates/益阳市商务局/report.html.j2:{line}: the template uses an undefined name: "
                "'dict object' has no attribute 'nme'")
    result = run_cli("validate", "--ruleset", "2025", workspace=ws)
    assert result.exit_code == 1
    assert _problems(result) == [expected]
    monkeypatch.chdir(ws)  # the default workspace `.`: the place is the same
    for command in (["validate", "--ruleset", "2025"], ["--ruleset", "2025", "--format", "html"]):
        result = run_cli(*command, workspace=Path("."))
        assert result.exit_code == 1
        assert expected in _problems(result), result.stderr


def test_a_department_template_is_checked_even_when_the_department_has_no_project(tmp_path, run_cli):
    ws = copy_workspace(tmp_path / "ws", reference_only=True, templates=True)
    _, line = _department_template(ws, "益阳市财政局", "report.md.j2", "{{ project.department }}", "{{ projcet.department }}")
    result = run_cli("validate", "--ruleset", "2025", workspace=ws)
    assert result.exit_code == 1
    assert _problems(result) == [f"reports/templates/益阳市财政局/report.md.j2:{line}: the template uses an undefined "
                                 "name: 'projcet' is undefined"]


def test_every_template_file_is_compiled_and_the_summary_rendered(tmp_path, run_cli):
    ws = copy_workspace(tmp_path / "ws", reference_only=True, templates=True)
    (ws / "reports/templates/益阳市商务局").mkdir()
    (ws / "reports/templates/益阳市商务局/notes.md.j2").write_text("一\n{% if x %}\n", encoding="utf-8")
    _edit(ws / "reports/templates/summary.md.j2", ("{{ r.grade }}", "{{ r.grdae }}"))
    line = _line_of(ws / "reports/templates/summary.md.j2", "r.grdae")
    result = run_cli("validate", "--ruleset", "2025", workspace=ws)
    assert result.exit_code == 1
    problems = _problems(result)
    assert len(problems) == 2, problems
    assert problems[0].startswith("reports/templates/summary.md.j2:%d: the template uses an undefined name" % line)
    assert problems[1].startswith("reports/templates/益阳市商务局/notes.md.j2:2: template syntax error: Unexpected end")


def test_templates_are_checked_without_any_project(tmp_path, run_cli):
    ws = copy_workspace(tmp_path / "ws", projects=False, templates=True)
    _edit(ws / "reports/templates/report.md.j2", ("{{ project.department }}", "{{ project.departmnet }}"))
    result = run_cli("validate", "--ruleset", "2025", workspace=ws)
    assert result.exit_code == 1
    assert re.match(r"reports/templates/report.md.j2:\d+: the template uses an undefined name: .*'departmnet'",
                    _problems(result)[0])


def test_validate_says_what_it_checked(tmp_path, run_cli):
    ws = copy_workspace(tmp_path / "ws")
    result = run_cli("validate", "--ruleset", "2025", workspace=ws)
    assert result.exit_code == 0, result.stderr
    assert re.search(r"ok: ruleset cn-project-self-evaluation 2025\.1, 1 department variant, 2 project files "
                     r"and the report templates are valid", result.stdout), result.stdout


# ---------------------------------------------------------------- one file per project, in its folder


def test_two_files_of_one_project_are_an_error_naming_both(tmp_path, run_cli):
    ws = copy_workspace(tmp_path / "ws", reference_only=True, templates=True)
    copy = ws / "projects/2025/益阳市商务局/开放型经济发展与三产业发展引导资金 - 副本.yaml"
    shutil.copy(REFERENCE_FILE, copy)
    for command in (["validate", "--ruleset", "2025"], ["--ruleset", "2025"]):
        result = run_cli(*command, workspace=ws)
        assert result.exit_code == 1
        problems = _problems(result)
        assert len(problems) == 1, problems
        assert problems[0].startswith(f"{REFERENCE}:")  # the later file, in file order
        assert f"describes the same project as projects/2025/益阳市商务局/{copy.name}" in problems[0]
        assert "「开放型经济发展与三产业发展引导资金」 of 「益阳市商务局」" in problems[0]
    assert result.stdout.count("failed (see errors)") == 2, "neither file is scored"
    assert not (ws / "reports/out/2025/益阳市商务局").exists()


def test_duplicates_are_found_with_jobs_too(tmp_path, run_cli):
    ws = copy_workspace(tmp_path / "ws", reference_only=True, templates=True)
    shutil.copy(REFERENCE_FILE, ws / "projects/2025/益阳市商务局/copy.yaml")
    result = run_cli("--ruleset", "2025", "--jobs", "2", "--json", workspace=ws)
    assert result.exit_code == 1
    output = json.loads(result.stdout)
    assert output["projects"] == [] and len(output["failures"]) == 2
    assert len(_problems(result)) == 1 and "describes the same project as" in result.stderr


def test_a_file_in_another_departments_folder_is_an_error_naming_both(tmp_path, run_cli):
    ws = copy_workspace(tmp_path / "ws", reference_only=True, templates=True)
    folder = ws / "projects/2025/益阳市财政局"
    folder.mkdir()
    moved = folder / REFERENCE_FILE.name
    shutil.move(ws / REFERENCE, moved)
    line = _line_of(moved, "department:")
    for command in (["validate", "--ruleset", "2025"], ["--ruleset", "2025"]):
        result = run_cli(*command, workspace=ws)
        assert result.exit_code == 1
        problems = _problems(result)
        assert len(problems) == 1, problems
        assert problems[0].startswith(f"projects/2025/益阳市财政局/{REFERENCE_FILE.name}:{line}:")
        assert "`department: 益阳市商务局`" in problems[0] and "「益阳市财政局」" in problems[0]
        assert "move the file to projects/2025/益阳市商务局/" in problems[0]


def test_every_problem_of_a_ruleset_that_extends_another(tmp_path, run_cli):
    """Overrides of what the parent lacks, and what the merged rules then mean, all at once."""
    ws = copy_workspace(tmp_path / "ws", projects=False)
    (ws / "rulesets/2026").mkdir()
    (ws / "rulesets/2026/ruleset.yaml").write_text(
        'extends: "2025"\nfiscal_year: 2026\nframework:\n  - {name: 产出指, weight: 60}\n  - {name: 效益指, remove: true}\n'
        "methods:\n  lower_is_better: {formula: weight * taget}\ngrades:\n  - {grade: 优, min: 9O}\n", encoding="utf-8")
    result = run_cli("validate", "--ruleset", "2026", workspace=ws)
    assert result.exit_code == 1
    problems = _problems(result)
    assert [p.split(":")[1] for p in problems] == ["4", "5", "7", "9"], problems
    assert "overrides `产出指` in framework, which the parent does not have (did you mean `产出指标`?)" in problems[0]
    assert "removes `效益指`, which the parent does not have (did you mean `效益指标`?)" in problems[1]
    assert "uses the unknown name `taget`" in problems[2]
    assert problems[3].endswith("grades[0].min should be a number, got the text `9O`")


def test_a_typo_in_a_department_word_template_is_found_by_validate(tmp_path, run_cli):
    from tests.helpers import word_template

    ws = copy_workspace(tmp_path / "ws", reference_only=True, templates=True)
    folder = ws / "reports/templates/益阳市商务局"
    folder.mkdir()
    word_template(folder / "report.docx", "第一段", "项目：{{ project.nme }}")
    result = run_cli("validate", "--ruleset", "2025", workspace=ws)
    assert result.exit_code == 1
    (problem,) = _problems(result)
    assert problem.startswith("reports/templates/益阳市商务局/report.docx:2: the template uses an undefined name: "
                              "'dict object' has no attribute 'nme' (paragraph 2: “项目：{{ project.nme }}”)"), problem
