"""One broken project does not stop the others: the summary lists what failed, the exit code is 1,
and the good projects' reports are written."""
from __future__ import annotations

import pytest

import json
from pathlib import Path

from tests.helpers import REFERENCE_FILE, REFERENCE_PROJECT, copy_workspace, is_warning_finding

# These tests read evalrun's English messages (--lang en); tests/test_language.py and test_bad_inputs.py check the Chinese default.
pytestmark = pytest.mark.usefixtures("english")

GOOD = f"reports/out/2025/益阳市商务局/{REFERENCE_PROJECT}.md"


@pytest.fixture
def workspace(reference_workspace):
    """These tests count projects and outputs: only the reference project."""
    return reference_workspace



def add_project(workspace: Path, department: str, name: str, text: str) -> Path:
    path = workspace / "projects" / "2025" / department / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def reference_for(department: str) -> str:
    return REFERENCE_FILE.read_text(encoding="utf-8").replace("department: 益阳市商务局", f"department: {department}")


@pytest.mark.chinese  # reads the Chinese default: the findings, explain and store lines it checks
def test_broken_projects_are_listed_and_the_good_one_is_written(workspace, run_cli):
    add_project(workspace, "甲局", "语法错误", "project: [\n")
    add_project(workspace, "乙局", "目标读不懂", reference_for("乙局").replace("target: ≥5 家", "target: ≥五家"))
    result = run_cli("--ruleset", "2025", workspace=workspace)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    summary = result.stdout.splitlines()
    assert any("语法错误" in line and "失败" in line for line in summary)
    assert any("目标读不懂" in line and "失败" in line for line in summary)
    assert any(REFERENCE_PROJECT in line and "95.53" in line for line in summary)
    errors = [line for line in result.stderr.splitlines() if not is_warning_finding(line)]  # the reference's own
    assert len(errors) == 2
    assert errors[0].startswith("projects/2025/乙局/目标读不懂.yaml:") or errors[1].startswith("projects/2025/乙局/目标读不懂.yaml:")
    assert any(e.startswith("projects/2025/甲局/语法错误.yaml:2:") for e in errors)
    written = sorted(p.relative_to(workspace).as_posix() for p in (workspace / "reports" / "out").rglob("*.md")
                     if p.name != "汇总.md")
    assert written == [GOOD]


@pytest.mark.chinese  # reads the Chinese default: the findings, explain and store lines it checks
def test_a_project_with_an_error_finding_keeps_its_earlier_report(workspace, run_cli):
    other = add_project(workspace, "甲局", "甲项目", reference_for("甲局"))
    assert run_cli("--ruleset", "2025", workspace=workspace).exit_code == 0
    report = workspace / "reports/out/2025/甲局/甲项目.md"
    before = report.read_bytes()

    other.write_text(other.read_text(encoding="utf-8").replace("executed: 547.6879", "executed: 1547.6879"),
                     encoding="utf-8")
    result = run_cli("--ruleset", "2025", workspace=workspace)
    assert result.exit_code == 1
    assert "错误：全年执行数 1547.6879 万元 超过全年预算数 990 万元" in result.stderr
    assert report.read_bytes() == before
    assert (workspace / GOOD).is_file()


def test_a_broken_department_template_fails_only_that_department(workspace, run_cli):
    add_project(workspace, "甲局", "甲项目", reference_for("甲局"))
    template = workspace / "reports" / "templates" / "甲局" / "report.md.j2"
    template.parent.mkdir()
    template.write_text("# {{ project.name }}\n{{ project.nmae }}\n", encoding="utf-8")
    result = run_cli("--ruleset", "2025", workspace=workspace)
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if not is_warning_finding(line)]  # the reference's own
    assert errors[0].startswith("reports/templates/甲局/report.md.j2:2: the template uses an undefined name: ")
    assert "has no attribute 'nmae'" in errors[0] and len(errors) == 1
    assert (workspace / GOOD).is_file()
    assert not (workspace / "reports/out/2025/甲局").exists()


def test_json_output_lists_failures_too(workspace, run_cli):
    add_project(workspace, "甲局", "空文件", "")
    result = run_cli("--ruleset", "2025", "--json", workspace=workspace)
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    assert [p["project"] for p in payload["projects"]] == [REFERENCE_PROJECT]
    assert payload["failures"] == [{"file": "projects/2025/甲局/空文件.yaml",
                                    "errors": ["projects/2025/甲局/空文件.yaml:1: the file is empty; "
                                               "expected a YAML mapping (key: value lines)"]}]


def test_validate_lists_every_broken_file_sorted(workspace, run_cli):
    add_project(workspace, "乙局", "b", "project: [\n")
    add_project(workspace, "甲局", "a", "- 1\n")
    result = run_cli("validate", "--ruleset", "2025", workspace=workspace)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[-1] == "2 problems found"
    assert [line.split(":")[0] for line in lines[:-1]] == sorted(line.split(":")[0] for line in lines[:-1])


def test_a_run_with_only_broken_projects_writes_nothing(tmp_path, run_cli):
    workspace = copy_workspace(tmp_path / "ws", projects=False)
    add_project(workspace, "甲局", "坏", "project: [\n")
    result = run_cli("--ruleset", "2025", workspace=workspace)
    assert result.exit_code == 1
    out = workspace / "reports" / "out"
    assert not out.exists() or not [p for p in out.rglob("*") if p.is_file()]


def test_an_output_folder_that_is_a_file_is_a_clear_error_not_a_bug(workspace, run_cli):
    (workspace / "reports" / "out").write_text("not a folder", encoding="utf-8")
    result = run_cli("--ruleset", "2025", workspace=workspace)
    assert result.exit_code == 1
    assert result.stderr.startswith("reports/out: cannot write the reports here: ")
    assert (workspace / "reports" / "out").read_text(encoding="utf-8") == "not a folder"
