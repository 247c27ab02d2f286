"""What is not a plain file where evalrun reads one (a FIFO, a folder, a link in a loop or to nothing) fails alone, at once.

A FIFO opened for reading waits until something writes to it: a link to one among the project files, or a
form named like a workbook, would hold a run for ever. evalrun opens what it reads without waiting and
refuses anything but a plain file, with the file and what it is.
"""
from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from engine.errors import EvalrunError
from engine.files.reading import open_plain, read_file
from engine.files.stages import stage_files

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs and links are made the POSIX way")


@pytest.fixture(autouse=True)
def _no_waiting():
    """A test that waits on a FIFO fails after 10 s instead of holding the suite."""
    def stop(signum, frame):
        raise TimeoutError("evalrun waited on a FIFO")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(10)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def _fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe"
    os.mkfifo(path)
    return path


def test_a_fifo_is_refused_saying_what_it_is(tmp_path):
    with pytest.raises(EvalrunError, match="FIFO") as caught:
        read_file(_fifo(tmp_path), "projects/2025/部门/pipe.yaml")
    assert str(caught.value).startswith("projects/2025/部门/pipe.yaml: ")
    with pytest.raises(OSError, match="FIFO"):
        open_plain(tmp_path / "pipe")


def test_a_folder_is_refused_as_a_folder(tmp_path):
    (tmp_path / "x.yaml").mkdir()
    with pytest.raises(EvalrunError, match="文件夹"):
        read_file(tmp_path / "x.yaml", "x.yaml")


def test_a_link_to_a_fifo_among_the_project_files_fails_alone(run_cli, workspace):
    folder = next((workspace / "projects" / "2025").iterdir())
    (folder / "pipe.yaml").symlink_to(_fifo(workspace))
    result = run_cli("--ruleset", "2025", "--json", "--no-db", workspace=workspace)
    assert result.exit_code == 1
    assert f"projects/2025/{folder.name}/pipe.yaml: 这不是普通文件，而是管道（FIFO）" in result.stderr
    assert result.stdout.count('"grade": "优"') == 2  # the other projects are scored as ever


def test_a_stage_run_looks_at_a_fifo_without_waiting(tmp_path):
    link = tmp_path / "pipe.yaml"
    link.symlink_to(_fifo(tmp_path))
    assert stage_files([link], "target-review") == [link]  # kept: loading it says what is wrong


def test_a_fifo_named_as_a_form_is_refused(run_cli, workspace):
    os.mkfifo(workspace / "表.xlsx")
    result = run_cli("import", str(workspace / "表.xlsx"), workspace=workspace)
    assert result.exit_code != 0
    assert "FIFO" in result.stderr and "Traceback" not in result.stderr


def test_the_page_shows_why_it_cannot_show_a_fifo(tmp_path):
    from engine.web.importing import _bytes_now
    from engine.web.rules import source_lines

    fifo = _fifo(tmp_path)
    lines, why = source_lines(fifo, "rulesets/2025/ruleset.yaml")
    assert lines == [] and why.startswith("rulesets/2025/ruleset.yaml: ") and "FIFO" in why
    assert _bytes_now(fifo) == b"<unreadable>"


def test_links_in_a_loop_or_to_nothing_fail_alone_named_as_listed(run_cli, workspace):
    """The department's other projects are still listed and scored; each bad link fails with its own name."""
    folder = workspace / "projects" / "2025" / "益阳市商务局"
    (folder / "loop1.yaml").symlink_to("loop2.yaml")
    (folder / "loop2.yaml").symlink_to("loop1.yaml")
    (folder / "broken.yaml").symlink_to("moved-away.yaml")
    result = run_cli("--ruleset", "2025", "--json", "--no-db", workspace=workspace)
    assert result.exit_code == 1
    assert "projects/2025/益阳市商务局/loop1.yaml: 无法读取文件：链接形成循环" in result.stderr
    assert "projects/2025/益阳市商务局/broken.yaml: 无法读取文件：文件不存在" in result.stderr
    assert "内部错误" not in result.stderr
    import json

    document = json.loads(result.stdout)
    assert sorted(f["file"] for f in document["failures"]) == [
        f"projects/2025/益阳市商务局/{name}.yaml" for name in ("broken", "loop1", "loop2")]
    assert sorted(p["department"] for p in document["projects"]) == sorted(["益阳市商务局", "益阳市农业农村局"])


@pytest.mark.parametrize("make, kind", [(os.mkfifo, "管道（FIFO）"), (os.mkdir, "文件夹")])
def test_a_results_store_that_is_not_a_file_stops_the_run_saying_what_it_is(run_cli, workspace, make, kind):
    """SQLite said "disk I/O error" of a FIFO named evalrun.db (or waited on it), "unable to open" of a folder."""
    make(workspace / "evalrun.db")
    for args in (("--ruleset", "2025", "--json"), ("history", "--department", "益阳市商务局"), ("db", "check")):
        result = run_cli(*args, workspace=workspace)
        assert result.exit_code == 2, (args, result.output)
        assert result.stderr == f"evalrun：结果数据库 evalrun.db 不是普通文件，而是{kind}" + result.stderr.split(kind, 1)[1]
        assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.output
    assert not (workspace / "reports").exists() or not any((workspace / "reports").rglob("*.md"))
