"""The command line as a user sees it: output, exit codes, help."""
from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pytest

from engine.cli import cli
from tests.helpers import REFERENCE_PROJECT, REPO

# These tests read evalrun's English messages (--lang en); tests/test_language.py and test_bad_inputs.py check the Chinese default.
pytestmark = pytest.mark.usefixtures("english")


def all_commands():
    yield (), cli
    for name, command in cli.commands.items():
        yield (name,), command


@pytest.mark.parametrize("path,command", list(all_commands()), ids=lambda x: " ".join(x) if isinstance(x, tuple) else "")
def test_every_command_has_help_text(run_cli, path, command):
    assert command.help and command.help.strip()
    result = run_cli(*path, "--help")
    assert result.exit_code == 0
    assert "Exit codes" in result.stdout
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden and param.name not in ("help", "version"):
            assert param.help, f"{path} --{param.name} has no help"


def test_exit_codes_are_documented_in_the_readme():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for code in ("**0**", "**1**", "**2**", "**3**"):
        assert code in readme


def test_missing_ruleset_option_is_usage_error(run_cli, workspace):
    result = run_cli(workspace=workspace)
    assert result.exit_code == 2
    assert "missing --ruleset" in result.stderr


def test_unknown_ruleset_lists_the_known_ones(run_cli, workspace):
    result = run_cli("--ruleset", "2099", workspace=workspace)
    assert result.exit_code == 2
    assert "no ruleset `2099`" in result.stderr and "2025" in result.stderr


def test_ruleset_name_cannot_leave_the_workspace(run_cli, workspace):
    result = run_cli("--ruleset", "../../etc", workspace=workspace)
    assert result.exit_code == 2
    assert "is not a ruleset name" in result.stderr


def test_unknown_option_is_usage_error(run_cli):
    assert run_cli("--no-such-option").exit_code == 2


def test_validate_ok(run_cli, workspace):
    result = run_cli("validate", "--ruleset", "2025", workspace=workspace)
    assert result.exit_code == 0
    assert "\nok: ruleset cn-project-self-evaluation 2025.1" in result.stdout  # after which rules score each project


def test_explain_shows_formula_inputs_and_sources(run_cli, workspace):
    result = run_cli("explain", "--ruleset", "2025", "--project", REFERENCE_PROJECT,
                     "--indicator", "预算执行率", workspace=workspace)
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert "公式 weight * min(rate, 1)" in text
    assert "executed = 547.6879" in text and "full_year = 990" in text
    assert re.search(r"rulesets/2025/ruleset\.yaml:\d+", text)
    assert re.search(r"projects/2025/益阳市商务局/.+\.yaml:\d+", text)
    assert "→ 5.53" in text


def test_explain_whole_project_ends_with_total_and_grade(run_cli, workspace):
    result = run_cli("explain", "--ruleset", "2025", "--project", REFERENCE_PROJECT, workspace=workspace)
    assert result.exit_code == 0
    assert "总分 = 预算执行率 5.53 + 产出指标 65 + 效益指标 15 + 满意度指标 10 = 95.53" in result.stdout
    assert "等级 优" in result.stdout


def test_explain_unknown_project_suggests(run_cli, workspace):
    result = run_cli("explain", "--ruleset", "2025", "--project", "开放型经济发展", workspace=workspace)
    assert result.exit_code == 2
    assert "no project `开放型经济发展`" in result.stderr


def test_explain_unknown_indicator(run_cli, workspace):
    result = run_cli("explain", "--ruleset", "2025", "--project", REFERENCE_PROJECT,
                     "--indicator", "群众满意", workspace=workspace)
    assert result.exit_code == 2
    assert "did you mean `群众满意度`?" in result.stderr


def test_error_finding_gives_exit_code_1_and_still_reports(run_cli, workspace):
    path = workspace / "projects" / "2025" / "益阳市商务局" / f"{REFERENCE_PROJECT}.yaml"
    text = path.read_text(encoding="utf-8").replace("    weight: 5\n", "    weight: 4\n", 1)
    path.write_text(text, encoding="utf-8")
    result = run_cli("--ruleset", "2025", workspace=workspace)
    assert result.exit_code == 1
    assert "error: 产出指标各三级指标分值合计 64，规则规定产出指标为 65 分" in result.stderr


def test_warning_finding_keeps_exit_code_0(run_cli, workspace):
    path = workspace / "projects" / "2025" / "益阳市商务局" / f"{REFERENCE_PROJECT}.yaml"
    text = path.read_text(encoding="utf-8").replace("executed: 547.6879", "executed: 547.6878")
    path.write_text(text, encoding="utf-8")
    result = run_cli("--ruleset", "2025", workspace=workspace)
    assert result.exit_code == 0
    assert "warning: 20 条支出明细合计 547.6879 万元，与全年执行数 547.6878 万元 不符" in result.stderr


def test_one_broken_project_does_not_stop_the_others(run_cli, workspace):
    broken = workspace / "projects" / "2025" / "测试单位" / "坏文件.yaml"
    broken.parent.mkdir()
    broken.write_text("project: [\n", encoding="utf-8")
    result = run_cli("--ruleset", "2025", workspace=workspace)
    assert result.exit_code == 1
    assert "95.53" in result.stdout and "失败" in result.stdout
    assert "projects/2025/测试单位/坏文件.yaml:" in result.stderr
    assert (workspace / "reports/out/2025/益阳市商务局" / f"{REFERENCE_PROJECT}.md").is_file()


def test_json_is_valid_and_deterministic(run_cli, workspace):
    first = run_cli("--ruleset", "2025", "--json", workspace=workspace).stdout
    second = run_cli("--ruleset", "2025", "--json", workspace=workspace).stdout
    assert first == second
    assert REFERENCE_PROJECT in [p["project"] for p in json.loads(first)["projects"]]


def test_readme_test_command_is_what_ci_runs():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    command = "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/pytest"
    assert command in readme and command in ci


def test_a_closed_pipe_is_not_an_internal_error(tmp_path):
    import shutil
    import subprocess
    import sys

    from tests.helpers import REFERENCE_FILE, copy_workspace

    workspace = copy_workspace(tmp_path / "ws", reference_only=True)
    text = REFERENCE_FILE.read_text(encoding="utf-8")
    for index in range(40):  # JSON well beyond a pipe's buffer; each copy its own project
        copy = text.replace("project: 开放型经济发展与三产业发展引导资金", f"project: 项目{index}", 1)
        (workspace / "projects" / "2025" / REFERENCE_FILE.parent.name / f"{index}.yaml").write_text(copy, encoding="utf-8")
    process = subprocess.Popen([sys.executable, "-m", "engine.cli", "--ruleset", "2025", "--json",
                                "--workspace", str(workspace)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.readline()
    process.stdout.close()  # like `| head -1`
    _, err = process.communicate(timeout=120)
    assert b"internal error" not in err and b"Traceback" not in err
    assert process.returncode == 0
