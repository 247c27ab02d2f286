"""Broken inputs: each gives one line with file and line, exit code 1, no traceback, nothing written.

Every case is one file or folder in tests/bad_inputs/, listed in cases.yaml
with the file, line and message it must produce: ``zh`` by default (Chinese),
``message`` under ``--lang en``. Files are copied byte for byte, so a case may
be GBK, UTF-16, binary or have a BOM.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from tests.helpers import REFERENCE_FILE, copy_workspace, problem_lines

HERE = Path(__file__).parent / "bad_inputs"
CASES = yaml.safe_load((HERE / "cases.yaml").read_text(encoding="utf-8"))
KINDS = ("project", "ruleset", "template", "workspace")
TEMPLATE = "reports/templates/report.md.j2"


def _add_reference_project(workspace: Path) -> None:
    department = workspace / "projects" / "2025" / "益阳市商务局"
    department.mkdir(parents=True, exist_ok=True)
    shutil.copy(REFERENCE_FILE, department / REFERENCE_FILE.name)


def place_case(tmp_path: Path, name: str, case: dict) -> tuple[Path, str]:
    """A workspace whose only broken file is the case; returns it and the file as shown.

    project: the case is the only project of 2025; ruleset: it is
    rulesets/2025/ruleset.yaml; template: it is the report template;
    workspace: a folder laid over the example workspace (without projects).
    """
    workspace = copy_workspace(tmp_path / "ws", projects=False, rulesets=("2025",))
    kind = case["kind"]
    if kind == "project":
        shown = f"projects/2025/测试单位/{name}"
    elif kind == "ruleset":
        shown = "rulesets/2025/ruleset.yaml"
    elif kind == "template":
        shown = TEMPLATE
    else:
        shutil.copytree(HERE / name, workspace, dirs_exist_ok=True)
        return workspace, case["file"]
    if kind in ("ruleset", "template"):
        _add_reference_project(workspace)
    target = workspace / shown
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(HERE / name, target)
    return workspace, case.get("file", shown)


def written_files(workspace: Path) -> list[Path]:
    out = workspace / "reports" / "out"
    return sorted(p for p in out.rglob("*") if p.is_file()) if out.exists() else []


def test_every_case_file_is_listed():
    files = {p.name for p in HERE.iterdir() if not p.name.startswith(("_", ".")) and p.name != "cases.yaml"}
    assert files == set(CASES)


def test_every_case_is_well_formed():
    assert len(CASES) >= 40
    for name, case in CASES.items():
        assert case["kind"] in KINDS, name
        assert isinstance(case["line"], int) and case["line"] > 0, name
        assert case["message"] and case["zh"], name
        assert (HERE / name).is_dir() == (case["kind"] == "workspace"), name
        if case["kind"] == "workspace":
            assert (HERE / name / case["file"]).is_file(), name


QUOTED = re.compile(r"`[^`]*`|「[^」]*」|“[^”]*”|'[^']*'|\"[^\"]*\"")
CJK = re.compile(r"[\u4e00-\u9fff]")
CJK_PUNCTUATION = re.compile(r"[\u3000-\u303f\uff01-\uff1f]")  # 。，；：（） and the like: Chinese sentences only


def own_words(line: str, shown: str) -> str:
    """The message's own words: without its place and what it quotes from the file (names, values)."""
    return QUOTED.sub("", line.removeprefix(shown))


def run_case(tmp_path, run_cli, name, *language):
    case = CASES[name]
    workspace, shown = place_case(tmp_path, name, case)
    result = run_cli(*language, "--ruleset", "2025", "--no-db", workspace=workspace)  # the store is tested elsewhere
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    errors = problem_lines(result.stderr)
    assert len(errors) == 1, errors
    assert written_files(workspace) == []
    return case, shown, errors[0]


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_gives_one_clear_line_in_chinese(tmp_path, run_cli, name):
    case, shown, line = run_case(tmp_path, run_cli, name)
    pattern = rf"^{re.escape(shown)}:{case['line']}(:\d+)?: .*{re.escape(case['zh'])}"
    assert re.search(pattern, line), line
    assert CJK.search(own_words(line, shown)), line  # Chinese words of its own, not only a quoted name


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_gives_one_clear_line_in_english(tmp_path, run_cli, name):
    case, shown, line = run_case(tmp_path, run_cli, name, "--lang", "en")
    pattern = rf"^{re.escape(shown)}:{case['line']}(:\d+)?: .*{re.escape(case['message'])}"
    assert re.search(pattern, line), line
    words = own_words(line, shown)  # English sentences; names and amounts from the files (产出指标, 万元) may be Chinese
    assert not CJK_PUNCTUATION.search(words) and len(re.findall(r"\b[a-z]{3,}\b", words)) >= 3, line


@pytest.mark.parametrize("name", sorted(CASES))
def test_validate_reports_the_same_line(tmp_path, run_cli, name):
    case = CASES[name]
    workspace, shown = place_case(tmp_path, name, case)
    result = run_cli("validate", "--ruleset", "2025", workspace=workspace)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert f"{shown}:{case['line']}" in result.stderr
    assert case["zh"].removeprefix("错误：") in result.stderr  # findings carry no prefix here
    assert written_files(workspace) == []
