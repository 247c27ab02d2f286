"""A SQLite store at the schema's head is written and read through sqlite3 (engine.store.direct), without
SQLAlchemy: the same rows, the same year before, the same messages as SQLAlchemy's way."""
from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.cli import cli
from engine.store import direct, schema, tables
from engine.store import record as record_module
from engine.store.failures import StoreError, describe_failure
from engine.store.record import exact_number, normal
from tests.helpers import REFERENCE_PROJECT, copy_workspace

TIMES = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}")


def evalrun(workspace: Path, *args: str):
    return CliRunner().invoke(cli, [*args, "--workspace", str(workspace)], catch_exceptions=False)


def raw_rows(path: Path) -> dict:
    """Every stored value with SQLite's storage class (text, integer, real, null), as sqlite3 reads the file;
    the times of a run, the command and the workspace left out (they differ from run to run)."""
    db = sqlite3.connect(path)
    try:
        found = {}
        for table in schema.TABLES:
            names = [c.name for c in table.c if c.name not in ("started_at", "finished_at", "command", "workspace",
                                                                  "reviewed_at")]
            columns = ", ".join(f'typeof("{n}"), "{n}"' for n in names)
            found[table.name] = sorted(db.execute(f"SELECT {columns} FROM {table.name}").fetchall(), key=repr)
        found["times"] = [t for row in db.execute(f"SELECT started_at, finished_at FROM {tables.RUN}")
                          for t in row]
        return found
    finally:
        db.close()


def record_two_years(workspace: Path) -> None:
    for year in ("2024", "2025"):  # the first run makes the store (SQLAlchemy); the second finds it at the head
        assert evalrun(workspace, "--ruleset", year, "--json").exit_code == 0


def test_a_run_into_a_store_at_the_head_does_not_import_sqlalchemy(tmp_path):
    workspace = copy_workspace(tmp_path / "ws", years=("2024", "2025"))
    assert evalrun(workspace, "--ruleset", "2024", "--json").exit_code == 0  # makes evalrun.db
    code = ("import sys; from engine.cli import main\n"
            f"sys.argv = ['evalrun', '--ruleset', '2025', '--format', 'md', '--workspace', {str(workspace)!r}]\n"
            "try:\n    main()\nexcept SystemExit as exit:\n    assert not exit.code, exit.code\n"
            "print('sqlalchemy' in sys.modules, 'importlib.metadata' in sys.modules, file=sys.stderr)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "EVALRUN_LANG": "zh_CN"})
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines()[-1] == "False False"  # nor importlib.metadata for the version (20 ms+)
    assert "运行 #2" in done.stdout
    report = next((workspace / "reports/out/2025").rglob(f"{REFERENCE_PROJECT}.md")).read_text(encoding="utf-8")
    assert "2024" in report and "上年" in report  # the year before, read through sqlite3


def test_both_ways_store_the_same_values_alike(tmp_path, monkeypatch):
    through_sqlite3 = copy_workspace(tmp_path / "a", years=("2024", "2025"))
    record_two_years(through_sqlite3)
    assert evalrun(through_sqlite3, "--ruleset", "2025", "--json").exit_code == 0  # linked only
    monkeypatch.setattr(direct, "open_direct", lambda url, workspace: None)  # SQLAlchemy's way, every time
    through_sqlalchemy = copy_workspace(tmp_path / "b", years=("2024", "2025"))
    record_two_years(through_sqlalchemy)
    assert evalrun(through_sqlalchemy, "--ruleset", "2025", "--json").exit_code == 0
    mine, theirs = raw_rows(through_sqlite3 / "evalrun.db"), raw_rows(through_sqlalchemy / "evalrun.db")
    assert all(TIMES.fullmatch(t) for t in mine.pop("times") + theirs.pop("times"))
    assert mine == theirs
    assert len(mine[tables.RUN]) == 3 and len(mine[tables.RESULT]) == 3 and len(mine[tables.RUN_RESULT]) == 5


def test_the_year_before_is_the_same_either_way(tmp_path):
    from engine.store.history import read_year
    from engine.store.previous import forget, previous_table

    workspace = copy_workspace(tmp_path / "ws", years=("2024", "2025"))
    record_two_years(workspace)
    record_two_years(workspace)  # a second result of each project: the latest run's counts
    url = f"sqlite:///{workspace / 'evalrun.db'}"
    for year in (2024, 2025, 2023):
        forget()
        mine = previous_table(url, workspace, year)
        assert mine == read_year(url, year)
        assert all(row.run_id in (3, 4) for row in mine.values()) and (year == 2023) == (not mine)
    assert isinstance(next(iter(previous_table(url, workspace, 2025).values())).total, Decimal)


def test_a_store_not_at_the_head_is_left_to_sqlalchemy(tmp_path):
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.execute(f"CREATE TABLE {tables.VERSION_TABLE} (version_num VARCHAR(32) NOT NULL)")
    db.execute(f"INSERT INTO {tables.VERSION_TABLE} VALUES ('0001')")
    db.commit()
    db.close()
    assert direct.open_direct(f"sqlite:///{path}", tmp_path) is None
    (tmp_path / "text.db").write_text("not a database\n", encoding="utf-8")
    assert direct.open_direct(f"sqlite:///{tmp_path / 'text.db'}", tmp_path) is None
    assert direct.open_direct(f"sqlite:///{tmp_path / 'none.db'}", tmp_path) is None
    assert not (tmp_path / "none.db").exists()  # looking made nothing


def test_a_store_that_cannot_be_written_is_said_in_one_line_and_kept(tmp_path):
    workspace = copy_workspace(tmp_path / "ws")
    assert evalrun(workspace, "--ruleset", "2025", "--json").exit_code == 0
    path = workspace / "evalrun.db"
    before = path.read_bytes()
    read_only = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)  # as a read-only file is,
    store = direct.SqliteStore(read_only, f"sqlite:///{path}", workspace)               # even to root
    with pytest.raises(StoreError) as raised:
        with store.writing() as write:
            write.finish_run(1, 0, datetime.now(timezone.utc))
    store.close()
    assert str(raised.value).startswith("无法写入结果数据库 evalrun.db：它是只读的") and "\n" not in str(raised.value)
    assert path.read_bytes() == before


def test_a_busy_store_is_said_in_one_line(tmp_path, monkeypatch):
    """Another run holding the write lock longer than a run waits: the run says so, and writes nothing."""
    workspace = copy_workspace(tmp_path / "ws")
    assert evalrun(workspace, "--ruleset", "2025", "--json").exit_code == 0
    monkeypatch.setattr(direct, "BUSY_SECONDS", 0.1)
    holder = sqlite3.connect(workspace / "evalrun.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = evalrun(workspace, "--ruleset", "2025", "--json", "--lang", "en")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 2, result.output
    assert "busy" in result.stderr and len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.output
    runs = sqlite3.connect(workspace / "evalrun.db").execute(f"SELECT count(*) FROM {tables.RUN}").fetchone()
    assert runs == (1,)


def test_the_names_without_sqlalchemy_are_the_schemas():
    for table in schema.TABLES:
        if table.name in tables.COLUMNS:
            assert tables.COLUMNS[table.name] == tuple(c.name for c in table.c), table.name
        exact = {c.name for c in table.c if isinstance(c.type, schema.Exact)}
        assert tables.EXACT.get(table.name, frozenset()) == exact, table.name
    assert set(tables.COLUMNS) == {t.name for t in schema.TABLES} - {schema.review.name}


@settings(max_examples=100, deadline=None)
@given(st.lists(st.builds(lambda digits, exponent: Decimal(digits).scaleb(exponent),
                          st.integers(-10**15 + 1, 10**15 - 1), st.integers(-12, 4)), min_size=1, max_size=10))
def test_numbers_written_through_sqlite3_come_back_exactly(values):
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, value NUMERIC)")
    expected = [normal(v) for v in values]
    rows = [(i, format(v, "f")) for i, v in enumerate(expected)]  # as tables.sqlite_rows gives them
    db.executemany("INSERT INTO t VALUES (?, ?)", rows)
    back = [exact_number(v) for (v,) in db.execute("SELECT value FROM t ORDER BY id")]
    assert [str(v) for v in back] == [str(v) for v in expected]


def test_a_store_at_the_head_without_its_tables_stops_the_run_before_any_report(tmp_path):
    """A version table saying 0002 and nothing else: one line naming the store as the user knows it."""
    workspace = copy_workspace(tmp_path / "ws")
    db = sqlite3.connect(workspace / "evalrun.db")
    db.execute(f"CREATE TABLE {tables.VERSION_TABLE} (version_num VARCHAR(32) NOT NULL)")
    db.execute(f"INSERT INTO {tables.VERSION_TABLE} VALUES (?)", (tables.HEAD,))
    db.commit()
    db.close()
    result = evalrun(workspace, "--ruleset", "2025")
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("evalrun：无法使用结果数据库 evalrun.db：数据库中缺少 evalrun 的表或列"
                                    "（文件可能被其他程序改动过，或只建了一半）（数据库原文：no such table: evalrun_result）")
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.output
    english = evalrun(workspace, "--lang", "en", "--ruleset", "2025")
    assert english.stderr.startswith("evalrun: cannot use the results store evalrun.db: evalrun's tables or columns are "
                                     "missing (no such table: evalrun_result)")
    assert not [p for p in (workspace / "reports").rglob("*") if p.is_file() and "out" in p.parts]  # no report


@pytest.mark.parametrize("driver, explained", [
    ("no such table: evalrun_result", "数据库中缺少 evalrun 的表或列"),
    ('relation "evalrun_run" does not exist', "数据库中缺少 evalrun 的表或列"),
    ("unable to open database file", "打不开数据库文件"),
    ("disk I/O error", "读写磁盘出错"),
    ("database disk image is malformed", "数据库文件已损坏"),
    ("database or disk is full", "磁盘已满"),
    ('connection to server at "127.0.0.1", port 5432 failed: Connection refused', "数据库服务器拒绝连接"),
    ('could not translate host name "db.example" to address', "找不到这个数据库服务器的主机名"),
    ('password authentication failed for user "evalrun"', "数据库用户名或密码不正确"),
    ('database "evalrun" does not exist', "数据库服务器上没有这个数据库"),
])
def test_what_the_driver_says_is_said_in_chinese_with_its_own_words_kept(driver, explained):
    """The driver's English goes to whoever looks after the database, after a Chinese sentence staff can act on."""
    said = str(describe_failure(driver, True, "sqlite:///evalrun.db", None))
    assert explained in said and f"（数据库原文：{driver}）" in said
    assert "\n" not in said


def _made_records(monkeypatch) -> list:
    """Every PackedRecord the run makes, as it makes them."""
    made: list = []
    original = record_module.PackedRecord.of.__func__

    def of(cls, record, stored=None):
        made.append(original(cls, record, stored))
        return made[-1]

    monkeypatch.setattr(record_module.PackedRecord, "of", classmethod(of))
    return made


def _stored_results(path: Path) -> tuple[int, int]:
    db = sqlite3.connect(path)
    try:
        return (db.execute(f"SELECT count(*) FROM {tables.RESULT}").fetchone()[0],
                db.execute(f"SELECT count(*) FROM {tables.RUN}").fetchone()[0])
    finally:
        db.close()


def test_a_result_the_store_holds_is_linked_without_carrying_its_record(tmp_path, monkeypatch):
    """A re-run (the parse cache gone, say after an upgrade) finds every result stored: it links them, and makes
    no record to carry; kept without records, they are not trusted by a run into another store."""
    workspace = copy_workspace(tmp_path / "ws")
    assert evalrun(workspace, "--ruleset", "2025", "--json").exit_code == 0
    made = _made_records(monkeypatch)
    shutil.rmtree(workspace / ".evalrun-cache")
    second = evalrun(workspace, "--ruleset", "2025", "--json")
    assert second.exit_code == 0 and _stored_results(workspace / "evalrun.db") == (2, 2)
    assert len(made) == 2 and all(r.data == b"" for r in made)
    assert evalrun(workspace, "db", "check").exit_code == 0
    # the cache now holds both projects without their records: another store gets them in full
    made.clear()
    other = evalrun(workspace, "--ruleset", "2025", "--json", "--db", str(tmp_path / "other.db"))
    assert other.exit_code == 0 and _stored_results(tmp_path / "other.db") == (2, 1)
    assert len(made) == 2 and all(r.data for r in made), "made again, with their records"
    assert evalrun(workspace, "db", "check", "--db", str(tmp_path / "other.db")).exit_code == 0
    assert json.loads(other.stdout) == json.loads(second.stdout)


def test_a_store_that_lost_a_result_during_the_run_records_nothing(tmp_path, monkeypatch):
    """Said stored as the run went, missing at its end (the file replaced meanwhile): one line, nothing recorded."""
    workspace = copy_workspace(tmp_path / "ws")
    assert evalrun(workspace, "--ruleset", "2025", "--json", "--project", REFERENCE_PROJECT).exit_code == 0
    before = _stored_results(workspace / "evalrun.db")
    monkeypatch.setattr(direct.SqliteStore, "has_result", lambda self, digest: True)
    result = evalrun(workspace, "--ruleset", "2025", "--json", "--no-cache")
    assert result.exit_code == 2
    assert result.stderr.startswith("evalrun：结果数据库 evalrun.db 在本次运行中被替换或改动过：本次运行没有记入任何内容")
    assert len(result.stderr.splitlines()) == 1
    assert _stored_results(workspace / "evalrun.db") == before
