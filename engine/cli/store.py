"""The results store (engine.store): `history` and `compare` read it, `db check|upgrade|export` look after it."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from engine.cli._shared import (EXIT_CODES_HELP, EXIT_OK, EXIT_USER, db_option, print_json, store, table,
                                workspace_option)
from engine.errors import UsageError
from engine.i18n import lazy, tr
from engine.i18n.clicktext import Group, PathType, command, option


@command(help=lazy("cli.history.help"), epilog=EXIT_CODES_HELP)
@option("--project", metavar="NAME", default=None, help=lazy("cli.option.history_project"))
@option("--department", metavar="NAME", default=None, help=lazy("cli.option.history_department"))
@option("--json", "as_json", is_flag=True, help=lazy("cli.option.history_json"))
@db_option
@workspace_option
def history(project, department, as_json, db, workspace):
    """Every year of a project or department in the results store: total, grade, execution rate, rules."""
    from engine.store.history import history as read_history
    from engine.store.views import history_header, history_json, history_rows

    if not project and not department:
        raise UsageError(tr("cli.history.whose"))
    rows = read_history(store(workspace, db), workspace, project, department)
    if as_json:
        print_json(history_json(rows))
        return
    click.echo(table(history_header(), history_rows(rows)))


@command(help=lazy("cli.compare.help"), epilog=EXIT_CODES_HELP)
@click.argument("old_year", type=int)
@click.argument("new_year", type=int)
@option("--department", metavar="NAME", default=None, help=lazy("cli.option.compare_department"))
@option("--json", "as_json", is_flag=True, help=lazy("cli.option.compare_json"))
@db_option
@workspace_option
def compare(old_year, new_year, department, as_json, db, workspace):
    """Two fiscal years from the results store: per department and project, the change in total and grade."""
    from engine.store.history import compare as read_compare
    from engine.store.views import compare_counts, compare_header, compare_json, compare_rows

    changes = read_compare(store(workspace, db), workspace, old_year, new_year, department)
    if as_json:
        print_json(compare_json(changes, old_year, new_year))
        return
    counts = compare_counts(changes)
    click.echo(tr("cli.compare.summary", old=old_year, new=new_year, count=len(changes), both=counts["both"],
                  up=counts["up"], down=counts["down"], added=counts["new"], dropped=counts["dropped"]))
    if changes:
        click.echo(table(compare_header(old_year, new_year), compare_rows(changes)))


@click.group(cls=Group, help=lazy("cli.db.help"), epilog=EXIT_CODES_HELP)
def db():
    """The results store: check it, upgrade its schema, export what it holds."""


@db.command(name="check", help=lazy("cli.db_check.help"), epilog=EXIT_CODES_HELP)
@db_option
@workspace_option
def db_check(db, workspace):
    """Verify the store against its schema, its migrations and the hashes of its results."""
    from engine.store.check import check

    report = check(store(workspace, db), workspace)
    click.echo(tr("cli.db_check.store", store=report.store))
    for line in report.lines:
        click.echo(tr("cli.db_check.ok_line", line=line))
    for problem in report.problems:
        click.echo(tr("cli.db_check.problem", problem=problem), err=True)
    click.echo(tr("cli.db_check.ok") if report.ok else tr("cli.db_check.problems", count=len(report.problems)))
    sys.exit(EXIT_OK if report.ok else EXIT_USER)


@db.command(name="upgrade", help=lazy("cli.db_upgrade.help"), epilog=EXIT_CODES_HELP)
@db_option
@workspace_option
def db_upgrade(db, workspace):
    """Bring the store's schema to this evalrun's newest migration (a new store is created)."""
    from engine.store.database import upgrade_store

    before, after, where = upgrade_store(store(workspace, db), workspace)
    if before == after:
        click.echo(tr("cli.db_upgrade.nothing", store=where, revision=after))
    else:
        click.echo(tr("cli.db_upgrade.done", store=where, before=before or tr("cli.db_upgrade.new"), after=after))


@db.command(name="export", help=lazy("cli.db_export.help"), epilog=EXIT_CODES_HELP)
@option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv", show_default=True,
        help=lazy("cli.option.db_format"))
@option("--output", type=PathType(file_okay=False, path_type=Path), default=None, help=lazy("cli.option.db_output"))
@option("--year", type=int, default=None, metavar="YEAR", help=lazy("cli.option.db_year"))
@db_option
@workspace_option
def db_export(fmt, output, year, db, workspace):
    """Write the stored runs, results, indicator rows and findings, one file per table."""
    from engine import api

    from engine.store.export import export

    folder = output or workspace / "reports" / "out" / "db-export"
    done = export(store(workspace, db), workspace, folder, fmt, year)
    for path in done.files:
        click.echo(tr("cli.db_export.wrote", path=api.display(path, workspace), rows=done.rows[path.name]))


COMMANDS = (history, compare, db)
