"""Which store a run uses, and what a user sees when it cannot be used (SQLite; no server needed)."""
from __future__ import annotations

import subprocess
import sys
from decimal import Decimal

import pytest
from hypothesis import given, settings, strategies as st

from tests.helpers import REFERENCE_PROJECT, copy_workspace

# These tests read evalrun's English messages (--lang en); tests/test_language.py and test_bad_inputs.py check the Chinese default.
pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def workspace(tmp_path):
    return copy_workspace(tmp_path / "ws", years=("2024", "2025"))


@pytest.mark.chinese  # reads the Chinese default: the findings, explain and store lines it checks
def test_a_run_records_in_evalrun_db_in_the_workspace_by_default(run_cli, workspace):
    result = run_cli("--ruleset", "2025", "--format", "md", workspace=workspace)
    assert result.exit_code == 0, result.output
    assert (workspace / "evalrun.db").is_file()
    assert result.stdout.splitlines()[-1] == "结果已记入 evalrun.db：运行 #1，2 个项目（新结果 2 个）"
    history = run_cli("history", "--project", "高标准农田建设项目", workspace=workspace)
    assert history.exit_code == 0 and "92.89" in history.stdout


def test_no_db_records_nothing(run_cli, workspace):
    result = run_cli("--ruleset", "2025", "--json", "--no-db", workspace=workspace)
    assert result.exit_code == 0
    assert not (workspace / "evalrun.db").exists()
    missing = run_cli("history", "--project", REFERENCE_PROJECT, workspace=workspace)
    assert missing.exit_code == 2
    assert "there is no results store evalrun.db yet" in missing.stderr


def test_the_workspace_setting_and_the_environment_choose_the_store(run_cli, workspace, monkeypatch):
    (workspace / "evalrun.yaml").write_text("# settings\ndatabase: results/store.db\n", encoding="utf-8")
    (workspace / "results").mkdir()
    assert run_cli("--ruleset", "2025", "--json", workspace=workspace).exit_code == 0
    assert (workspace / "results/store.db").is_file() and not (workspace / "evalrun.db").exists()
    monkeypatch.setenv("EVALRUN_DB", str(workspace / "env.db"))
    assert run_cli("--ruleset", "2025", "--json", workspace=workspace).exit_code == 0
    assert (workspace / "env.db").is_file()
    monkeypatch.setenv("EVALRUN_DB", "off")
    (workspace / "env.db").unlink()
    assert run_cli("--ruleset", "2025", "--json", workspace=workspace).exit_code == 0
    assert not (workspace / "env.db").exists()


def test_a_mistake_in_the_settings_is_one_line_with_its_place(run_cli, workspace):
    (workspace / "evalrun.yaml").write_text("databse: x.db\n", encoding="utf-8")
    result = run_cli("--ruleset", "2025", "--json", workspace=workspace)
    assert result.exit_code == 1
    assert result.stderr.strip() == ("evalrun.yaml:1:1: unknown setting `databse` (did you mean `database`?); "
                                     "settings: database")
    (workspace / "evalrun.yaml").write_text("database: mysql://host/db\n", encoding="utf-8")
    result = run_cli("--ruleset", "2025", "--json", workspace=workspace)
    assert result.exit_code == 1 and result.stderr.startswith("evalrun.yaml:1:11: the database `mysql://...`")


@pytest.mark.parametrize("db, message", [
    ("mysql://h/db", "--db: the database `mysql://...` is not one evalrun uses"),
    ("{ws}/not-a-db.db", "not-a-db.db is not an evalrun results store (not a SQLite database)"),
    ("{ws}/no/such/folder/x.db", "the folder"),
    ("postgresql://nobody@/evalrun?host=/nonexistent-socket-dir", "cannot use the results store postgresql://"),
])
def test_a_store_that_cannot_be_used_stops_the_run_before_any_report(run_cli, workspace, db, message):
    (workspace / "not-a-db.db").write_text("these are not the results\n" * 100, encoding="utf-8")
    result = run_cli("--ruleset", "2025", "--db", db.format(ws=workspace), workspace=workspace)
    assert result.exit_code == 2
    assert result.stderr.startswith("evalrun: ") and message in result.stderr and len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.output
    assert not (workspace / "reports/out/2025/汇总.md").exists()
    assert (workspace / "not-a-db.db").read_text(encoding="utf-8").startswith("these are not")


def test_history_names_the_projects_it_has(run_cli, workspace):
    assert run_cli("--ruleset", "2025", "--json", workspace=workspace).exit_code == 0
    result = run_cli("history", "--project", "开放型经济发展", workspace=workspace)
    assert result.exit_code == 2
    assert "no results for the project `开放型经济发展`" in result.stderr and REFERENCE_PROJECT in result.stderr
    assert run_cli("history", workspace=workspace).exit_code == 2  # whose?
    by_file = run_cli("history", "--project", REFERENCE_PROJECT, "--json", workspace=workspace)
    assert by_file.exit_code == 0 and '"total": 95.53' in by_file.stdout


def test_parquet_export(run_cli, workspace, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet", reason="Parquet export needs pyarrow (the parquet extra)")
    assert run_cli("--ruleset", "2025", "--json", workspace=workspace).exit_code == 0
    result = run_cli("db", "export", "--format", "parquet", "--output", str(tmp_path / "pq"), workspace=workspace)
    assert result.exit_code == 0, result.output
    table = pq.read_table(tmp_path / "pq/results.parquet").to_pylist()
    reference = next(r for r in table if r["project"] == REFERENCE_PROJECT)
    assert str(reference["total"]) == "95.53" and reference["grade"] == "优" and reference["current"] is True
    assert len(pq.read_table(tmp_path / "pq/indicators.parquet")) == 24


def test_help_stays_quick_without_sqlalchemy():
    code = "import sys, engine.cli; print('sqlalchemy' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_every_store_command_has_help(run_cli):
    for args in (["history"], ["compare"], ["db"], ["db", "check"], ["db", "upgrade"], ["db", "export"]):
        result = run_cli(*args, "--help")
        assert result.exit_code == 0 and len(result.stdout.splitlines()) > 3, args


def test_records_are_in_the_order_of_the_tables_columns():
    from engine.store import schema
    from engine.store.record import FINDING_FIELDS, INDICATOR_FIELDS, RESULT_FIELDS

    assert [c.name for c in schema.result.c] == ["id", "hash", *RESULT_FIELDS]
    assert [c.name for c in schema.indicator.c] == ["result_id", *INDICATOR_FIELDS]
    assert [c.name for c in schema.finding.c] == ["result_id", *FINDING_FIELDS]


_EXACT_ENGINE = None


@settings(max_examples=100, deadline=None)
@given(st.lists(st.builds(lambda digits, exponent: Decimal(digits).scaleb(exponent),
                          st.integers(-10**15 + 1, 10**15 - 1), st.integers(-12, 4)), min_size=1, max_size=10))
def test_numbers_come_back_from_sqlite_exactly(values):
    """Any number a project or a score may hold (at most 15 significant digits once normalised)
    is read back from SQLite's NUMERIC as the same Decimal, through schema.Exact."""
    from sqlalchemy import Column, Integer, MetaData, Table, create_engine, insert, select

    from engine.store.record import normal
    from engine.store.schema import Exact

    global _EXACT_ENGINE
    table = Table("t", MetaData(), Column("id", Integer, primary_key=True), Column("value", Exact))
    if _EXACT_ENGINE is None:
        _EXACT_ENGINE = create_engine("sqlite://")
        table.metadata.create_all(_EXACT_ENGINE)
    expected = [normal(v) for v in values]
    with _EXACT_ENGINE.begin() as connection:
        connection.execute(table.delete())
        connection.execute(insert(table), [{"id": i, "value": v} for i, v in enumerate(expected)])
        back = [v for (v,) in connection.execute(select(table.c.value).order_by(table.c.id))]
    assert [str(v) for v in back] == [str(v) for v in expected]


@pytest.mark.chinese
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_project_name_that_is_no_project_stops_the_run_before_any_work(run_cli, workspace, jobs):
    """A --project typo ran the year with nothing in it (exit 0, 'no project files') and recorded an empty run."""
    result = run_cli("--ruleset", "2025", "--project", "高标准农田", "--jobs", jobs, workspace=workspace)
    assert result.exit_code == 2, result.output
    assert result.stderr == ("evalrun：2025 财政年度没有项目 `高标准农田`（是否想写 `高标准农田建设项目`？）；"
                             "项目有：开放型经济发展与三产业发展引导资金, 高标准农田建设项目\n")
    assert not (workspace / "reports" / "out").exists() or not any((workspace / "reports" / "out").rglob("*.*"))
    assert run_cli("--ruleset", "2025", "--json", workspace=workspace).exit_code == 0
    history = run_cli("history", "--department", "益阳市农业农村局", workspace=workspace)
    assert "运行 #1" in history.stdout  # the failed run recorded nothing
    by_file = run_cli("--ruleset", "2025", "--project", "高标准农田建设项目", "--json", "--no-db", workspace=workspace)
    assert by_file.exit_code == 0 and by_file.stdout.count('"grade": "优"') == 1
