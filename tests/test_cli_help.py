"""Every command's help text, and the exit codes and test command the README documents."""
from __future__ import annotations

import click
import pytest

from engine.cli import cli
from tests.helpers import REPO

# These tests read evalrun's English messages (--lang en); tests/test_language.py and test_bad_inputs.py check the Chinese default.
pytestmark = pytest.mark.usefixtures("english")


def all_commands():
    yield (), cli
    for name, command in cli.commands.items():
        yield (name,), command


@pytest.mark.parametrize("path,command", list(all_commands()), ids=lambda x: " ".join(x) if isinstance(x, tuple) else "")
def test_every_command_has_help_text(run_cli, path, command):
    assert command.help and command.help.strip()
    result = run_cli(*path, "--help")
    assert result.exit_code == 0
    assert "Exit codes" in result.stdout
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden and param.name not in ("help", "version"):
            assert param.help, f"{path} --{param.name} has no help"


def test_exit_codes_are_documented_in_the_readme():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for code in ("**0**", "**1**", "**2**", "**3**"):
        assert code in readme


def test_readme_test_command_is_what_ci_runs():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    command = "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/pytest"
    assert command in readme and command in ci
