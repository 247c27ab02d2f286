"""The parse cache: used only when nothing it was made from changed, never trusted when broken."""
from __future__ import annotations

import os
import pickle
import sqlite3
import stat
from pathlib import Path

import lz4.block
import pytest

from tests.helpers import REFERENCE_FILE, REFERENCE_PROJECT
from engine import api
import engine.files.cache as cache_module
from engine.files.cache import DATABASE, FOLDER, ParseCache

REFERENCE = Path("projects/2025/益阳市商务局") / REFERENCE_FILE.name
FARM = Path("projects/2025/益阳市农业农村局/高标准农田建设项目.yaml")  # scored by a department variant


@pytest.fixture(autouse=True)
def private_key(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "home-cache"))
    return tmp_path / "home-cache" / "evalrun" / "cache.key"


def load(workspace: Path, relative: Path = REFERENCE, name: str = "2025"):
    """(project, the ParseCache after loading it once) with a fresh cache object, as a new run has."""
    rulesets = api.RulesetCache(workspace, name)
    path = workspace / relative
    cache = ParseCache(workspace, name)
    try:
        project = api.load_project(path, rulesets.for_department(path.parent.name), workspace, cache)
    finally:
        cache.close()
    return project, cache


def entries(workspace: Path) -> dict:
    """name -> the entry's bytes, as stored."""
    with sqlite3.connect(workspace / FOLDER / DATABASE) as db:
        return dict(db.execute("SELECT name, body FROM entry"))


def store(workspace: Path, name: str, body: bytes) -> None:
    with sqlite3.connect(workspace / FOLDER / DATABASE) as db:
        db.execute("UPDATE entry SET body = ? WHERE name = ?", (body, name))


def test_an_unchanged_project_is_not_read_again(workspace):
    first, cold = load(workspace)
    assert (cold.hits, cold.misses, cold.writes) == (0, 1, 1)
    second, warm = load(workspace)
    assert (warm.hits, warm.misses, warm.writes) == (1, 0, 0)
    assert second == first and second.indicators[0].sources == first.indicators[0].sources
    assert str(second.indicators[3].sources["target"]) == str(first.indicators[3].sources["target"])


def test_a_changed_byte_is_read_again(workspace):
    load(workspace)
    path = workspace / REFERENCE
    path.write_bytes(path.read_bytes().replace(b"executed: 547.6879", b"executed: 547.6878"))
    project, cache = load(workspace)
    assert (cache.hits, cache.misses) == (0, 1) and str(project.budget.executed) == "547.6878"
    assert len(entries(workspace)) == 1, "the entry is replaced, not added to"


def test_a_changed_ruleset_invalidates(workspace):
    load(workspace)
    path = workspace / "rulesets/2025/ruleset.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n# a comment changes nothing scored\n", encoding="utf-8")
    assert load(workspace)[1].hits == 1, "the resolved ruleset is the same"
    text = path.read_text(encoding="utf-8")
    assert "version: \"2025.1\"" in text
    path.write_text(text.replace("version: \"2025.1\"", "version: \"2025.2\""), encoding="utf-8")
    assert load(workspace)[1].misses == 1


def test_a_changed_department_variant_invalidates_its_projects_only(workspace):
    load(workspace), load(workspace, FARM)
    variant = workspace / "rulesets/2025/departments/益阳市农业农村局.yaml"
    variant.write_text(variant.read_text(encoding="utf-8") + "\nversion: \"2025.1-农业-b\"\n", encoding="utf-8")
    assert load(workspace, FARM)[1].misses == 1
    assert load(workspace)[1].hits == 1


def test_a_changed_schema_or_evalrun_invalidates(workspace, monkeypatch):
    load(workspace)
    monkeypatch.setattr(cache_module, "schema_digest", lambda: "another schema")
    assert load(workspace)[1].misses == 1
    assert load(workspace)[1].hits == 1
    monkeypatch.setattr(cache_module, "code_digest", lambda: "another evalrun")
    assert load(workspace)[1].misses == 1


def test_the_code_digest_follows_the_code():
    digest = cache_module.code_digest()
    assert len(digest) == 64 and digest == cache_module.code_digest()
    cache_module.code_digest.cache_clear()
    assert cache_module.code_digest() == digest


def test_the_same_file_elsewhere_is_not_taken_for_it(workspace):
    load(workspace)
    moved = workspace / "projects/2025" / REFERENCE_FILE.parent.name / "副本.yaml"  # same bytes, another file
    moved.write_bytes((workspace / REFERENCE).read_bytes())
    project, cache = load(workspace, moved.relative_to(workspace))
    assert cache.misses == 1 and project.file == moved.relative_to(workspace).as_posix()


@pytest.mark.parametrize("damage", [
    pytest.param(lambda raw: raw[: len(raw) // 2], id="cut short"),
    pytest.param(lambda raw: raw[:-10] + bytes(b ^ 1 for b in raw[-10:]), id="bytes changed"),
    pytest.param(lambda raw: b"", id="empty"),
    pytest.param(lambda raw: b"not a cache entry at all\n" * 10, id="garbage"),
    pytest.param(lambda raw: raw[:16] + bytes(32) + raw[48:], id="signature wiped"),
])
def test_a_corrupt_entry_is_ignored_and_rebuilt(workspace, damage):
    first, _ = load(workspace)
    ((name, body),) = entries(workspace).items()
    store(workspace, name, damage(body))
    project, cache = load(workspace)
    assert (cache.hits, cache.misses, cache.writes) == (0, 1, 1) and project == first
    assert load(workspace)[1].hits == 1, "rebuilt"


def test_an_entry_signed_with_another_key_is_not_trusted(workspace, private_key):
    load(workspace)
    private_key.write_bytes(os.urandom(32))  # another user's key, or another machine's
    assert load(workspace)[1].misses == 1


@pytest.mark.parametrize("damage", [
    pytest.param(lambda raw: raw[: len(raw) // 3], id="cut short"),
    pytest.param(lambda raw: b"SQLite format 3\x00" + bytes(4000), id="zeroed"),
    pytest.param(lambda raw: b"not a database\n" * 100, id="garbage"),
])
def test_a_corrupt_cache_file_is_ignored_and_replaced(workspace, damage, run_cli):
    first, _ = load(workspace)
    database = workspace / FOLDER / DATABASE
    database.write_bytes(damage(database.read_bytes()))
    project, cache = load(workspace)
    assert project == first and cache.hits == 0
    assert load(workspace)[1].hits == 1, "rebuilt"
    database.write_bytes(damage(database.read_bytes()))
    result = run_cli("--ruleset", "2025", "--json", workspace=workspace)
    assert result.exit_code == 0 and "95.53" in result.stdout and not result.stderr


def test_a_signed_entry_can_build_only_evalrun_s_own_classes(workspace, tmp_path):
    load(workspace)
    ((name, _),) = entries(workspace).items()
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    # Even with the key (here: ours), an entry that would run code is refused, not run.
    body = pickle.dumps(("stamp", Payload()), protocol=5)
    import hmac

    body = lz4.block.compress(body)
    store(workspace, name, cache_module.FORMAT + hmac.new(cache_module.secret(), body, "sha256").digest() + body)
    project, cache = load(workspace)
    assert cache.misses == 1 and not marker.exists() and project.name == REFERENCE_PROJECT


def test_the_key_is_private(workspace, private_key):
    load(workspace)
    assert stat.S_IMODE(private_key.stat().st_mode) == 0o600 and len(private_key.read_bytes()) == 32
    private_key.chmod(0o644)  # readable by others: no longer a secret, so no cache
    project, cache = load(workspace)
    assert not cache.readable and (cache.hits, cache.writes) == (0, 0) and project.name == REFERENCE_PROJECT


def test_a_workspace_where_the_cache_cannot_be_written_runs_uncached(workspace, run_cli):
    (workspace / FOLDER).write_text("a file where the folder would be", encoding="utf-8")
    result = run_cli("--ruleset", "2025", "--format", "md", workspace=workspace)
    assert result.exit_code == 0, result.stderr
    assert "95.53" in result.stdout
    assert (workspace / FOLDER).is_file()


def test_no_cache_skips_it(workspace, run_cli):
    assert run_cli("--ruleset", "2025", "--json", "--no-cache", workspace=workspace).exit_code == 0
    assert run_cli("validate", "--ruleset", "2025", "--no-cache", workspace=workspace).exit_code == 0
    assert not (workspace / FOLDER).exists()
    assert run_cli("validate", "--ruleset", "2025", workspace=workspace).exit_code == 0
    assert len(entries(workspace)) == 2 and (workspace / FOLDER / ".gitignore").read_text() == "*\n"
    assert sorted(p.name for p in (workspace / FOLDER).iterdir()) == [".gitignore", "CACHEDIR.TAG", DATABASE]


def reports(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_outputs_are_byte_identical_with_and_without_the_cache(workspace, run_cli):
    out = workspace / "reports" / "out"
    seen = []
    for flags in (["--no-cache", "--no-db"], ["--no-db"], ["--no-db"]):  # uncached, cold (fills it), warm (reads it)
        json_text = run_cli("--ruleset", "2025", "--json", *flags, workspace=workspace).stdout
        result = run_cli("--ruleset", "2025", "--quiet", *flags, workspace=workspace)
        assert result.exit_code == 0, result.stderr
        seen.append((json_text, result.stdout, result.stderr, reports(out)))
        for path in out.rglob("*"):
            if path.is_file():
                path.unlink()
    assert seen[0] == seen[1] == seen[2]
    assert len(seen[0][3]) >= 8 and "95.53" in seen[0][0]
    assert len(entries(workspace)) == 2
