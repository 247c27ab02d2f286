"""Shared fixtures: the repository as the example workspace, copies of it, the CLI."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import cli
from tests.helpers import copy_workspace
from tests.store_support import postgres_server  # noqa: F401 - the results store's PostgreSQL server, for the session

def pytest_xdist_auto_num_workers(config):
    """`-n auto` (pyproject's addopts): one worker per core this process may run on, at most four (each starts
    its own PostgreSQL server and browser); psutil's count of physical cores would give one on some VMs."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(4, cores))


@pytest.fixture
def workspace(tmp_path) -> Path:
    return copy_workspace(tmp_path / "ws")


@pytest.fixture
def reference_workspace(tmp_path) -> Path:
    """A workspace whose only project is the reference project."""
    return copy_workspace(tmp_path / "ws", reference_only=True)


@pytest.fixture
def run_cli():
    """Run evalrun through click's runner; returns the click Result."""

    def invoke(*args, workspace: Path | None = None):
        argv = list(args)
        if workspace is not None:  # last, so it goes to the subcommand when there is one
            argv += ["--workspace", str(workspace)]
        return CliRunner().invoke(cli, argv, catch_exceptions=False)

    return invoke


@pytest.fixture(autouse=True, scope="session")
def _cache_key_in_a_temporary_folder(tmp_path_factory):
    """The parse cache's signing key (engine/files/cache.py) is made under a temporary folder, not in ~/.cache."""
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))


@pytest.fixture(autouse=True)
def _default_language(monkeypatch):
    """Each test starts in evalrun's default language, Chinese, whatever the machine's locale says."""
    from engine import i18n

    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(variable, raising=False)
    i18n.use(i18n.DEFAULT)
    yield
    i18n.use(i18n.DEFAULT)


@pytest.fixture
def english(_default_language, monkeypatch, request):
    """The test reads evalrun's English messages (`--lang en`, LANG=en_US.UTF-8): the library's and the CLI's.

    A test marked ``chinese`` in a module that uses this fixture reads the Chinese default instead.
    """
    from engine import i18n

    if request.node.get_closest_marker("chinese"):
        return
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    i18n.use("en")


def pytest_configure(config):
    config.addinivalue_line("markers", "chinese: the test reads evalrun's Chinese default (in a module that reads English)")
