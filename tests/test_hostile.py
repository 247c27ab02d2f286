"""Hostile input: refused quickly, with bounded memory, and nothing executed or written outside.

Memory is measured with tracemalloc, never with clocks.
"""
from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import REFERENCE_FILE, REFERENCE_PROJECT
from engine.errors import EvalrunError, Source
from engine.formulas import compile_formula
from engine.load import MAX_FILE_BYTES, load_file, load_text

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
    from engine.write import safe_name

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
    from conftest import copy_workspace

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
    """File names come from the folder listing; a symlinked project file is not followed."""
    folder = workspace / "projects" / "2025" / "测试单位"
    folder.mkdir()
    try:
        (folder / "link.yaml").symlink_to(REFERENCE_FILE)
    except OSError:
        pytest.skip("no symlinks here")
    result = run_cli("--ruleset", "2025", workspace=workspace)
    assert result.exit_code == 0
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
    from conftest import REPO
    from engine import load

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## What evalrun refuses, and why"):readme.index("## For developers")]
    assert f"Files over {load.MAX_FILE_BYTES // MB} MB" in section
    assert f"more than {load.MAX_VALUES:,} values" in section
    assert f"deeper than {load.MAX_DEPTH} levels" in section
    assert f"past {load.MAX_EXPANDED_NODES:,}" in section
