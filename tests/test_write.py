"""write: safe output names on every system, and staging that never leaves half a run behind."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import EvalrunError
from engine.runner.write import MAX_NAME_BYTES, STAGING_PREFIX, Staging, safe_name

# These tests read evalrun's English messages (--lang en); tests/test_language.py and test_bad_inputs.py check the Chinese default.
pytestmark = pytest.mark.usefixtures("english")

WINDOWS_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f]')
WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


@pytest.mark.parametrize("name,expected", [
    ("益阳市商务局", "益阳市商务局"),
    ("../../etc", "_._.._etc"),
    ("..", "_"),
    (".", "_"),
    ("", "_"),
    ("   ", "_"),
    ("a/b\\c", "a_b_c"),
    ("C:\\Windows", "C__Windows"),
    ("CON", "_CON"),
    ("con.md", "_con.md"),
    ("LPT1 .txt", "_LPT1 .txt"),
    ("报告. ", "报告"),
    ("what?*<>|\"", "what______"),
    ("line\nbreak", "line_break"),
    (".hidden", "_hidden"),
    ("0\xa0.", "0"),  # a no-break space before a trailing dot: gone too, or making it safe again would change it
])
def test_safe_name_examples(name, expected):
    assert safe_name(name) == expected


def test_safe_name_keeps_long_chinese_names_within_file_system_limits():
    name = safe_name("开放型经济发展与三产业发展引导资金" * 20)
    assert len(name.encode("utf-8")) < MAX_NAME_BYTES
    assert name.startswith("开放型经济发展")


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=300))
def test_safe_name_is_always_one_harmless_name(tmp_path_factory, name):
    out = safe_name(name)
    assert out and out == safe_name(out), "non-empty and stable"
    assert not WINDOWS_FORBIDDEN.search(out)
    assert out not in (".", "..") and not out.startswith(".")
    assert not out.endswith((".", " ")), "Windows would silently drop these"
    assert out.split(".")[0].strip().upper() not in WINDOWS_RESERVED
    assert len((out + ".docx").encode("utf-8")) <= 255
    root = tmp_path_factory.getbasetemp() / "out"
    assert (root / out).resolve().parent == root.resolve()


def test_staging_commits_only_at_the_end(tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    (target / "old.md").write_text("old", encoding="utf-8")
    with Staging(target) as staging:
        staging.write(Path("old.md"), "new")
        assert (target / "old.md").read_text(encoding="utf-8") == "old"
        staging.commit()
    assert (target / "old.md").read_text(encoding="utf-8") == "new"
    assert list(target.glob(STAGING_PREFIX + "*")) == []


def test_staging_that_fails_changes_nothing(tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    (target / "old.md").write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError):
        with Staging(target) as staging:
            staging.write(Path("old.md"), "new")
            raise RuntimeError("crash before commit")
    assert [p.name for p in target.iterdir()] == ["old.md"]
    assert (target / "old.md").read_text(encoding="utf-8") == "old"


def test_staging_refuses_paths_outside_the_output_folder(tmp_path):
    with Staging(tmp_path / "out") as staging:
        for bad in (Path("../escape.md"), Path("a/../../escape.md"), tmp_path / "abs.md"):
            with pytest.raises(EvalrunError, match="outside the output folder"):
                staging.write(bad, "x")
    assert not (tmp_path / "escape.md").exists() and not (tmp_path / "abs.md").exists()


def test_two_reports_with_the_same_name_are_refused_not_overwritten(tmp_path):
    with Staging(tmp_path / "out") as staging:
        staging.write(Path("部门/报告.md"), "first")
        with pytest.raises(EvalrunError, match="two projects would write the same report"):
            staging.write(Path("部门/报告.MD"), "second")


def test_staging_removes_what_a_killed_run_left(tmp_path):
    target = tmp_path / "out"
    leftover = target / f"{STAGING_PREFIX}killed"
    leftover.mkdir(parents=True)
    (leftover / "half.md").write_text("half", encoding="utf-8")
    with Staging(target) as staging:
        staging.commit()
    assert not leftover.exists()


def test_an_output_folder_that_cannot_be_made_is_a_clear_error(tmp_path):
    blocker = tmp_path / "out"
    blocker.write_text("a file where the folder should be", encoding="utf-8")
    with pytest.raises(EvalrunError, match="cannot write the reports here"):
        with Staging(blocker / "2025"):
            pass


def test_the_staged_and_written_files_are_listed_in_order(tmp_path):
    """The names are kept on disk, not in memory; the lists read them back in the order they were staged."""
    names = [Path(f"部门{n % 3}/报告{n}.md") for n in range(1200)]
    with Staging(tmp_path / "out") as staging:
        for name in names:
            staging.write(name, name.stem)
        assert list(staging.files) == names and len(staging.files) == 1200
        written = staging.commit()
    assert len(written) == 1200 and list(written) == [tmp_path / "out" / name for name in names]
    assert written[0] == tmp_path / "out/部门0/报告0.md" and written[-1] == tmp_path / "out/部门2/报告1199.md"
    assert (tmp_path / "out/部门1/报告700.md").read_text(encoding="utf-8") == "报告700"
