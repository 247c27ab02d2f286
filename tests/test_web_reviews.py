"""Reviewers' decisions in the results store (engine/store/reviews.py), against SQLite and a real PostgreSQL server.

The page's own tests (test_web.py) use SQLite; these check the store's side on both kinds, as the
results store's tests do (tests/store_support.py: skipped with the reason without a server, failing under CI).
"""
from __future__ import annotations

import pytest

from tests.helpers import copy_workspace
from engine.errors import Source, UsageError
from engine.model import Finding
from engine.store.reviews import ReviewStore, current, refs
from tests.store_support import fresh_database


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'evalrun.db'}"
        return
    url, drop = fresh_database(request.getfixturevalue("postgres_server"))
    yield url
    drop()


FINDINGS = (
    Finding("explanation_required", "warning", "“甲”未达到年度指标值，未填写偏差原因分析及改进措施", Source("p.yaml", 12, 5)),
    Finding("reported_rows_sum", "warning", "各行自评得分合计 95.89，与填报的总分 95 不符", Source("p.yaml", 4, 1)),
    Finding("explanation_required", "warning", "“甲”未达到年度指标值，未填写偏差原因分析及改进措施", Source("p.yaml", 30, 5)),
)


def test_decisions_are_kept_with_their_history(store, tmp_path):
    reviews = ReviewStore(store, tmp_path)
    try:
        first, second, twin = refs(2025, "某局", "某项目", FINDINGS)
        assert len({first.key, second.key, twin.key}) == 3  # the same message twice: two findings
        reviews.add(first, "需整改", "请补充说明", "李审核")
        reviews.add(first, "已核实", "已补充", "王复核")
        reviews.add(second, "不适用", "", "李审核")
        history = reviews.history(2025)
        assert [(r.state, r.reviewer, r.comment) for r in history[first.key]] == \
            [("需整改", "李审核", "请补充说明"), ("已核实", "王复核", "已补充")]
        assert {k: r.state for k, r in current(history).items()} == {first.key: "已核实", second.key: "不适用"}
        assert history[second.key][0].line == 4 and history[second.key][0].when.tzinfo is not None
        assert reviews.history(2025, "某局", "别的项目") == {} and reviews.history(2024) == {}
    finally:
        reviews.close()


def test_a_decision_stays_with_its_finding_when_lines_move(store, tmp_path):
    moved = [Finding(f.check, f.severity, f.message, Source("p.yaml", f.source.line + 7, 5)) for f in FINDINGS]
    assert [r.key for r in refs(2025, "某局", "某项目", FINDINGS)] == [r.key for r in refs(2025, "某局", "某项目", moved)]
    changed = [Finding(FINDINGS[1].check, "warning", "各行自评得分合计 95.89，与填报的总分 96 不符", Source("p.yaml", 4, 1))]
    assert refs(2025, "某局", "某项目", changed)[0].key != refs(2025, "某局", "某项目", FINDINGS)[1].key


@pytest.mark.parametrize("state, reviewer, comment, message", [
    ("通过", "李审核", "", "未知的审核状态 `通过`"),
    ("已核实", " ", "", "审核人姓名为空"),
    ("已核实", "李" * 101, "", "太长"),
    ("已核实", "李审核", "字" * 2001, "太长"),
])
def test_a_decision_a_reviewer_cannot_give_is_refused(tmp_path, state, reviewer, comment, message):
    reviews = ReviewStore(f"sqlite:///{tmp_path / 'evalrun.db'}", tmp_path)
    try:
        with pytest.raises(UsageError, match=message):
            reviews.add(refs(2025, "某局", "某项目", FINDINGS)[0], state, comment, reviewer)
        assert reviews.history(2025) == {}
    finally:
        reviews.close()


def test_a_store_of_the_first_schema_is_migrated_and_keeps_its_runs(tmp_path, run_cli):
    """A SQLite store written before reviews existed (revision 0001) gains the review table when next used."""
    from sqlalchemy import create_engine, inspect, text

    from engine.store.database import upgrade

    workspace = copy_workspace(tmp_path / "ws")
    url = f"sqlite:///{workspace / 'evalrun.db'}"
    engine = create_engine(url)
    with engine.begin() as connection:
        upgrade(connection, "0001")
    engine.dispose()
    assert run_cli("--ruleset", "2025", "--json", workspace=workspace).exit_code == 0
    reviews = ReviewStore(url, workspace)
    try:
        reviews.add(refs(2025, "某局", "某项目", FINDINGS)[0], "已核实", "", "李审核")
    finally:
        reviews.close()
    engine = create_engine(url)
    with engine.connect() as connection:
        assert inspect(connection).has_table("evalrun_review")
        assert connection.execute(text("SELECT version_num FROM evalrun_alembic_version")).scalar() == "0002"
        assert connection.execute(text("SELECT count(*) FROM evalrun_run")).scalar() == 1
    engine.dispose()
