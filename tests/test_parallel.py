"""--jobs N gives exactly what --jobs 1 gives: output, reports, order, failures, exit code."""
from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.generate import project_data, to_yaml
import engine.runner.parallel as parallel
from engine import RunOptions, run
from tests.helpers import REFERENCE_PROJECT, copy_workspace


@pytest.fixture(scope="module")
def busy_workspace(tmp_path_factory) -> Path:
    """The example workspace plus generated projects, one broken file and one with a warning: 12 files, so
    three chunks of parallel.CHUNK (4 here), in three departments."""
    workspace = copy_workspace(tmp_path_factory.mktemp("busy") / "ws")
    root = workspace / "projects" / "2025"
    for index in range(8):
        data = project_data(5, index, 3)
        (root / data["department"]).mkdir(exist_ok=True)
        (root / data["department"] / f"p{index:03d}.yaml").write_text(to_yaml(data), encoding="utf-8")
    (root / "测试单位").mkdir()
    (root / "测试单位" / "坏文件.yaml").write_text("project: [\n", encoding="utf-8")
    warned = project_data(5, 99, 3)
    (root / warned["department"] / "warned.yaml").write_text(to_yaml(warned) + "reported_total: 1\n", encoding="utf-8")
    return workspace


@pytest.fixture(autouse=True)
def _small_chunks(monkeypatch):
    """Chunks of 4 project files, so that a few projects make several tasks (16 in use)."""
    monkeypatch.setattr(parallel, "CHUNK", 4)


def reports(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("extra", [(), ("--json",)])
def test_cli_output_is_the_same_with_two_jobs(run_cli, busy_workspace, tmp_path, extra):
    seen = []
    for jobs in ("1", "2"):
        out = tmp_path / f"out{jobs}"
        result = run_cli("--ruleset", "2025", "--jobs", jobs, "--output", str(out), "--db", f"{out}.db", *extra,
                         workspace=busy_workspace)  # a store each, so that both record run #1
        seen.append((result.exit_code, result.stdout.replace(str(out), "OUT"), result.stderr,
                     reports(out) if out.exists() else {}))
    assert seen[0] == seen[1]
    assert seen[0][0] == 1, "the broken file fails the run"
    assert "95.53" in seen[0][1] and "坏文件" in seen[0][2]
    if not extra:
        assert "与填报的总分 1 不符" in seen[0][2] or "填报的总分 1 与" in seen[0][2]
        markdown = [name for name in seen[0][3] if name.endswith(".md") and not name.endswith("汇总.md")]
        projects = len(list((busy_workspace / "projects" / "2025").glob("*/*.yaml")))
        assert len(markdown) == projects - 1 and f"2025/益阳市商务局/{REFERENCE_PROJECT}.md" in seen[0][3]


def test_library_results_are_the_same_with_two_jobs(busy_workspace):
    one = run(RunOptions(ruleset="2025", workspace=busy_workspace, write_reports=False))
    two = run(RunOptions(ruleset="2025", workspace=busy_workspace, write_reports=False, jobs=2))
    assert [r.total for r in one.results] == [r.total for r in two.results]
    assert [[row.score for row in r.all_rows] for r in one.results] == \
        [[row.score for row in r.all_rows] for r in two.results]
    assert all(r.ruleset is (two.ruleset if not r.ruleset.variant else
                             next(o.ruleset for o in two.results if o.ruleset.variant == r.ruleset.variant))
               for r in two.results), "results point to the run's own rulesets"
    assert all(r.ruleset.variant in ("", r.project.department) for r in two.results)
    assert one.summaries == two.summaries
    assert [(p, str(e)) for p, e in one.failures] == [(p, str(e)) for p, e in two.failures]
    trace = two.results[-1].rows[0].trace
    assert trace.formula is two.ruleset.methods[trace.method].formula and trace.inputs


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_workers_that_start_afresh_give_the_same_run(busy_workspace, tmp_path, monkeypatch, method):
    """Windows and macOS start workers afresh (spawn), as Linux does beside threads (forkserver): nothing a
    worker needs may come from the parent's memory. --json and the reports, as with --jobs 1."""
    import multiprocessing

    if method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"no {method} start on this platform")
    monkeypatch.setattr(parallel, "_context", lambda: multiprocessing.get_context(method))
    seen = []
    for jobs in (1, 2):
        out = tmp_path / f"out{jobs}"
        outcome = run(RunOptions(ruleset="2025", workspace=busy_workspace, jobs=jobs, output=out, db=None))
        seen.append(([(s.name, s.total, s.grade, s.findings) for s in outcome.summaries],
                     [(p, str(e)) for p, e in outcome.failures], reports(out)))
    assert seen[0] == seen[1] and seen[0][0] and seen[0][2]


def test_workers_fork_only_where_no_other_thread_runs(monkeypatch):
    """A fork beside a running thread can deadlock the child (Python 3.12 warns of it; 3.14 stops forking)."""
    import sys
    import threading

    if not sys.platform.startswith("linux"):
        pytest.skip("Linux chooses between fork and forkserver; elsewhere the platform's default start")
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    assert parallel._context().get_start_method() == "fork"
    monkeypatch.setattr(threading, "active_count", lambda: 2)
    assert parallel._context().get_start_method() == "forkserver"


def test_a_ruleset_edited_as_the_run_starts_is_the_users_to_redo_not_a_bug(run_cli, tmp_path, monkeypatch):
    from engine.runner import parallel

    workspace = copy_workspace(tmp_path / "ws", reference_only=True)
    ruleset = workspace / "rulesets" / "2025" / "ruleset.yaml"
    real_pool = parallel.ProcessPoolExecutor

    def saved_as_the_workers_start(*args, **kwargs):  # after the run read the ruleset, before its workers do
        ruleset.write_text(ruleset.read_text(encoding="utf-8").replace('"2025.1"', '"2025.2"'), encoding="utf-8")
        return real_pool(*args, **kwargs)

    monkeypatch.setattr(parallel, "ProcessPoolExecutor", saved_as_the_workers_start)
    result = run_cli("--ruleset", "2025", "--jobs", "2", workspace=workspace)
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines() == [  # in Chinese, evalrun's default
        "规则 `2025`（rulesets/2025/ 或它所继承的规则）在本次运行评价期间被修改了；没有写入任何内容；请在修改完成后再运行"]
    assert not (workspace / "reports" / "out" / "2025").exists()
    again = run_cli("--ruleset", "2025", "--jobs", "2", workspace=workspace)
    assert again.exit_code == 0 and "95.53" in again.stdout
