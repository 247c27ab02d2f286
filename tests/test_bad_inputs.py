"""Broken inputs: each gives one line with file and line, exit code 1, no traceback, nothing written."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import REFERENCE_FILE, copy_workspace

HERE = Path(__file__).parent / "bad_inputs"
CASES = yaml.safe_load((HERE / "cases.yaml").read_text(encoding="utf-8"))


def place_case(tmp_path: Path, name: str, kind: str) -> tuple[Path, str]:
    """A workspace whose only broken file is the case; returns it and the file as shown."""
    workspace = copy_workspace(tmp_path / "ws", projects=False)
    if kind == "ruleset":
        target = workspace / "rulesets" / "2025" / "ruleset.yaml"
        department = workspace / "projects" / "2025" / "益阳市商务局"
        department.mkdir(parents=True)
        shutil.copy(REFERENCE_FILE, department / REFERENCE_FILE.name)
        shown = "rulesets/2025/ruleset.yaml"
    else:
        target = workspace / "projects" / "2025" / "测试单位" / name
        target.parent.mkdir(parents=True)
        shown = f"projects/2025/测试单位/{name}"
    shutil.copyfile(HERE / name, target)
    return workspace, shown


def test_every_case_file_is_listed():
    files = {p.name for p in HERE.iterdir() if not p.name.startswith("_") and p.name != "cases.yaml"}
    assert files == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_gives_one_clear_line(tmp_path, run_cli, name):
    case = CASES[name]
    workspace, shown = place_case(tmp_path, name, case["kind"])
    result = run_cli("--ruleset", "2025", workspace=workspace)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1, errors
    pattern = rf"^{re.escape(shown)}:{case['line']}(:\d+)?: .*{re.escape(case['message'])}"
    assert re.search(pattern, errors[0]), errors[0]
    out = workspace / "reports" / "out"
    written = [p for p in out.rglob("*") if p.is_file()] if out.exists() else []
    assert written == []


@pytest.mark.parametrize("name", sorted(n for n, c in CASES.items() if c["kind"] == "ruleset"))
def test_validate_reports_the_same_line(tmp_path, run_cli, name):
    workspace, shown = place_case(tmp_path, name, "ruleset")
    result = run_cli("validate", "--ruleset", "2025", workspace=workspace)
    assert result.exit_code == 1
    assert f"{shown}:{CASES[name]['line']}" in result.stderr
