"""What the commands share: exit codes, the common options, and small printing helpers."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from engine.errors import UsageError
from engine.i18n import lazy, tr
from engine.i18n.clicktext import PathType, option
from engine.i18n.width import table as _table

EXIT_OK, EXIT_USER, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3

EXIT_CODES_HELP = lazy("cli.exit_codes")  # every command's epilog, in the language in use

ruleset_option = option("--ruleset", "ruleset", metavar="NAME", help=lazy("cli.option.ruleset"))
workspace_option = option(
    "--workspace", type=PathType(file_okay=False, path_type=Path), default=Path("."),
    show_default=True, help=lazy("cli.option.workspace"))
no_cache_option = option("--no-cache", is_flag=True, help=lazy("cli.option.no_cache"))
db_option = option("--db", "db", metavar="URL", default=None, help=lazy("cli.option.store"))
table = _table  # the commands' tables, their columns aligned by display width (CJK text counts two)


def need(ruleset: str | None) -> str:
    if not ruleset:
        raise UsageError(tr("cli.need_ruleset"))
    return ruleset


def store(workspace: Path, db: str | None) -> str:
    """The results store's URL from --db, EVALRUN_DB or evalrun.yaml; a usage error when it is `off`."""
    from engine.store import store_url

    url = store_url(workspace, db)
    if url is None:
        raise UsageError(tr("cli.no_store"))
    return url


def print_lines(lines, err: bool = False) -> None:
    for line in lines:
        click.echo(line, err=err)


def unique_lines(lines) -> list[str]:
    """Each line once, in order: a ruleset's finding or a shared error is printed once per run."""
    return list(dict.fromkeys(lines))


def failure_lines(failures) -> list[str]:
    """The lines of the projects that could not be scored ((path, EvalrunError) pairs), each once."""
    return unique_lines(str(e) for _, error in failures for e in error.problems)


def print_json(data) -> None:
    import json

    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def finding_line(finding) -> str:
    """A finding with its place and check, in the console's language."""
    from engine.scoring.findings import severity_word

    return tr("cli.review.finding", severity=severity_word(finding.severity), text=finding.text, source=finding.source,
              check=finding.check)
