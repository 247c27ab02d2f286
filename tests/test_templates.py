"""Templates: a department's own replaces the default for it alone; data is never run; errors say where."""
from __future__ import annotations

import re
from pathlib import Path

import docx
import openpyxl
import pytest

from engine import RunOptions, run
from tests.helpers import REFERENCE_PROJECT
from tests.helpers import OTHER, add_department, word_template

# These tests read evalrun's English messages (--lang en); tests/test_language.py and test_bad_inputs.py check the Chinese default.
pytestmark = pytest.mark.usefixtures("english")



@pytest.fixture
def workspace(reference_workspace):
    """These tests count outputs: only the reference project."""
    return reference_workspace





def own_templates(workspace: Path, department: str = OTHER) -> Path:
    folder = workspace / "reports" / "templates" / department
    folder.mkdir(parents=True, exist_ok=True)
    return folder




def outputs(workspace: Path, department: str, extension: str) -> Path:
    return workspace / "reports/out/2025" / department / f"{REFERENCE_PROJECT}.{extension}"


def docx_text(path: Path) -> str:
    document = docx.Document(str(path))
    cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_department_template_is_used_for_that_department_only(workspace):
    add_department(workspace)
    folder = own_templates(workspace)
    (folder / "report.html.j2").write_text("<p>测试单位专用 {{ project.department }} {{ total | num }}</p>\n", encoding="utf-8")
    (folder / "report.md.j2").write_text("测试单位专用 {{ project.department }}\n", encoding="utf-8")
    word_template(folder / "report.docx", "测试单位专用 Word {{ project.department }} {{ total | num }}")

    assert run(RunOptions(ruleset="2025", workspace=workspace)).ok
    assert outputs(workspace, OTHER, "html").read_text(encoding="utf-8") == f"<p>测试单位专用 {OTHER} 95.53</p>\n"
    assert outputs(workspace, OTHER, "md").read_text(encoding="utf-8") == f"测试单位专用 {OTHER}\n"
    assert docx_text(outputs(workspace, OTHER, "docx")) == f"测试单位专用 Word {OTHER} 95.53"
    # the other department keeps the defaults
    assert "测试单位专用" not in outputs(workspace, "益阳市商务局", "html").read_text(encoding="utf-8")
    assert "测试单位专用" not in outputs(workspace, "益阳市商务局", "md").read_text(encoding="utf-8")
    assert "自评表" in docx_text(outputs(workspace, "益阳市商务局", "docx"))


def test_department_includes_fall_back_to_the_default_parts(workspace):
    add_department(workspace)
    (own_templates(workspace) / "self_evaluation_table.html.j2").write_text("<p>自定义自评表 {{ total | num }}</p>\n",
                                                                            encoding="utf-8")
    run(RunOptions(ruleset="2025", workspace=workspace, formats=("html",)))
    mine = outputs(workspace, OTHER, "html").read_text(encoding="utf-8")
    assert "<p>自定义自评表 95.53</p>" in mine and "一、项目基本情况" in mine
    assert "自定义自评表" not in outputs(workspace, "益阳市商务局", "html").read_text(encoding="utf-8")


def test_text_in_the_data_is_never_run_as_a_template(workspace):
    trap = "{{ 7*7 }} {% if true %}X{% endif %} <b>粗</b> & {%p endfor %}"
    path = next((workspace / "projects" / "2025").glob("*/*.yaml"))
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"  intro: >-\n(    .*\n)+", f"  intro: '{trap}'\n", text, count=1)  # the report's opening
    text = text.replace("    reported_score: 10\n", f"    reported_score: 10\n    explanation: '{trap}'\n", 1)
    path.write_text(text, encoding="utf-8")

    outcome = run(RunOptions(ruleset="2025", workspace=workspace))
    assert outcome.ok, outcome.failures
    department = path.parent.name
    md = outputs(workspace, department, "md").read_text(encoding="utf-8")
    assert md.count("{{ 7*7 }} {% if true %}X{% endif %}") == 2
    html = outputs(workspace, department, "html").read_text(encoding="utf-8")
    assert html.count("{{ 7*7 }} {% if true %}X{% endif %} &lt;b&gt;粗&lt;/b&gt; &amp; {%p endfor %}") == 2
    assert "<b>粗</b>" not in html
    word = docx_text(outputs(workspace, department, "docx"))
    assert word.count(trap) == 2
    sheet = openpyxl.load_workbook(outputs(workspace, department, "xlsx")).active
    assert sheet["I12"].value == trap


@pytest.mark.parametrize("name,body,line,message", [
    ("report.html.j2", "<p>\n{{ project.nme }}\n</p>\n", 2, "undefined name"),
    ("report.html.j2", "<p>{% for x in %}</p>\n", 1, "template syntax error"),
    ("report.md.j2", "ok\n\n{{ ''.__class__.__mro__ }}\n", 3, "sandbox"),
])
def test_template_error_names_the_template_and_line(run_cli, workspace, name, body, line, message):
    add_department(workspace)
    (own_templates(workspace) / name).write_text(body, encoding="utf-8")
    result = run_cli("--ruleset", "2025", workspace=workspace)
    assert result.exit_code == 1
    assert f"reports/templates/{OTHER}/{name}:{line}: " in result.stderr and message in result.stderr
    assert "Traceback" not in result.stderr
    assert outputs(workspace, "益阳市商务局", "md").is_file()  # the other department still gets its reports
    assert not outputs(workspace, OTHER, "md").exists()


def test_word_template_error_names_the_file_and_the_paragraph(run_cli, workspace):
    add_department(workspace)
    word_template(own_templates(workspace) / "report.docx", "第一段", "项目：{{ project.nme }}")
    result = run_cli("--ruleset", "2025", "--format", "docx", workspace=workspace)
    assert result.exit_code == 1
    assert f"reports/templates/{OTHER}/report.docx:" in result.stderr
    assert "undefined name" in result.stderr and "项目：{{ project.nme }}" in result.stderr


def test_word_template_runs_in_the_sandbox(run_cli, workspace):
    add_department(workspace)
    word_template(own_templates(workspace) / "report.docx", "{{ ''.__class__.__mro__[1].__subclasses__() }}")
    result = run_cli("--ruleset", "2025", "--format", "docx", workspace=workspace)
    assert result.exit_code == 1
    assert "sandbox" in result.stderr and "Traceback" not in result.stderr


def test_a_file_that_is_not_a_word_document(run_cli, workspace):
    add_department(workspace)
    (own_templates(workspace) / "report.docx").write_text("not a zip", encoding="utf-8")
    result = run_cli("--ruleset", "2025", "--format", "docx", workspace=workspace)
    assert result.exit_code == 1
    assert f"reports/templates/{OTHER}/report.docx: cannot read the Word template" in result.stderr


def test_department_name_cannot_reach_templates_outside_the_workspace(workspace, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "report.md.j2").write_text("外部模板\n", encoding="utf-8")
    add_department(workspace, name="_._.._.._outside", edit=lambda t: t.replace("department: _._.._.._outside",
                                                                                "department: ../../../outside"))
    run(RunOptions(ruleset="2025", workspace=workspace, formats=("md",)))
    written = [p.read_text(encoding="utf-8") for p in (workspace / "reports" / "out" / "2025").glob("*/*.md")]
    assert len(written) == 2 and not any("外部模板" in text for text in written)
