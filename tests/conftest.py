"""Shared fixtures: the repository as the example workspace, copies of it, the CLI."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import cli
from store_support import postgres_server  # noqa: F401 - the results store's PostgreSQL server, for the session

REPO = Path(__file__).resolve().parent.parent
REFERENCE_PROJECT = "开放型经济发展与三产业发展引导资金"
REFERENCE_FILE = REPO / "projects" / "2025" / "益阳市商务局" / f"{REFERENCE_PROJECT}.yaml"
# The example projects that ship with evalrun, by name. Tests build their workspaces from these only, so a
# bureau that keeps its own projects in this folder (as the README invites) does not change what they see.
EXAMPLE_PROJECTS = {
    "2024": (REPO / "projects" / "2024" / "益阳市商务局" / f"{REFERENCE_PROJECT}.yaml",),
    "2025": (REFERENCE_FILE, REPO / "projects" / "2025" / "益阳市农业农村局" / "高标准农田建设项目.yaml"),
}


def copy_workspace(target: Path, years=("2025",), projects=True, reference_only=False) -> Path:
    """A private workspace: the bundled rulesets, the default templates and the example projects of ``years``.

    ``reference_only`` keeps just the reference project, for tests that count outputs.
    """
    shutil.copytree(REPO / "rulesets", target / "rulesets")
    templates = target / "reports" / "templates"
    templates.mkdir(parents=True, exist_ok=True)
    for path in (REPO / "reports" / "templates").iterdir():  # the defaults, not a department's own folder
        if path.is_file():
            shutil.copy(path, templates / path.name)
    chosen = {"2025": (REFERENCE_FILE,)} if reference_only else EXAMPLE_PROJECTS if projects else {}
    for year in years if not reference_only else ("2025",):
        for source in chosen.get(year, ()):
            department = target / "projects" / year / source.parent.name
            department.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, department / source.name)
    return target


def problem_lines(stderr: str) -> list[str]:
    """What a run says is wrong: its stderr lines less the review findings of the data (`file:line:col: warning: ...`),
    which the example projects carry and which are not the problem a test provokes."""
    return [line for line in stderr.splitlines() if line.strip() and ": warning: " not in line]


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
