"""`evalrun --ruleset NAME`, the run: usage errors, exit codes, findings, failures, JSON, a closed pipe."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.helpers import REFERENCE_FILE, REFERENCE_PROJECT, copy_workspace

# These tests read evalrun's English messages (--lang en); tests/test_language.py and test_bad_inputs.py check the Chinese default.
pytestmark = pytest.mark.usefixtures("english")


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


@pytest.mark.chinese  # reads the Chinese default: the findings, explain and store lines it checks
def test_error_finding_gives_exit_code_1_and_still_reports(run_cli, workspace):
    path = workspace / "projects" / "2025" / "益阳市商务局" / f"{REFERENCE_PROJECT}.yaml"
    text = path.read_text(encoding="utf-8").replace("    weight: 5\n", "    weight: 4\n", 1)
    path.write_text(text, encoding="utf-8")
    result = run_cli("--ruleset", "2025", workspace=workspace)
    assert result.exit_code == 1
    assert "错误：产出指标各三级指标分值合计 64，规则规定产出指标为 65 分" in result.stderr


@pytest.mark.chinese  # reads the Chinese default: the findings, explain and store lines it checks
def test_warning_finding_keeps_exit_code_0(run_cli, workspace):
    path = workspace / "projects" / "2025" / "益阳市商务局" / f"{REFERENCE_PROJECT}.yaml"
    text = path.read_text(encoding="utf-8").replace("executed: 547.6879", "executed: 547.6878")
    path.write_text(text, encoding="utf-8")
    result = run_cli("--ruleset", "2025", workspace=workspace)
    assert result.exit_code == 0
    assert "提示：20 条支出明细合计 547.6879 万元，与全年执行数 547.6878 万元 不符" in result.stderr


@pytest.mark.chinese  # reads the Chinese default: the findings, explain and store lines it checks
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


def test_a_closed_pipe_is_not_an_internal_error(tmp_path):
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
