"""The results store, as a user sees it, against SQLite and against a real PostgreSQL server.

Every test here runs twice: on a SQLite file and on a fresh database of the
PostgreSQL server of tests/store_support.py (skipped with the reason when
there is none, except under CI). Runs that must be stopped or overlapped
halfway use the test-only hook EVALRUN_TEST_HOLD_DB (engine/store/recorder.py):
FILE.begin appears just before the run's write transaction, FILE once it is
inside it, and the run waits until the test deletes FILE. No timing guesses.
"""
from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, select, text, update
from sqlalchemy.pool import NullPool

from tests.helpers import REFERENCE_PROJECT, copy_workspace
from engine import api
from engine.cli import cli
from engine.store import schema
from engine.store.check import schema_differences
from engine.store.database import revisions
from engine.store.export import csv_rows
from tests.store_support import fresh_database

# These tests read evalrun's English messages (--lang en); tests/test_language.py and test_bad_inputs.py check the Chinese default.
pytestmark = pytest.mark.usefixtures("english")

posix_only = pytest.mark.skipif(os.name == "nt", reason="POSIX signals")


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    """The URL of an empty store of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'evalrun.db'}"
        return
    url, drop = fresh_database(request.getfixturevalue("postgres_server"))
    yield url
    drop()


@pytest.fixture
def two_years(tmp_path):
    return copy_workspace(tmp_path / "ws", years=("2024", "2025"))


def evalrun(workspace: Path, store: str, *args: str):
    """`evalrun ARGS --db STORE --workspace WORKSPACE` through click's runner."""
    return CliRunner().invoke(cli, [*args, "--db", store, "--workspace", str(workspace)], catch_exceptions=False)


def engine_for(store: str):
    return create_engine(store, poolclass=NullPool)


def snapshot(store: str) -> dict:
    """Every row of every table of the store, in a stable order."""
    engine = engine_for(store)
    try:
        with engine.connect() as connection:
            return {t.name: sorted(map(repr, connection.execute(select(t)).all())) for t in schema.TABLES}
    finally:
        engine.dispose()


def counts(store: str) -> dict:
    return {name: len(rows) for name, rows in snapshot(store).items()}


@pytest.mark.chinese  # reads the Chinese default: the findings, explain and store lines it checks
def test_two_years_give_history_with_both_years_and_the_rules_of_each(two_years, store):
    for year in ("2024", "2025"):
        assert evalrun(two_years, store, "--ruleset", year, "--json").exit_code == 0
    result = evalrun(two_years, store, "history", "--project", REFERENCE_PROJECT)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split()[:6] == ["年度", "部门", "项目", "总分", "等级", "执行率"]
    assert lines[2].split()[:6] == ["2024", "益阳市商务局", REFERENCE_PROJECT, "87.93", "优", "86.25%"]
    assert "cn-project-self-evaluation 2024.1" in lines[2]
    assert lines[3].split()[:7] == ["2025", "益阳市商务局", REFERENCE_PROJECT, "95.53", "优", "55.32%", "+7.6"]
    assert "cn-project-self-evaluation 2025.1" in lines[3] and "保持" in lines[3]
    data = json.loads(evalrun(two_years, store, "history", "--department", "益阳市商务局", "--json").stdout)
    assert [(d["fiscal_year"], d["total"], d["ruleset"]["version"]) for d in data] == [
        (2024, 87.93, "2024.1"), (2025, 95.53, "2025.1")]


@pytest.mark.chinese  # reads the Chinese default: the findings, explain and store lines it checks
def test_the_same_run_twice_adds_a_run_but_no_result_rows(two_years, store):
    first = evalrun(two_years, store, "--ruleset", "2025", "--format", "md", "--quiet")
    assert first.exit_code == 0, first.output
    assert "运行 #1，2 个项目（新结果 2 个）" in first.stdout
    before = counts(store)
    assert before["evalrun_result"] == 2 and before["evalrun_indicator"] == 24 and before["evalrun_finding"] == 7  # 5 on the second project (one its 其中 sum), 2 repeated targets on the reference
    second = evalrun(two_years, store, "--ruleset", "2025", "--format", "md", "--quiet")
    assert "运行 #2，2 个项目（新结果 0 个）" in second.stdout
    after = counts(store)
    assert after == {**before, "evalrun_run": 2, "evalrun_run_result": 4}
    # A changed project file is a new result; the unchanged one is shared.
    path = two_years / "projects/2025/益阳市商务局" / f"{REFERENCE_PROJECT}.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("actual: 12 家", "actual: 3 家"), encoding="utf-8")
    third = evalrun(two_years, store, "--ruleset", "2025", "--json")
    assert third.exit_code == 0 and counts(store)["evalrun_result"] == 3


def test_a_run_records_what_it_evaluated(two_years, store):
    broken = two_years / "projects/2025/丙单位/坏文件.yaml"
    broken.parent.mkdir()
    broken.write_text("project: [\n", encoding="utf-8")
    subprocess.run(["git", "init", "-q", str(two_years)], check=True)
    subprocess.run(["git", "-C", str(two_years), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q",
                    "--allow-empty", "-m", "x"], check=True)
    commit = subprocess.run(["git", "-C", str(two_years), "rev-parse", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    assert evalrun(two_years, store, "--ruleset", "2025", "--json").exit_code == 1  # the broken file
    engine = engine_for(store)
    with engine.connect() as connection:
        run = connection.execute(select(schema.run)).one()
        results = {r.project: r for r in connection.execute(select(schema.result))}
        rows = connection.execute(select(schema.indicator).where(
            schema.indicator.c.result_id == results[REFERENCE_PROJECT].id).order_by(schema.indicator.c.position)).all()
        failure = connection.execute(select(schema.run_failure)).one()
    engine.dispose()
    ruleset = api.load_ruleset(two_years, "2025")
    assert (run.ruleset, run.ruleset_id, run.ruleset_version, run.ruleset_sha256, run.fiscal_year) == (
        "2025", ruleset.id, "2025.1", ruleset.sha256, 2025)
    assert run.git_commit == commit and run.evalrun_version and run.projects == 2 and run.failures == 1
    reference = results[REFERENCE_PROJECT]
    assert (reference.department, reference.fiscal_year, str(reference.total), reference.grade) == (
        "益阳市商务局", 2025, "95.53", "优")
    assert (str(reference.execution_rate), reference.execution_rate_text) == ("0.5532", "55.32%")
    assert (reference.advice, reference.advice_rule) == ("保持", "优等但执行率偏低")
    reference_file = two_years / "projects/2025/益阳市商务局" / f"{REFERENCE_PROJECT}.yaml"
    assert reference.file_sha256 == hashlib.sha256(reference_file.read_bytes()).hexdigest()  # of the bytes read
    assert reference.variant == ""
    assert results["高标准农田建设项目"].variant == "益阳市农业农村局"
    assert (rows[0].name, str(rows[0].score), rows[0].method) == ("预算执行率", "5.53", "budget_execution")
    assert [(r.name, str(r.weight), str(r.score)) for r in rows if r.name == "引进 500 强企业"] == [
        ("引进 500 强企业", "10", "10")]
    assert failure.file == "projects/2025/丙单位/坏文件.yaml" and "坏文件.yaml:2" in failure.message


def test_the_summary_and_the_report_show_the_previous_year(two_years, store):
    assert evalrun(two_years, store, "--ruleset", "2024", "--json").exit_code == 0
    assert evalrun(two_years, store, "--ruleset", "2025", "--format", "md,docx", "--quiet").exit_code == 0
    summary = (two_years / "reports/out/2025/汇总.md").read_text(encoding="utf-8")
    assert "| 上年得分 | 变化 |" in summary
    assert "| 95.53 | 优 | 87.93（优） | +7.6 |" in summary
    assert "| 92.89 | 优 |  |  |" in summary  # no 2024 result for this project
    report = (two_years / "reports/out/2025/益阳市商务局" / f"{REFERENCE_PROJECT}.md").read_text(encoding="utf-8")
    line = "与上年相比：2024 年度总分 87.93 分，评价等级为“优”（规则 2024.1），本年总分提高 7.6 分。"
    assert line in report
    word = docx.Document(two_years / "reports/out/2025/益阳市商务局" / f"{REFERENCE_PROJECT}.docx")
    assert line in [p.text for p in word.paragraphs]
    # Without a store, or with one that lacks the year before, neither appears.
    assert evalrun(two_years, store, "--ruleset", "2025", "--format", "md", "--quiet", "--no-db").exit_code == 0
    assert "上年得分" not in (two_years / "reports/out/2025/汇总.md").read_text(encoding="utf-8")


@pytest.mark.chinese  # reads the Chinese default: the findings, explain and store lines it checks
def test_compare_shows_each_change_and_the_new_and_dropped_projects(two_years, store):
    dropped = two_years / "projects/2024/旧单位"
    dropped.mkdir()
    (dropped / "旧项目.yaml").write_text(
        (two_years / "projects/2024/益阳市商务局" / f"{REFERENCE_PROJECT}.yaml").read_text(encoding="utf-8")
        .replace("department: 益阳市商务局", "department: 旧单位")
        .replace(f"project: {REFERENCE_PROJECT}", "project: 旧项目"), encoding="utf-8")
    for year in ("2024", "2025"):
        assert evalrun(two_years, store, "--ruleset", year, "--json").exit_code == 0
    result = evalrun(two_years, store, "compare", "2024", "2025")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "2024 → 2025：3 个项目，两年都评价 1 个（提高 1 个，降低 0 个），新增 1 个，本年未评价 1 个"
    assert [line.split()[-3:] for line in lines if REFERENCE_PROJECT in line] == [["95.53（优）", "+7.6", "优"]]
    assert any("旧项目" in line and "本年未评价" in line for line in lines)
    assert any("高标准农田建设项目" in line and "新增" in line for line in lines)
    data = json.loads(evalrun(two_years, store, "compare", "2024", "2025", "--json").stdout)
    assert {p["project"]: p["status"] for p in data["projects"]} == {
        REFERENCE_PROJECT: "both", "高标准农田建设项目": "new", "旧项目": "dropped"}
    missing = evalrun(two_years, store, "compare", "2023", "2025")
    assert missing.exit_code == 2 and "中没有 2023 年度的结果" in missing.stderr
    assert "已有的年度：2024, 2025" in missing.stderr


def test_db_check_passes_and_finds_a_result_changed_outside_evalrun(two_years, store):
    assert evalrun(two_years, store, "--ruleset", "2025", "--json").exit_code == 0
    result = evalrun(two_years, store, "db", "check")
    assert result.exit_code == 0, result.output
    assert "db check: ok" in result.stdout and "each with its rows and matching its hash" in result.stdout
    engine = engine_for(store)
    with engine.begin() as connection:
        connection.execute(update(schema.result).where(schema.result.c.project == REFERENCE_PROJECT)
                           .values(grade="良"))
    engine.dispose()
    result = evalrun(two_years, store, "db", "check")
    assert result.exit_code == 1
    assert f"({'益阳市商务局'} / {REFERENCE_PROJECT}, 2025) does not match its hash" in result.stderr


def test_the_migrations_build_exactly_the_tables_of_the_schema(tmp_path, store):
    assert revisions()[-1] == schema.HEAD, "schema.HEAD must name the newest migration"
    result = evalrun(tmp_path, store, "db", "upgrade")  # runs every migration on an empty store
    assert result.exit_code == 0 and f"(new) → {schema.HEAD}" in result.stdout, result.output
    engine = engine_for(store)
    with engine.connect() as connection:
        assert schema_differences(connection) == []
        connection.execute(text(f"UPDATE {schema.VERSION_TABLE} SET version_num = '9999'"))
        connection.commit()
    engine.dispose()
    refused = evalrun(tmp_path, store, "db", "upgrade")
    assert refused.exit_code == 2 and "written by a newer evalrun (schema revision 9999" in refused.stderr


def test_export_writes_every_table_as_csv(two_years, store, tmp_path):
    for year in ("2024", "2025", "2025"):
        assert evalrun(two_years, store, "--ruleset", year, "--json").exit_code == 0
    result = evalrun(two_years, store, "db", "export", "--output", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    runs = csv_rows(tmp_path / "out/runs.csv")
    results = csv_rows(tmp_path / "out/results.csv")
    assert [r["ruleset_version"] for r in runs] == ["2024.1", "2025.1", "2025.1"]
    assert [(r["fiscal_year"], r["total"], r["latest_run_id"], r["current"]) for r in results
            if r["project"] == REFERENCE_PROJECT] == [("2024", "87.93", "1", "true"), ("2025", "95.53", "3", "true")]
    indicators = csv_rows(tmp_path / "out/indicators.csv")
    assert len(indicators) == 34 and {"department", "project", "fiscal_year", "method"} <= set(indicators[0])
    assert len(csv_rows(tmp_path / "out/run_results.csv")) == 5
    only = evalrun(two_years, store, "db", "export", "--year", "2024", "--output", str(tmp_path / "y"))
    assert only.exit_code == 0 and len(csv_rows(tmp_path / "y/results.csv")) == 1


# ---------------------------------------------------------------- killed and concurrent runs (processes)


def start_run(workspace: Path, store: str, hold: Path | None, *args: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVALRUN_")}
    if hold is not None:
        env["EVALRUN_TEST_HOLD_DB"] = str(hold)
    return subprocess.Popen(
        [sys.executable, "-m", "engine.cli", *args, "--quiet", "--db", store, "--workspace", str(workspace)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8")


def wait_for(marker: Path, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while not marker.exists():
        if process.poll() is not None:
            pytest.fail(f"the run ended before {marker.name}: {process.communicate()}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the run never reached {marker.name}")
        time.sleep(0.02)


@posix_only
def test_a_run_killed_inside_its_transaction_leaves_the_store_as_it_was(two_years, store, tmp_path):
    assert evalrun(two_years, store, "--ruleset", "2024", "--json").exit_code == 0
    before = snapshot(store)
    hold = tmp_path / "hold"
    run = start_run(two_years, store, hold, "--ruleset", "2025", "--format", "md")
    wait_for(hold, run)  # the run row and the results are written, not committed
    os.kill(run.pid, signal.SIGKILL)
    run.communicate(timeout=60)
    assert snapshot(store) == before
    assert not (two_years / "reports/out/2025/汇总.md").exists(), "the reports move in after the results commit"
    again = evalrun(two_years, store, "--ruleset", "2025", "--json")  # the store is usable, no lock left
    assert again.exit_code == 0
    assert evalrun(two_years, store, "db", "check").exit_code == 0
    assert counts(store)["evalrun_run"] == 2


@posix_only
def test_two_runs_at_once_end_complete_and_separate(two_years, store, tmp_path):
    first_hold, second_hold = tmp_path / "first", tmp_path / "second"
    first = start_run(two_years, store, first_hold, "--ruleset", "2025", "--json")
    wait_for(first_hold, first)  # inside its write transaction
    second = start_run(two_years, store, second_hold, "--ruleset", "2024", "--json")
    wait_for(Path(f"{second_hold}.begin"), second)  # about to begin its own
    time.sleep(0.5)
    assert not second_hold.exists(), "the second run wrote while the first held its transaction open"
    first_hold.unlink()
    assert first.wait(timeout=120) == 0, first.communicate()
    wait_for(second_hold, second)  # it got its turn only now
    second_hold.unlink()
    assert second.wait(timeout=120) == 0, second.communicate()
    engine = engine_for(store)
    with engine.connect() as connection:
        runs = connection.execute(select(schema.run.c.id, schema.run.c.fiscal_year, schema.run.c.projects)
                                  .order_by(schema.run.c.id)).all()
        linked = connection.execute(select(schema.run_result.c.run_id, schema.result.c.fiscal_year).join(
            schema.result, schema.result.c.id == schema.run_result.c.result_id)).all()
    engine.dispose()
    assert [tuple(r) for r in runs] == [(1, 2025, 2), (2, 2024, 1)]
    assert sorted(map(tuple, linked)) == [(1, 2025), (1, 2025), (2, 2024)]
    assert evalrun(two_years, store, "db", "check").exit_code == 0


def test_runs_with_jobs_record_the_same_results(two_years, store):
    assert evalrun(two_years, store, "--ruleset", "2025", "--json", "--jobs", "2").exit_code == 0
    assert evalrun(two_years, store, "--ruleset", "2025", "--format", "md", "--jobs", "2").exit_code == 0
    assert evalrun(two_years, store, "--ruleset", "2025", "--json").exit_code == 0
    assert counts(store)["evalrun_result"] == 2 and counts(store)["evalrun_run"] == 3


def test_the_year_workbook_has_the_previous_year_and_the_advice(two_years, store):
    import openpyxl

    assert evalrun(two_years, store, "--ruleset", "2024", "--json").exit_code == 0
    assert evalrun(two_years, store, "--ruleset", "2025", "--format", "xlsx", "--quiet").exit_code == 0
    ws = openpyxl.load_workbook(two_years / "reports/out/2025/汇总.xlsx")["汇总"]
    assert [ws.cell(3, c).value for c in range(9, 13)] == ["审核提示", "上年得分", "变化", "预算建议"]
    rows = {ws[f"C{r}"].value: [ws.cell(r, c).value for c in range(10, 13)] for r in (4, 5)}
    assert rows[REFERENCE_PROJECT] == [87.93, 7.6, "保持"]
    assert rows["高标准农田建设项目"] == [None, None, "优先保障"]
