"""`evalrun validate`: every file checked, which rules score each project."""
from __future__ import annotations

import pytest

# These tests read evalrun's English messages (--lang en); tests/test_language.py and test_bad_inputs.py check the Chinese default.
pytestmark = pytest.mark.usefixtures("english")


def test_validate_ok(run_cli, workspace):
    result = run_cli("validate", "--ruleset", "2025", workspace=workspace)
    assert result.exit_code == 0
    assert "\nok: ruleset cn-project-self-evaluation 2025.1" in result.stdout  # after which rules score each project


def test_validate_lists_every_problem_and_exits_1(run_cli, workspace):
    broken = workspace / "projects" / "2025" / "测试单位"
    broken.mkdir()
    (broken / "坏文件.yaml").write_text("project: [\n", encoding="utf-8")
    (broken / "另一个.yaml").write_text("project: 另一个\nweight: [\n", encoding="utf-8")
    result = run_cli("validate", "--ruleset", "2025", workspace=workspace)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[-1] == f"{len(lines) - 1} problems found" and len(lines) >= 3
    assert any(line.startswith("projects/2025/测试单位/坏文件.yaml:") for line in lines)
    assert any(line.startswith("projects/2025/测试单位/另一个.yaml:") for line in lines)
    assert "ok:" not in result.stdout


def test_validate_an_unknown_ruleset_is_a_usage_error_not_a_file_mistake(run_cli, workspace):
    result = run_cli("validate", "--ruleset", "2099", workspace=workspace)
    assert result.exit_code == 2
    assert result.stderr.startswith("evalrun: no ruleset `2099`")
