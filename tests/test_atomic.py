"""Atomic outputs: a run that crashes, is interrupted or killed leaves earlier reports as they were,
and two runs at once on one workspace do not interleave.

Runs that must be stopped halfway use the test-only hook EVALRUN_TEST_HOLD
(engine/runner/write.py): after staging its first report the run creates the
marker file and waits until the test deletes it. No timing guesses.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import REFERENCE_FILE, copy_workspace
from engine import api
from engine.runner.lock import LOCK_NAME, RunLock
from engine.runner.write import STAGING_PREFIX

# These tests read evalrun's English messages (--lang en); tests/test_language.py and test_bad_inputs.py check the Chinese default.
pytestmark = pytest.mark.usefixtures("english")

DEPARTMENTS = ("甲局", "乙局", "丙局")
posix_only = pytest.mark.skipif(os.name == "nt", reason="POSIX signals")


def three_project_workspace(root: Path) -> Path:
    workspace = copy_workspace(root, projects=False)
    text = REFERENCE_FILE.read_text(encoding="utf-8")
    for department in DEPARTMENTS:
        folder = workspace / "projects" / "2025" / department
        folder.mkdir(parents=True)
        (folder / "项目.yaml").write_text(text.replace("department: 益阳市商务局", f"department: {department}"),
                                         encoding="utf-8")
    return workspace


def edit_every_project(workspace: Path) -> None:
    """Change what the next run would write, so a mixed result would show."""
    for path in (workspace / "projects" / "2025").glob("*/*.yaml"):
        text = path.read_text(encoding="utf-8").replace("部门评价报告\n", "部门评价报告（修订）\n", 1)
        assert "（修订）" in text
        path.write_text(text, encoding="utf-8")


def snapshot(folder: Path) -> dict:
    """Every file under folder (hidden ones too) -> its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def visible(files: dict) -> dict:
    return {k: v for k, v in files.items() if not any(part.startswith(".") for part in k.split("/"))}


def start_run(workspace: Path, hold: Path | None = None, **popen) -> subprocess.Popen:
    env = dict(os.environ)
    env.pop("EVALRUN_TEST_HOLD", None)
    if hold is not None:
        env["EVALRUN_TEST_HOLD"] = str(hold)
    return subprocess.Popen(
        [sys.executable, "-m", "engine.cli", "--ruleset", "2025", "--format", "md", "--quiet",
         "--workspace", str(workspace)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8", **popen,
    )


def wait_for(marker: Path, process: subprocess.Popen) -> None:
    """Until the run reaches the hook; fails (does not hang) if it exits or never gets there."""
    deadline = time.monotonic() + 120
    while not marker.exists():
        if process.poll() is not None:
            pytest.fail(f"the run ended before the hook: {process.communicate()}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("the run never reached the hook")
        time.sleep(0.02)


@pytest.fixture
def previous_run(tmp_path):
    """A workspace with the reports of a finished run, and those reports' bytes."""
    workspace = three_project_workspace(tmp_path / "ws")
    first = start_run(workspace)
    out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    outputs = workspace / "reports" / "out"
    before = snapshot(outputs)
    assert len(before) == len(DEPARTMENTS) + 1  # a report per department and the year's 汇总.md
    edit_every_project(workspace)
    return workspace, outputs, before


@posix_only
@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT], ids=lambda s: s.name)
def test_a_run_killed_halfway_leaves_earlier_outputs_intact(tmp_path, previous_run, signum):
    workspace, outputs, before = previous_run
    hold = tmp_path / "hold"
    run = start_run(workspace, hold)
    wait_for(hold, run)  # one new report is staged, the others are not yet written
    run.send_signal(signum)
    _, err = run.communicate(timeout=120)
    assert run.returncode != 0
    assert "Traceback" not in err
    assert visible(snapshot(outputs)) == before
    if signum == signal.SIGINT:  # Python unwinds: the message, and nothing left behind
        assert run.returncode == 130 and "interrupted; earlier outputs are unchanged" in err
        assert snapshot(outputs) == before

    again = start_run(workspace)  # the next run takes over the dead run's lock and leftovers
    _, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    after = snapshot(outputs)
    assert set(after) == set(before), "no staging folder or lock file is left"
    assert all("（修订）" in content.decode("utf-8") for name, content in after.items() if name != "2025/汇总.md")


@posix_only
def test_a_second_run_at_the_same_time_is_refused_and_names_the_first(tmp_path, previous_run, run_cli):
    workspace, outputs, before = previous_run
    hold = tmp_path / "hold"
    first = start_run(workspace, hold)
    wait_for(hold, first)

    second = run_cli("--ruleset", "2025", workspace=workspace)
    assert second.exit_code == 2
    assert f"another evalrun run is writing to reports/out (pid {first.pid}" in second.stderr
    assert "wait for it to finish" in second.stderr
    assert visible(snapshot(outputs)) == before

    hold.unlink()  # let the first run finish
    _, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert run_cli("--ruleset", "2025", workspace=workspace).exit_code == 0
    assert not (outputs / LOCK_NAME).exists()


def test_a_held_lock_refuses_a_run_in_the_same_process(workspace, run_cli):
    outputs = workspace / "reports" / "out"
    with RunLock(outputs):
        result = run_cli("--ruleset", "2025", workspace=workspace)
    assert result.exit_code == 2
    assert f"pid {os.getpid()}" in result.stderr and "Traceback" not in result.output
    assert run_cli("--ruleset", "2025", workspace=workspace).exit_code == 0


def test_a_lock_file_left_by_a_dead_run_is_taken_over(workspace, run_cli):
    lock = workspace / "reports" / "out" / LOCK_NAME
    lock.parent.mkdir(parents=True)
    lock.write_text(json.dumps({"pid": 999999, "host": "old", "command": "evalrun --ruleset 2025"}), encoding="utf-8")
    result = run_cli("--ruleset", "2025", workspace=workspace)
    assert result.exit_code == 0, result.stderr
    assert not lock.exists()


def test_an_internal_error_is_reported_as_a_bug_and_writes_nothing(previous_run, run_cli, monkeypatch):
    workspace, outputs, before = previous_run
    calls = []
    real = api.evaluate

    def crash_on_the_second_project(ruleset, project):
        calls.append(project.department)
        if len(calls) == 2:
            raise RuntimeError("simulated bug")
        return real(ruleset, project)

    monkeypatch.setattr(api, "evaluate", crash_on_the_second_project)
    result = run_cli("--ruleset", "2025", workspace=workspace)
    assert result.exit_code == 3
    assert "evalrun: internal error: RuntimeError: simulated bug" in result.stderr
    assert "This is a bug in evalrun, not in your files" in result.stderr and "Please report it" in result.stderr
    assert "Traceback" not in result.output
    assert snapshot(outputs) == before
    assert not list(outputs.rglob(STAGING_PREFIX + "*"))
