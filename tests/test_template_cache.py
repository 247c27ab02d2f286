"""Compiled report templates are kept in the user's own cache folder, never one others can write."""
from __future__ import annotations

import os

import pytest

from tests.helpers import copy_workspace

from engine.outputs import templatecache
from engine.files.cache import key_file


@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "evalrun"


def test_templates_are_compiled_once_into_the_users_folder(cache_home, reference_workspace, run_cli):
    first = run_cli("validate", "--ruleset", "2025", workspace=reference_workspace)
    assert first.exit_code == 0, first.output
    folders = list(cache_home.glob("templates-*"))
    assert len(folders) == 1 and any(folders[0].iterdir())
    assert oct(folders[0].stat().st_mode & 0o777) == oct(0o700)
    assert key_file().parent == cache_home
    assert not list(reference_workspace.rglob("__jinja2_*"))  # nothing compiled is kept in the workspace


@pytest.mark.parametrize("own", [True, False], ids=["edited", "added over the shipped one"])
def test_an_edited_template_is_compiled_again(cache_home, tmp_path, run_cli, own):
    """In one process too (evalrun serve): a workspace template edited, or put where the shipped one was used."""
    workspace = copy_workspace(tmp_path / "ws", reference_only=True, templates=own)
    assert run_cli("--ruleset", "2025", "--format", "md", "--no-db", workspace=workspace).exit_code == 0
    template = workspace / "reports" / "templates" / "report.md.j2"
    template.write_text("编辑过的模板 {{ project.name }}\n", encoding="utf-8")
    again = run_cli("--ruleset", "2025", "--format", "md", "--no-db", workspace=workspace)
    assert again.exit_code == 0, again.output
    written = next((workspace / "reports" / "out" / "2025" / "益阳市商务局").glob("*.md"))
    assert written.read_text(encoding="utf-8").startswith("编辑过的模板")


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_a_folder_others_can_write_is_not_used(cache_home):
    assert templatecache.bytecode_cache() is not None
    folder = next(cache_home.glob("templates-*"))
    folder.chmod(0o777)
    assert templatecache.bytecode_cache() is None


@pytest.mark.skipif(os.name == "nt", reason="symlinks")
def test_a_folder_that_is_a_link_is_not_used(cache_home, tmp_path):
    assert templatecache.bytecode_cache() is not None
    folder = next(cache_home.glob("templates-*"))
    folder.rmdir() if not any(folder.iterdir()) else None
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    if folder.exists():
        import shutil
        shutil.rmtree(folder)
    folder.symlink_to(elsewhere, target_is_directory=True)
    assert templatecache.bytecode_cache() is None


def test_the_folders_of_an_earlier_evalrun_unused_for_a_week_are_removed(cache_home):
    old, recent = cache_home / "templates-0000000000000000", cache_home / "templates-1111111111111111"
    for folder in (old, recent):
        folder.mkdir(parents=True)
        (folder / "__jinja2_x.cache").write_bytes(b"old")
    os.utime(old, (0, 0))
    assert templatecache.bytecode_cache() is not None
    assert not old.exists() and recent.exists()  # another checkout's evalrun may be running


def test_a_cache_folder_that_goes_away_only_means_compiling_again(cache_home, reference_workspace, run_cli):
    cache = templatecache.bytecode_cache()
    import shutil
    shutil.rmtree(next(cache_home.glob("templates-*")))
    import jinja2
    env = jinja2.Environment(loader=jinja2.DictLoader({"t": "{{ 1 + 1 }}"}), bytecode_cache=cache)
    assert env.get_template("t").render() == "2"
