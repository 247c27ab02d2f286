"""A --json run keeps each project's results (engine/runner/kept.py): used only when nothing they depend on changed."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import engine.files.cache as cache_module
from engine import api
from engine.files.cache import DATABASE, FOLDER

FARM = Path("projects/2025/益阳市农业农村局/高标准农田建设项目.yaml")  # scored by a department variant


@pytest.fixture(autouse=True)
def private_key(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "home-cache"))


@pytest.fixture
def scored(monkeypatch) -> list:
    """The projects scored in this process (their names), as runs go."""
    names: list = []
    evaluate = api.evaluate

    def counting(ruleset, project):
        names.append(project.name)
        return evaluate(ruleset, project)

    monkeypatch.setattr(api, "evaluate", counting)
    return names


def kept(workspace: Path) -> dict:
    """name -> the kept entry's bytes."""
    path = workspace / FOLDER / DATABASE
    if not path.exists():
        return {}
    with sqlite3.connect(path) as db:
        return dict(db.execute("SELECT name, body FROM result"))


def json_run(run_cli, workspace, *flags) -> str:
    result = run_cli("--ruleset", "2025", "--json", *flags, workspace=workspace)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_an_unchanged_project_is_neither_read_nor_scored_again(workspace, run_cli, scored):
    uncached = json_run(run_cli, workspace, "--no-db", "--no-cache")
    assert len(scored) == 2 and not (workspace / FOLDER).exists()
    cold = json_run(run_cli, workspace, "--no-db")
    assert len(scored) == 4 and len(kept(workspace)) == 2
    warm = json_run(run_cli, workspace, "--no-db")
    assert len(scored) == 4, "nothing scored: every project from what was kept"
    assert uncached == cold == warm and "95.53" in warm


def test_a_json_run_keeps_no_project_but_uses_those_a_report_run_kept(workspace, run_cli):
    json_run(run_cli, workspace, "--no-db")
    with sqlite3.connect(workspace / FOLDER / DATABASE) as db:
        assert db.execute("SELECT count(*) FROM entry").fetchone() == (0,)


def test_a_changed_byte_scores_that_project_again(workspace, run_cli, scored):
    before = json_run(run_cli, workspace, "--no-db")
    path = workspace / FARM
    path.write_bytes(path.read_bytes().replace(b"name: ", b"name:  ", 1))  # the same data, other bytes
    scored.clear()
    same = json_run(run_cli, workspace, "--no-db")
    assert len(scored) == 1 and same == before
    add_a_finding(workspace)
    scored.clear()
    changed = json_run(run_cli, workspace, "--no-db")
    assert len(scored) == 1 and changed != before
    assert changed == json_run(run_cli, workspace, "--no-db", "--no-cache")
    assert len(kept(workspace)) == 2, "the entry is replaced, not added to"


def test_a_changed_ruleset_scores_every_project_again(workspace, run_cli, scored):
    before = json_run(run_cli, workspace, "--no-db")
    path = workspace / "rulesets/2025/ruleset.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('version: "2025.1"', 'version: "2025.2"'), encoding="utf-8")
    scored.clear()
    after = json_run(run_cli, workspace, "--no-db")
    assert len(scored) == 2 and '"2025.2"' in after and after != before
    assert after == json_run(run_cli, workspace, "--no-db", "--no-cache")


def test_another_evalrun_scores_every_project_again(workspace, run_cli, scored, monkeypatch):
    json_run(run_cli, workspace, "--no-db")
    monkeypatch.setattr(cache_module, "code_digest", lambda: "another evalrun")
    scored.clear()
    json_run(run_cli, workspace, "--no-db")
    assert len(scored) == 2


def add_a_finding(workspace: Path) -> None:
    """The amount spent no longer the spending lines' sum: a finding, worded in the run's language."""
    path = workspace / FARM
    text = path.read_text(encoding="utf-8")
    executed = next(line for line in text.splitlines() if line.strip().startswith("executed:"))
    path.write_text(text.replace(executed, executed.rstrip() + "1", 1), encoding="utf-8")


def test_each_language_has_its_own_results(workspace, run_cli, scored):
    add_a_finding(workspace)
    chinese = json_run(run_cli, workspace, "--no-db")
    scored.clear()
    english = json_run(run_cli, workspace, "--no-db", "--lang", "en")
    assert len(scored) == 2, "the language is part of the key: messages a project's results hold may be worded in it"
    assert english == json_run(run_cli, workspace, "--no-db", "--lang", "en", "--no-cache")
    scored.clear()
    assert json_run(run_cli, workspace, "--no-db", "--lang", "en") == english
    assert json_run(run_cli, workspace, "--no-db") == chinese
    assert not scored and len(kept(workspace)) == 4


def test_a_run_recording_results_keeps_the_record_and_records_the_same(workspace, run_cli, scored):
    json_run(run_cli, workspace, "--no-db")
    scored.clear()
    first = json_run(run_cli, workspace)  # the results store in the workspace: another key (the record is kept)
    assert len(scored) == 2
    scored.clear()
    second = json_run(run_cli, workspace)
    assert not scored and second == first
    with sqlite3.connect(workspace / "evalrun.db") as db:
        runs = db.execute("SELECT id, projects, new_results FROM evalrun_run ORDER BY id").fetchall()
        linked = [db.execute("SELECT count(*) FROM evalrun_run_result WHERE run_id = ?", (run,)).fetchone()[0]
                  for run, _, _ in runs]
    assert [(projects, new) for _, projects, new in runs] == [(2, 2), (2, 0)] and linked == [2, 2]


@pytest.mark.parametrize("damage", [
    lambda body: body[:-7],  # cut short
    lambda body: body[:40] + bytes([body[40] ^ 1]) + body[41:],  # a changed bit
    lambda body: b"not an entry",
])
def test_a_corrupt_entry_is_ignored_and_made_again(workspace, run_cli, scored, damage):
    before = json_run(run_cli, workspace, "--no-db")
    with sqlite3.connect(workspace / FOLDER / DATABASE) as db:
        for name, body in db.execute("SELECT name, body FROM result").fetchall():
            db.execute("UPDATE result SET body = ? WHERE name = ?", (damage(body), name))
    scored.clear()
    assert json_run(run_cli, workspace, "--no-db") == before and len(scored) == 2
    scored.clear()
    assert json_run(run_cli, workspace, "--no-db") == before and not scored, "made again, and kept"


def test_no_cache_neither_reads_nor_keeps_results(workspace, run_cli, scored):
    json_run(run_cli, workspace, "--no-db")
    entries = kept(workspace)
    scored.clear()
    json_run(run_cli, workspace, "--no-db", "--no-cache")
    assert len(scored) == 2 and kept(workspace) == entries


def test_jobs_keep_and_use_the_same_results(workspace, run_cli, scored):
    alone = json_run(run_cli, workspace, "--no-db", "--no-cache")
    assert json_run(run_cli, workspace, "--no-db", "--jobs", "2") == alone  # cold, in the workers
    assert len(kept(workspace)) == 2
    scored.clear()
    assert json_run(run_cli, workspace, "--no-db") == alone and not scored, "what the workers kept"
    assert json_run(run_cli, workspace, "--no-db", "--jobs", "2") == alone


def test_a_selection_of_projects_uses_the_kept_results(workspace, run_cli, scored):
    everything = json_run(run_cli, workspace, "--no-db")
    scored.clear()
    one = json_run(run_cli, workspace, "--no-db", "--project", FARM.stem)
    assert not scored and FARM.stem in one and "95.53" not in one and one != everything


def test_a_project_whose_results_depend_on_last_year_is_never_kept(workspace, run_cli, scored):
    """The target review compares a continuing project's targets with last year's actual values (from the
    store, or last year's file): its results depend on more than its file, so it is scored every run."""
    first = run_cli("--ruleset", "target-review-2025", "--json", "--no-db", workspace=workspace).stdout
    assert len(scored) == 2 and len(kept(workspace)) == 1
    scored.clear()
    again = run_cli("--ruleset", "target-review-2025", "--json", "--no-db", workspace=workspace).stdout
    assert scored == ["开放型经济发展与三产业发展引导资金"] and again == first  # the continuing one (延续项目)
