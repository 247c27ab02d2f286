"""Shared fixtures: the repository as the example workspace, copies of it, the CLI."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import cli

REPO = Path(__file__).resolve().parent.parent
REFERENCE_PROJECT = "开放型经济发展与三产业发展引导资金"
REFERENCE_FILE = REPO / "projects" / "2025" / "益阳市商务局" / f"{REFERENCE_PROJECT}.yaml"


def copy_workspace(target: Path, years=("2025",), projects=True, reference_only=False) -> Path:
    """A private copy of the example workspace (rulesets, projects, templates).

    ``reference_only`` keeps just the reference project, for tests that count outputs.
    """
    shutil.copytree(REPO / "rulesets", target / "rulesets")
    (target / "reports").mkdir(parents=True, exist_ok=True)
    shutil.copytree(REPO / "reports" / "templates", target / "reports" / "templates")
    if reference_only:
        department = target / "projects" / "2025" / REFERENCE_FILE.parent.name
        department.mkdir(parents=True)
        shutil.copy(REFERENCE_FILE, department / REFERENCE_FILE.name)
    elif projects:
        for year in years:
            source = REPO / "projects" / year
            if source.is_dir():
                shutil.copytree(source, target / "projects" / year)
    return target


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
    """The parse cache's signing key (engine/cache.py) is made under a temporary folder, not in ~/.cache."""
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
