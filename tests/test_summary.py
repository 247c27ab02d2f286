"""The year's 汇总 and the CLI's --format, --quiet and progress, as a user sees them."""
from __future__ import annotations

import pytest

import openpyxl

from tests.helpers import REFERENCE_PROJECT
from tests.helpers import add_department

# These tests read evalrun's English messages (--lang en); tests/test_language.py and test_bad_inputs.py check the Chinese default.
pytestmark = pytest.mark.usefixtures("english")

OUT = "reports/out/2025"


@pytest.fixture
def workspace(reference_workspace):
    """These tests count outputs: only the reference project."""
    return reference_workspace



def low_scoring(text: str) -> str:
    """The reference project with 3 家 of ≥5 家: 10 × 3/5 = 6 points, total 91.53."""
    return text.replace("actual: 12 家", "actual: 3 家")


def test_summary_lists_every_project_sorted_with_grades_and_findings(run_cli, workspace):
    add_department(workspace, "甲单位", low_scoring)
    add_department(workspace, "乙单位", lambda t: t.replace("executed: 547.6879", "executed: 547.6878"))
    broken = workspace / "projects" / "2025" / "丙单位" / "坏文件.yaml"
    broken.parent.mkdir()
    broken.write_text("project: [\n", encoding="utf-8")

    result = run_cli("--ruleset", "2025", workspace=workspace)
    assert result.exit_code == 1  # the broken file
    md = (workspace / OUT / "汇总.md").read_text(encoding="utf-8")
    lines = [line for line in md.splitlines() if line.startswith("| ") and line[2].isdigit()]
    assert [line.split(" | ")[1] for line in lines[:4]] == ["丙单位", "乙单位", "甲单位", "益阳市商务局"]
    assert "| 未能评价 |" in lines[0] and "坏文件.yaml:" in lines[0]
    assert "| 95.53 | 优 | 提示：20 条支出明细合计 547.6879" in lines[1]
    assert "| 91.53 | 优 |" in lines[2]
    assert f"[{REFERENCE_PROJECT}](<益阳市商务局/{REFERENCE_PROJECT}.md>)" in lines[3]
    assert "共 4 个部门、4 个项目，其中 1 个未能评价。" in md
    assert "| 优（≥90） | 3 | 75% |" in md and "| 未能评价 | 1 | 25% |" in md

    html = (workspace / OUT / "汇总.html").read_text(encoding="utf-8")
    assert html.index("丙单位") < html.index("乙单位") < html.index("甲单位") < html.index("益阳市商务局</td>")
    assert 'href="%E7%9B%8A%E9%98%B3%E5%B8%82%E5%95%86%E5%8A%A1%E5%B1%80/' in html

    ws = openpyxl.load_workbook(workspace / OUT / "汇总.xlsx")["汇总"]
    assert [ws[f"B{r}"].value for r in range(4, 8)] == ["丙单位", "乙单位", "甲单位", "益阳市商务局"]
    assert [ws[f"G{r}"].value for r in range(4, 8)] == [None, 95.53, 91.53, 95.53]
    assert ws["H4"].value == "未能评价"
    assert len(openpyxl.load_workbook(workspace / OUT / "汇总.xlsx").sheetnames) == 4  # 汇总 + 3 projects


def test_format_chooses_the_outputs(run_cli, workspace):
    result = run_cli("--ruleset", "2025", "--format", "xlsx, md", workspace=workspace)
    assert result.exit_code == 0, result.stderr
    written = sorted(p.relative_to(workspace / OUT).as_posix() for p in (workspace / OUT).rglob("*") if p.is_file())
    assert written == sorted(["汇总.md", "汇总.xlsx", f"益阳市商务局/{REFERENCE_PROJECT}.md",
                              f"益阳市商务局/{REFERENCE_PROJECT}.xlsx"])


def test_all_formats_by_default(run_cli, workspace):
    assert run_cli("--ruleset", "2025", workspace=workspace).exit_code == 0
    names = {p.name for p in (workspace / OUT).rglob("*") if p.is_file()}
    assert names == {"汇总.md", "汇总.html", "汇总.xlsx"} | {f"{REFERENCE_PROJECT}.{e}" for e in ("md", "html", "docx", "xlsx")}


def test_unknown_format_is_a_usage_error(run_cli, workspace):
    result = run_cli("--ruleset", "2025", "--format", "pdf", workspace=workspace)
    assert result.exit_code == 2
    assert "unknown format `pdf`; choose from md, html, docx, xlsx" in result.stderr


def test_a_run_of_some_projects_leaves_the_summary_alone(run_cli, workspace):
    assert run_cli("--ruleset", "2025", workspace=workspace).exit_code == 0
    add_department(workspace, "甲单位", low_scoring)
    assert run_cli("--ruleset", "2025", "--project", REFERENCE_PROJECT, workspace=workspace).exit_code == 0
    md = (workspace / OUT / "汇总.md").read_text(encoding="utf-8")
    assert "甲单位" not in md and "共 1 个部门、1 个项目" in md


def test_no_progress_bar_when_not_on_a_terminal_or_quiet(run_cli, workspace):
    for extra in ((), ("--quiet",)):
        result = run_cli("--ruleset", "2025", "--format", "md", *extra, workspace=workspace)
        assert result.exit_code == 0
        assert "评价中" not in result.output


@pytest.mark.chinese  # reads the Chinese default: the findings, explain and store lines it checks
def test_progress_bar_runs_over_the_projects(workspace, capsys):
    from engine import RunOptions, run
    from engine.runner.progress import progress

    options = RunOptions(ruleset="2025", workspace=workspace, formats=("md",))
    seen = []
    with progress(options, enabled=True) as on_project:
        run(options, on_project=lambda path, outcome: (seen.append(path.stem), on_project(path, outcome)))
    assert seen == [REFERENCE_PROJECT]
    assert "评价中" in capsys.readouterr().err  # click draws the bar itself only on a terminal
