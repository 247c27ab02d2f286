"""A full (or over-quota, or read-only) disk: one clear line, exit code 1, and nothing written or half-written.

Two ways: a real, tiny tmpfs mounted for the test where the test may mount one (as root on
Linux; skipped with the reason otherwise), and os.write / os.replace made to fail with ENOSPC,
EDQUOT or EROFS, which reaches every write path on any system.
"""
from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.helpers import REFERENCE_PROJECT, copy_workspace, problem_lines
from engine.cli import cli
from engine.runner.write import STAGING_PREFIX

# These tests read evalrun's English messages (--lang en); tests/test_language.py and test_bad_inputs.py check the Chinese default.
pytestmark = pytest.mark.usefixtures("english")

DEPARTMENT = "益阳市商务局"
REPORT = Path("reports/out/2025") / DEPARTMENT / f"{REFERENCE_PROJECT}.md"


@pytest.fixture
def workspace(tmp_path) -> Path:
    return copy_workspace(tmp_path / "ws", reference_only=True)


def run(workspace: Path, *args):
    return CliRunner().invoke(cli, [*args, "--workspace", str(workspace)], catch_exceptions=False)


def leftovers(folder: Path) -> list:
    return [p for p in folder.rglob("*") if p.name.startswith((STAGING_PREFIX, ".evalrun.lock")) or
            p.name.endswith(".tmp")] if folder.exists() else []


def snapshot(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()} \
        if folder.exists() else {}


# ---------------------------------------------------------------- a real full disk


@pytest.fixture
def tiny_disk(tmp_path):
    """A 256 KB tmpfs, unmounted afterwards; skipped (with the reason) where it cannot be mounted."""
    if sys.platform != "linux" or os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a small tmpfs needs root on Linux; the ENOSPC tests below cover the same paths")
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,nr_inodes=400", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def fill(folder: Path) -> None:
    """Fill the disk under ``folder`` to the last byte."""
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        for size in (65536, 4096, 256, 16, 1):
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)


def test_a_full_disk_under_the_lock_is_one_line_and_leaves_nothing(workspace, tiny_disk):
    fill(tiny_disk)
    result = run(workspace, "--ruleset", "2025", "--output", str(tiny_disk))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    (line,) = problem_lines(result.stderr)
    assert "the disk is full" in line and "nothing was written" in line
    assert sorted(p.name for p in tiny_disk.iterdir()) == ["filler"]


def test_a_disk_that_fills_during_the_run_keeps_the_earlier_reports(workspace, tiny_disk):
    assert run(workspace, "--ruleset", "2025", "--format", "md", "--output", str(tiny_disk)).exit_code == 0
    fill(tiny_disk)
    os.truncate(tiny_disk / "filler", os.path.getsize(tiny_disk / "filler") - 24 * 1024)  # room for a little only
    before = snapshot(tiny_disk)
    assert f"2025/{DEPARTMENT}/{REFERENCE_PROJECT}.md" in before
    result = run(workspace, "--ruleset", "2025", "--output", str(tiny_disk))  # docx, xlsx, html do not fit
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    assert "the disk is full" in result.stderr
    assert snapshot(tiny_disk) == before
    assert leftovers(tiny_disk) == []


def test_export_to_a_full_disk(workspace, tiny_disk):
    fill(tiny_disk)
    result = run(workspace, "export", "--ruleset", "2025", "--output", str(tiny_disk / "forms"))
    assert result.exit_code == 1, result.output
    assert "the disk is full" in result.stderr and "Traceback" not in result.output
    assert sorted(p.name for p in tiny_disk.iterdir()) == ["filler"]


def test_json_to_a_full_disk_is_a_user_error(workspace, tiny_disk):
    fill(tiny_disk)
    os.truncate(tiny_disk / "filler", os.path.getsize(tiny_disk / "filler") - 2048)  # room for a little only
    done = subprocess.run([sys.executable, "-m", "engine.cli", "--ruleset", "2025", "--json", "--workspace",
                           str(workspace)], stdout=open(tiny_disk / "out.json", "wb"), stderr=subprocess.PIPE,
                          text=True, cwd=Path(__file__).resolve().parent.parent, timeout=60)
    assert done.returncode == 1, done.stderr
    assert "cannot write the output: the disk is full" in done.stderr
    assert "Traceback" not in done.stderr


# ---------------------------------------------------------------- ENOSPC, EDQUOT, EROFS by hand

FAILURES = {"ENOSPC": "the disk is full", "EDQUOT": "the disk is full", "EROFS": "the disk is read-only"}


def failing(name: str):
    def fail(*args, **kwargs):
        raise OSError(getattr(errno, name), os.strerror(getattr(errno, name)))

    return fail


@pytest.mark.parametrize("name", sorted(FAILURES))
@pytest.mark.parametrize("call", ["write", "replace"])
def test_every_write_path_reports_a_full_or_read_only_disk(workspace, monkeypatch, name, call):
    if not hasattr(errno, name):
        pytest.skip(f"no {name} on this system")
    assert run(workspace, "--ruleset", "2025", "--format", "md").exit_code == 0
    out = workspace / "reports" / "out"
    before = snapshot(out)
    monkeypatch.setattr(os, call, failing(name))
    for args in (["--ruleset", "2025"], ["export", "--ruleset", "2025"], ["new", "2026", "--from", "2025"]):
        result = run(workspace, *args)
        assert result.exit_code == 1, (args, result.output)
        assert "Traceback" not in result.output and "internal error" not in result.output
        lines = problem_lines(result.stderr)
        assert len(lines) == 1 and FAILURES[name] in lines[0], (args, lines)
        assert snapshot(out) == before
        assert leftovers(out) == []
    assert not (workspace / "rulesets" / "2026" / "ruleset.yaml").exists()


def test_import_on_a_full_disk(workspace, monkeypatch, tmp_path):
    assert run(workspace, "export", "--ruleset", "2025").exit_code == 0
    form = tmp_path / "form.xlsx"
    form.write_bytes((workspace / "reports/out/2025/forms" / f"{DEPARTMENT}.xlsx").read_bytes())
    shutil.rmtree(workspace / "projects" / "2025" / DEPARTMENT)
    monkeypatch.setattr(os, "write", failing("ENOSPC"))
    result = run(workspace, "import", str(form), "--year", "2025")
    assert result.exit_code == 1, result.output
    assert "the disk is full" in result.stderr and "Traceback" not in result.output
    assert not (workspace / "projects" / "2025" / DEPARTMENT).exists() or \
        not list((workspace / "projects" / "2025" / DEPARTMENT).rglob("*.yaml"))


def test_the_lock_on_a_full_disk_leaves_no_lock_file(workspace, monkeypatch):
    monkeypatch.setattr(os, "write", failing("ENOSPC"))
    result = run(workspace, "--ruleset", "2025")
    assert result.exit_code == 1
    assert result.stderr.startswith("reports/out: cannot write the reports here: the disk is full")
    assert not (workspace / "reports" / "out" / ".evalrun.lock").exists()
