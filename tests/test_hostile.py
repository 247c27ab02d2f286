"""Hostile input: refused quickly, with bounded memory, and nothing executed or written outside.

Memory is measured with tracemalloc, never with clocks.
"""
from __future__ import annotations

import re
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.helpers import REFERENCE_FILE, REFERENCE_PROJECT
from engine.errors import EvalrunError, Source
from engine.rules.formulas import compile_formula
from engine.files.load import load_file, load_text
from engine.files.reading import MAX_FILE_BYTES

# These tests read evalrun's English messages (--lang en); tests/test_language.py and test_bad_inputs.py check the Chinese default.
pytestmark = pytest.mark.usefixtures("english")

MB = 1024 * 1024
NAMES = ("weight", "target", "actual", "met")
WHERE = Source("rulesets/2025/ruleset.yaml", 60, 14)


@pytest.fixture
def workspace(reference_workspace):
    """These tests count projects and outputs: only the reference project."""
    return reference_workspace



def peak_memory(action) -> tuple[int, BaseException | None]:
    """Peak bytes Python allocated while running action, and what it raised."""
    tracemalloc.start()
    try:
        action()
        raised = None
    except Exception as exc:  # noqa: BLE001 - returned to the test
        raised = exc
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak, raised


def alias_bomb(levels: int) -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_a_billion_laughs_is_refused_with_little_memory():
    peak, raised = peak_memory(lambda: load_text(alias_bomb(10), "bomb.yaml"))  # 9**10 values expanded
    assert isinstance(raised, EvalrunError) and "alias bomb" in str(raised)
    assert peak < 5 * MB


def test_merge_keys_count_as_expansion_too():
    text = "a: &a {x: 1, y: 2, z: 3}\n"
    for i in range(1, 12):
        text += f"m{i}: &m{i}\n" + "".join(f"  k{j}: *{'a' if i == 1 else f'm{i - 1}'}\n" for j in range(9))
    with pytest.raises(EvalrunError, match="alias bomb"):
        load_text(text, "merge.yaml")


def test_a_file_of_tens_of_megabytes_is_refused_before_it_is_read(tmp_path):
    huge = tmp_path / "huge.yaml"
    with huge.open("w", encoding="utf-8") as handle:
        line = "- " + "数据" * 40 + "\n"
        for _ in range(30 * MB // len(line.encode("utf-8"))):
            handle.write(line)
    assert huge.stat().st_size > 25 * MB
    peak, raised = peak_memory(lambda: load_file(huge, "projects/2025/x/huge.yaml"))
    assert isinstance(raised, EvalrunError)
    assert str(raised).startswith("projects/2025/x/huge.yaml: the file is 30.0 MB; evalrun reads YAML files of at most 5 MB")
    assert peak < MB


def test_a_huge_project_file_fails_alone_through_the_cli(workspace, run_cli):
    huge = workspace / "projects" / "2025" / "测试单位" / "huge.yaml"
    huge.parent.mkdir()
    huge.write_bytes(b"a: b\n" * (MAX_FILE_BYTES // 5 + 1))
    result = run_cli("--ruleset", "2025", workspace=workspace)
    assert result.exit_code == 1
    assert "projects/2025/测试单位/huge.yaml: the file is 5.0 MB; evalrun reads YAML files of at most 5 MB" in result.stderr
    assert "95.53" in result.stdout  # the other project is still evaluated


def test_a_million_tiny_values_are_refused_without_building_them():
    text = "a:\n" + "- 1\n" * 1_000_000
    peak, raised = peak_memory(lambda: load_text(text, "many.yaml"))
    assert isinstance(raised, EvalrunError) and "more than 50,000 values" in str(raised)
    assert peak < 20 * MB


@pytest.mark.parametrize("text", ["a: " + "[" * 100_000, "a:\n" + "".join(" " * i + f"k{i}:\n" for i in range(1, 500))])
def test_deep_nesting_is_refused_not_a_recursion_error(text):
    with pytest.raises(EvalrunError) as caught:
        load_text(text, "deep.yaml")
    assert caught.value.line > 0


# ---------------------------------------------------------------- formulas


@pytest.mark.parametrize("text,words", [
    ("weight.__class__.__mro__", "attribute access"),
    ("__import__('os').system('echo pwned')", "calls `__import__('os').system`"),
    ("__builtins__", "names starting with `_`"),
    ("weight * _", "names starting with `_`"),
    ("import os", "not a valid expression"),
    ("exec('1')", "calls `exec`"),
    ("getattr(weight, 'real')", "calls `getattr`"),
    ("9**9**9", "power"),
    ("weight ** 1000", "power"),
    ("(9**99)**(9**99)", "power"),
    ("'x' * 10**9", "constant"),
    ("weight" + " + 1" * 400, "characters long"),
    ("abs(" * 120 + "weight" + ")" * 120, "too complex"),
    ("-" * 900 + "weight", "too complex"),
    ("(" * 400 + "weight" + ")" * 400, "not a valid expression"),
    ("[weight for weight in (1, 2)]", "comprehensions"),
    ("{'a': 1}", "dicts"),
    ("f'{weight}'", "f-strings"),
    ("min(*weight)", "`*` arguments"),
    ("max(weight, key=abs)", "keyword arguments"),
])
def test_hostile_formulas_are_refused_at_load(text, words):
    with pytest.raises(EvalrunError) as caught:
        compile_formula(text, WHERE, NAMES)
    assert words in str(caught.value)
    assert str(caught.value).startswith("rulesets/2025/ruleset.yaml:60:14: ")


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=200) | st.text(alphabet="weighttarcl_.()[]*+-/%<>=! 0129'\"", max_size=80))
@example("\x00")  # Python 3.10's parser raised ValueError for a NUL byte, not SyntaxError: an internal error
@example("weight\x00 + 1")
def test_a_formula_is_either_accepted_or_refused_with_the_engines_error(text):
    try:
        formula = compile_formula(text, WHERE, NAMES)
    except EvalrunError as exc:
        assert str(exc).startswith("rulesets/2025/ruleset.yaml:60:14: ")
    else:
        assert formula.names <= set(NAMES)


# ---------------------------------------------------------------- names that could be paths


def _in_its_folder(workspace, department: str, name: str, text: str) -> None:
    """The project file where `evalrun import` puts a department of that name: its folder is the name made safe."""
    from engine.runner.write import safe_name

    folder = workspace / "projects" / "2025" / safe_name(department)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


@pytest.mark.parametrize("department", ["../../etc", "..", "/etc", "..\\..\\Windows", "CON", "a/../../b"])
def test_a_department_name_never_makes_a_path_outside_the_output_folder(workspace, run_cli, department):
    path = next((workspace / "projects" / "2025").glob("*/*.yaml"))
    text = path.read_text(encoding="utf-8").replace("department: 益阳市商务局", f"department: '{department}'")
    path.unlink()
    _in_its_folder(workspace, department, path.name, text)
    result = run_cli("--ruleset", "2025", workspace=workspace)
    assert result.exit_code == 0, result.stderr
    out = (workspace / "reports" / "out" / "2025").resolve()
    (written,) = [p for p in out.rglob("*.md") if p.name != "汇总.md"]  # the one report, not the year summary
    assert written.resolve().parent.parent == out
    assert written.name == f"{REFERENCE_PROJECT}.md"


def test_a_department_name_cannot_pick_templates_outside_the_workspace(tmp_path, run_cli):
    from tests.helpers import copy_workspace

    workspace = copy_workspace(tmp_path / "ws", reference_only=True)
    outside = tmp_path / "evil"
    outside.mkdir()
    (outside / "report.md.j2").write_text("EVIL TEMPLATE\n", encoding="utf-8")
    path = next((workspace / "projects" / "2025").glob("*/*.yaml"))
    text = path.read_text(encoding="utf-8").replace("department: 益阳市商务局", "department: ../../../evil")
    path.unlink()
    _in_its_folder(workspace, "../../../evil", path.name, text)
    assert run_cli("--ruleset", "2025", workspace=workspace).exit_code == 0
    (report,) = [p for p in (workspace / "reports" / "out").rglob("*.md") if p.name != "汇总.md"]
    assert "EVIL" not in report.read_text(encoding="utf-8")


def test_a_project_file_name_cannot_escape(workspace, run_cli):
    """File names come from the folder listing; a project file linking out of the workspace is refused."""
    folder = workspace / "projects" / "2025" / "测试单位"
    folder.mkdir()
    try:
        (folder / "link.yaml").symlink_to(REFERENCE_FILE)
    except OSError:
        pytest.skip("no symlinks here")
    result = run_cli("--ruleset", "2025", workspace=workspace)
    assert result.exit_code == 1
    assert f"projects/2025/测试单位/link.yaml: is a link to {REFERENCE_FILE}, outside the workspace" in result.stderr
    assert not (workspace / "reports" / "out" / "2025" / "测试单位").exists()


def test_the_ruleset_name_cannot_leave_the_workspace(workspace, run_cli):
    for name in ("../../etc", "/etc", "..", "2025/../2025"):
        result = run_cli("--ruleset", name, workspace=workspace)
        assert result.exit_code == 2, name
        assert "Traceback" not in result.output


def test_text_in_the_data_is_never_run_as_a_template(workspace, run_cli):
    path = next((workspace / "projects" / "2025").glob("*/*.yaml"))
    text = path.read_text(encoding="utf-8").replace(
        "date: 2026 年 4 月 27 日", "date: \"{{ ''.__class__.__mro__ }}{% raw %}\"")
    path.write_text(text, encoding="utf-8")
    assert run_cli("--ruleset", "2025", workspace=workspace).exit_code == 0
    (report,) = [p for p in (workspace / "reports" / "out").rglob("*.md") if p.name != "汇总.md"]
    assert "{{ ''.__class__.__mro__ }}{% raw %}" in report.read_text(encoding="utf-8")


def test_the_readme_states_the_limits_the_code_uses():
    from tests.helpers import REPO
    import engine.files.load as load

    readme = (REPO / "README.en.md").read_text(encoding="utf-8")  # the English README, kept in step with README.md
    section = readme[readme.index("## What evalrun refuses, and why"):readme.index("## For developers")]
    assert f"Files over {MAX_FILE_BYTES // MB} MB" in section
    assert f"more than {load.MAX_VALUES:,} values" in section
    assert f"deeper than {load.MAX_DEPTH} levels" in section
    assert f"past {load.MAX_EXPANDED_NODES:,}" in section


# ---------------------------------------------------------------- formulas planted in the Excel and Word files we publish

PLANTED = {
    "name: 对外承包工程和劳务合作完成营业额": 'name: "=HYPERLINK(\\"http://evil.example\\",\\"点击\\")"',
    "name: 引进 500 强企业": 'name: "+1+1"',
    "achieved: 直接利用外资同比增长 71.03%": 'achieved: "-2+3"',
    "organiser: 投资管理科": 'organiser: "@SUM(A1)"',
    "expected: 外贸进出口额同比增长 5.5%及以上": 'expected: "\\t=1+1"',
}


def plant(workspace: Path) -> Path:
    path = next((workspace / "projects" / "2025").glob("*/*.yaml"))
    text = path.read_text(encoding="utf-8")
    for old, new in PLANTED.items():
        assert old in text, old
        text = text.replace(old, new, 1)
    text = text.replace("project: 开放型经济发展与三产业发展引导资金", 'project: "=1+2"', 1)
    path.write_text(text, encoding="utf-8")
    return path


def text_cells(path: Path) -> dict:
    import openpyxl

    workbook = openpyxl.load_workbook(path)
    return {(ws.title, c.coordinate): c for ws in workbook.worksheets for row in ws.iter_rows() for c in row
            if isinstance(c.value, str) and c.value[:1] in "=+-@\t"}


def test_text_that_looks_like_a_formula_is_a_string_cell_in_every_workbook(workspace, run_cli):
    plant(workspace)
    assert run_cli("--ruleset", "2025", "--format", "xlsx", workspace=workspace).exit_code == 0
    assert run_cli("export", "--ruleset", "2025", workspace=workspace).exit_code == 0
    out = workspace / "reports" / "out" / "2025"
    books = [out / "益阳市商务局" / "开放型经济发展与三产业发展引导资金.xlsx", out / "汇总.xlsx", out / "forms" / "益阳市商务局.xlsx"]
    for book in books:
        cells = text_cells(book)
        values = {c.value for c in cells.values()}
        assert '=HYPERLINK("http://evil.example","点击")' in values, book
        assert {"=1+2", "+1+1"} <= values, book
        for cell in cells.values():
            assert cell.data_type == "s", (book, cell.coordinate, cell.value)
            assert cell.quotePrefix, (book, cell.coordinate)  # editing it in Excel keeps it text
    summary = text_cells(out / "汇总.xlsx")
    assert any(c.value == "=1+2" for c in summary.values())


def test_formula_text_reads_back_unchanged_through_import(workspace, run_cli, tmp_path):
    plant(workspace)
    assert run_cli("export", "--ruleset", "2025", workspace=workspace).exit_code == 0
    form = tmp_path / "form.xlsx"
    form.write_bytes((workspace / "reports/out/2025/forms/益阳市商务局.xlsx").read_bytes())
    target = tmp_path / "again"
    from tests.helpers import copy_workspace

    copy_workspace(target, projects=False)
    result = run_cli("import", str(form), "--year", "2025", workspace=target)
    assert result.exit_code == 0, result.output
    (written,) = (target / "projects" / "2025").rglob("*.yaml")
    text = written.read_text(encoding="utf-8")
    assert "=HYPERLINK(" in text and "+1+1" in text


def test_every_formula_start_is_written_as_text():
    import io

    import openpyxl

    from engine.outputs.xlsxcells import text_cell

    workbook = openpyxl.Workbook()
    starts = ["=1+1", "+1", "-1", "@A1", "\t=1", "\r=1", "\n=1", "=cmd|' /C calc'!A0", "plain", "a\uffffb", "a\x0bb"]
    for row, value in enumerate(starts, 1):
        text_cell(workbook.active.cell(row, 1), value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    for data_only in (False, True):
        cells = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()), data_only=data_only).active["A"]
        assert [c.data_type for c in cells] == ["s"] * len(starts)
        assert [c.value for c in cells][:-2] == starts[:-2]
        assert [c.value for c in cells][-2:] == ["a\ufffdb"] * 2  # what XML cannot hold is replaced, not a crash


def test_word_output_never_turns_text_into_a_field(workspace, run_cli):
    import zipfile

    path = plant(workspace)
    text = path.read_text(encoding="utf-8").replace(
        "date: 2026 年 4 月 27 日", 'date: "<w:fldSimple w:instr=\\"HYPERLINK http://evil\\"/>{ DDEAUTO c:\\\\x }"')
    path.write_text(text, encoding="utf-8")
    assert run_cli("--ruleset", "2025", "--format", "docx", workspace=workspace).exit_code == 0
    (docx,) = (workspace / "reports" / "out").rglob("*.docx")
    xml = zipfile.ZipFile(docx).read("word/document.xml").decode("utf-8")
    template = zipfile.ZipFile(REFERENCE_FILE.parents[3] / "reports/templates/report.docx").read(
        "word/document.xml").decode("utf-8")
    for field in ("<w:fldSimple", "<w:instrText", "<w:fldChar"):
        assert xml.count(field) == template.count(field)
    assert "&lt;w:fldSimple" in xml and "=HYPERLINK(" in xml


# ---------------------------------------------------------------- control characters, recursive aliases, number range


def edit_reference(workspace: Path, old: str, new: str) -> Path:
    path = next((workspace / "projects" / "2025").glob("*/*.yaml"))
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


@pytest.mark.parametrize("escape,code", [("\\v", "U+000B"), ("\\0", "U+0000"), ("\\x1b", "U+001B"),
                                         ("\\f", "U+000C"), ("\\r", "U+000D")])
def test_an_escaped_control_character_is_refused_at_load_in_a_run_and_in_export(workspace, run_cli, escape, code):
    path = edit_reference(workspace, "achieved: 直接利用外资同比增长 71.03%", f'achieved: "直接利用外资{escape}同比增长 71.03%"')
    line = line_of(path, "achieved: \"直接利用外资")
    for args in (["--ruleset", "2025"], ["export", "--ruleset", "2025"], ["validate", "--ruleset", "2025"]):
        result = run_cli(*args, workspace=workspace)
        assert result.exit_code == 1, result.output
        assert "Traceback" not in result.output and "IllegalCharacter" not in result.output
        errors = [e for e in result.stderr.splitlines() if not e.endswith(("problem found", "problems found"))]
        assert len(errors) == 1, errors
        assert errors[0].startswith(f"projects/2025/益阳市商务局/{REFERENCE_PROJECT}.yaml:{line}:"), errors[0]
        assert f"invisible character {code}" in errors[0]


def test_a_raw_control_byte_is_one_line_with_its_line_and_column(workspace, run_cli):
    path = next((workspace / "projects" / "2025").glob("*/*.yaml"))
    raw = path.read_bytes().replace("组织".encode(), "组\x0b织".encode(), 1)
    if raw == path.read_bytes():
        raw = path.read_bytes().replace("投资管理科".encode(), "投资\x0b管理科".encode(), 1)
    path.write_bytes(raw)
    line = raw[:raw.index(b"\x0b")].count(b"\n") + 1
    result = run_cli("validate", "--ruleset", "2025", workspace=workspace)
    errors = [e for e in result.stderr.splitlines() if not e.endswith(("problem found", "problems found"))]
    assert len(errors) == 1 and "Traceback" not in result.output
    assert re.match(rf"projects/2025/益阳市商务局/{REFERENCE_PROJECT}.yaml:{line}:\d+: this line holds the invisible "
                    r"character U\+000B \(a vertical tab", errors[0]), errors[0]


@pytest.mark.parametrize("text,line", [("a: &a [1, *a]\n", 1), ("x: 1\ny: &loop\n  z: *loop\n", 2)])
def test_a_recursive_alias_has_its_own_message(text, line):
    with pytest.raises(EvalrunError) as caught:
        load_text(text, "f.yaml")
    message = str(caught.value)
    assert message.startswith(f"f.yaml:{line}:") and "recursive alias" in message and "tab" not in message
    assert "\n" not in message


@pytest.mark.parametrize("old,new,words", [
    ("target: ≥5 家", "target: ≥9999999999999999 家", "too large; numbers have at most 15 digits"),
    ("actual: 12 家", "actual: " + "9" * 150 + " 家", "too large; numbers have at most 15 digits"),
    ("actual: 12 家", "actual: 0.00000000001 家", "more than 10 decimal places"),
    ("actual: 12 家", "actual: 1.0e+400", "is too large"),
    ("executed: 547.6879", "executed: 1.0e+400", "is too large"),
    ("executed: 547.6879", "executed: 0.1e-400", "more than 10 decimal places"),
])
def test_numbers_outside_the_range_are_refused_at_load(workspace, run_cli, old, new, words):
    path = edit_reference(workspace, old, new)
    line = line_of(path, new.split(":")[0] + ": " + new.split(": ", 1)[1][:6])
    result = run_cli("--ruleset", "2025", "--jobs", "2", workspace=workspace)
    assert result.exit_code == 1 and "Traceback" not in result.output and "internal error" not in result.output
    (error,) = result.stderr.splitlines()
    assert error.startswith(f"projects/2025/益阳市商务局/{REFERENCE_PROJECT}.yaml:{line}:"), error
    assert words in error


def test_import_reads_saved_values_and_never_evaluates_a_formula(workspace, run_cli, tmp_path):
    import openpyxl

    from tests.helpers import copy_workspace

    assert run_cli("export", "--ruleset", "2025", workspace=workspace).exit_code == 0
    form = tmp_path / "form.xlsx"
    book = openpyxl.load_workbook(workspace / "reports/out/2025/forms/益阳市商务局.xlsx")
    sheet = book.worksheets[0]
    sheet["F12"] = "=7000+983"  # a formula no spreadsheet program has calculated: no saved value
    book.save(form)
    target = copy_workspace(tmp_path / "again", projects=False)
    result = run_cli("import", str(form), "--year", "2025", workspace=target)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"form.xlsx!{sheet.title}!F12: " in result.stderr
    assert not list((target / "projects").rglob("*.yaml"))
