"""`evalrun validate` prints what it printed last time, without loading the engine, only while nothing it reads
changed (engine/files/runcache.py)."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from engine import api
from engine.files import runcache
from engine.files.cache import DATABASE, FOLDER

FARM = Path("projects/2025/益阳市农业农村局/高标准农田建设项目.yaml")


@pytest.fixture(autouse=True)
def private_key(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "home-cache"))
    monkeypatch.delenv("EVALRUN_DB", raising=False)


@pytest.fixture
def validated(monkeypatch) -> list:
    """How many times validate ran in full in this process."""
    runs: list = []
    validate = api.validate

    def counting(*args, **kwargs):
        runs.append(args[1])
        return validate(*args, **kwargs)

    monkeypatch.setattr(api, "validate", counting)
    return runs


def validate(run_cli, workspace, *flags):
    result = run_cli("validate", "--ruleset", "2025", *flags, workspace=workspace)
    return result.exit_code, result.stdout, result.stderr


def test_an_unchanged_workspace_is_not_validated_again(workspace, run_cli, validated):
    first = validate(run_cli, workspace)
    assert first[0] == 0 and "2025.1" in first[1] and len(validated) == 1
    assert validate(run_cli, workspace) == first and len(validated) == 1
    assert validate(run_cli, workspace, "--no-cache") == first and len(validated) == 2


@pytest.mark.parametrize("change", [
    lambda ws: (ws / FARM).write_bytes((ws / FARM).read_bytes().replace(b"project:", b"projcet:", 1)),
    lambda ws: (ws / "rulesets/2025/ruleset.yaml").write_text(
        (ws / "rulesets/2025/ruleset.yaml").read_text(encoding="utf-8") + "\nwieght: 1\n", encoding="utf-8"),
    lambda ws: (ws / "reports/templates/report.md.j2").write_text("{{ project.nme }}\n", encoding="utf-8"),
    lambda ws: (ws / "projects/2025/益阳市商务局/新项目.yaml").write_text("project: 新\n", encoding="utf-8"),
], ids=["a project file", "the ruleset", "a template", "a new file"])
def test_a_changed_file_is_validated_again(workspace, run_cli, validated, change):
    assert validate(run_cli, workspace)[0] == 0
    change(workspace)
    code, out, err = validate(run_cli, workspace)
    assert len(validated) == 2 and code == 1 and err
    assert validate(run_cli, workspace) == (code, out, err) and len(validated) == 2, "the errors are kept too"


def test_the_store_and_another_language_are_validated_again(workspace, run_cli, validated):
    chinese = validate(run_cli, workspace)
    (workspace / "evalrun.db").write_bytes(b"")  # review rules read last year's values there
    assert validate(run_cli, workspace) == chinese and len(validated) == 2
    english = validate(run_cli, workspace, "--lang", "en")
    assert len(validated) == 3 and english != chinese and "valid" in english[1]


def test_another_evalrun_is_validated_again(workspace, run_cli, validated, monkeypatch):
    validate(run_cli, workspace)
    monkeypatch.setattr(runcache, "_installed", lambda: ["another-library-1.0.dist-info"])
    validate(run_cli, workspace)
    assert len(validated) == 2


@pytest.mark.parametrize("damage", [lambda body: body[:-3], lambda body: body[:30] + b"X" + body[31:]])
def test_a_damaged_entry_is_not_used(workspace, run_cli, validated, damage):
    first = validate(run_cli, workspace)
    with sqlite3.connect(workspace / FOLDER / DATABASE) as db:
        (name, body), = db.execute("SELECT name, body FROM output").fetchall()
        db.execute("UPDATE output SET body = ? WHERE name = ?", (damage(body), name))
    assert validate(run_cli, workspace) == first and len(validated) == 2


def test_a_workspace_with_a_link_or_its_own_store_setting_is_never_kept(workspace, run_cli, validated):
    (workspace / "reports/templates/link.md.j2").symlink_to(workspace / "reports/templates/report.md.j2")
    validate(run_cli, workspace)
    validate(run_cli, workspace)
    assert len(validated) == 2
    (workspace / "reports/templates/link.md.j2").unlink()
    (workspace / "evalrun.yaml").write_text("database: off\n", encoding="utf-8")
    validate(run_cli, workspace)
    validate(run_cli, workspace)
    assert len(validated) == 4
