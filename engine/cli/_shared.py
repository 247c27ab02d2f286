"""What the commands share: exit codes, the common options, and small printing helpers."""
from __future__ import annotations

import sys
import unicodedata
from pathlib import Path

import click

from engine.errors import UsageError

EXIT_OK, EXIT_USER, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3

EXIT_CODES_HELP = """
\b
Exit codes:
  0  ok (findings are printed as warnings)
  1  errors in rulesets or project files, or findings the ruleset marks as errors
  2  wrong usage (unknown option, no such ruleset or project), or a results store that cannot be used
  3  internal error in evalrun (please report it)
"""

ruleset_option = click.option(
    "--ruleset", "ruleset", metavar="NAME", help="Ruleset folder under rulesets/, e.g. 2025.")
workspace_option = click.option(
    "--workspace", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
    show_default=True, help="Folder holding rulesets/, projects/ and reports/.")
no_cache_option = click.option(
    "--no-cache", is_flag=True,
    help="Read every project file again, without the parse cache in .evalrun-cache/ (which changes no output).")
db_option = click.option("--db", "db", metavar="URL", default=None,
                         help="The results store: a SQLite file or postgresql://user@host/db "
                              "[default: EVALRUN_DB, evalrun.yaml's `database`, else WORKSPACE/evalrun.db].")


def need(ruleset: str | None) -> str:
    if not ruleset:
        raise UsageError("missing --ruleset NAME (a folder under rulesets/, e.g. --ruleset 2025)")
    return ruleset


def store(workspace: Path, db: str | None) -> str:
    """The results store's URL from --db, EVALRUN_DB or evalrun.yaml; a usage error when it is `off`."""
    from engine.store import store_url

    url = store_url(workspace, db)
    if url is None:
        raise UsageError("no results store: --db, EVALRUN_DB or evalrun.yaml says `off`; give --db FILE-OR-URL")
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


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def table(header: list[str], rows: list[list[str]]) -> str:
    """A plain-text table whose columns line up with Chinese text (two columns a character)."""
    widths = [max(_width(r[i]) for r in [header] + rows) for i in range(len(header))]
    lines = ["  ".join(_pad(c, w) for c, w in zip(header, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(_pad(c, w) for c, w in zip(row, widths)).rstrip() for row in rows]
    return "\n".join(lines)


def finding_line(finding) -> str:
    return f"{finding.severity}: {finding.message}  ({finding.source}) [{finding.check}]"
