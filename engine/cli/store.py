"""The results store (engine.store): `history` and `compare` read it, `db check|upgrade|export` look after it."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from engine.cli._shared import (EXIT_CODES_HELP, EXIT_OK, EXIT_USER, db_option, print_json, store, table,
                                workspace_option)
from engine.errors import UsageError


@click.command(epilog=EXIT_CODES_HELP)
@click.option("--project", metavar="NAME", default=None, help="A project (name or file name): its every year.")
@click.option("--department", metavar="NAME", default=None, help="A department: every year of each of its projects.")
@click.option("--json", "as_json", is_flag=True, help="Print the history as JSON.")
@db_option
@workspace_option
def history(project, department, as_json, db, workspace):
    """Every year of a project or department in the results store: total, grade, execution rate, rules.

    \b
    evalrun history --project 开放型经济发展与三产业发展引导资金
    evalrun history --department 益阳市商务局
    """
    from engine.store.history import history as read_history
    from engine.store.views import HISTORY_HEADER, history_json, history_rows

    if not project and not department:
        raise UsageError("say whose history: --project NAME or --department NAME")
    rows = read_history(store(workspace, db), workspace, project, department)
    if as_json:
        print_json(history_json(rows))
        return
    click.echo(table(HISTORY_HEADER, history_rows(rows)))


@click.command(epilog=EXIT_CODES_HELP)
@click.argument("old_year", type=int)
@click.argument("new_year", type=int)
@click.option("--department", metavar="NAME", default=None, help="Only this department.")
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
@db_option
@workspace_option
def compare(old_year, new_year, department, as_json, db, workspace):
    """Two fiscal years from the results store: per department and project, the change in total and grade.

    Projects evaluated only in NEW_YEAR are 新增; only in OLD_YEAR, 本年未评价.
    """
    from engine.store.history import compare as read_compare
    from engine.store.views import compare_counts, compare_header, compare_json, compare_rows

    changes = read_compare(store(workspace, db), workspace, old_year, new_year, department)
    if as_json:
        print_json(compare_json(changes, old_year, new_year))
        return
    counts = compare_counts(changes)
    click.echo(f"{old_year} → {new_year}：{len(changes)} 个项目，两年都评价 {counts['both']} 个"
               f"（提高 {counts['up']} 个，降低 {counts['down']} 个），新增 {counts['new']} 个，"
               f"本年未评价 {counts['dropped']} 个")
    if changes:
        click.echo(table(compare_header(old_year, new_year), compare_rows(changes)))


@click.group(epilog=EXIT_CODES_HELP)
def db():
    """The results store: check it, upgrade its schema, export what it holds."""


@db.command(name="check", epilog=EXIT_CODES_HELP)
@db_option
@workspace_option
def db_check(db, workspace):
    """Verify the store against its schema, its migrations and the hashes of its results."""
    from engine.store.check import check

    report = check(store(workspace, db), workspace)
    click.echo(f"results store {report.store}")
    for line in report.lines:
        click.echo(f"  ok: {line}")
    for problem in report.problems:
        click.echo(f"  problem: {problem}", err=True)
    click.echo(f"db check: {'ok' if report.ok else f'{len(report.problems)} problem(s)'}")
    sys.exit(EXIT_OK if report.ok else EXIT_USER)


@db.command(name="upgrade", epilog=EXIT_CODES_HELP)
@db_option
@workspace_option
def db_upgrade(db, workspace):
    """Bring the store's schema to this evalrun's newest migration (a new store is created)."""
    from engine.store.database import upgrade_store

    before, after, where = upgrade_store(store(workspace, db), workspace)
    if before == after:
        click.echo(f"results store {where}: schema revision {after}, nothing to do")
    else:
        click.echo(f"results store {where}: schema revision {before or '(new)'} → {after}")


@db.command(name="export", epilog=EXIT_CODES_HELP)
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv", show_default=True,
              help="CSV (UTF-8, opens in Excel) or Parquet (needs pyarrow: pip install 'evalrun[parquet]').")
@click.option("--output", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for the files [default: WORKSPACE/reports/out/db-export].")
@click.option("--year", type=int, default=None, metavar="YEAR", help="Only this fiscal year's runs and results.")
@db_option
@workspace_option
def db_export(fmt, output, year, db, workspace):
    """Write the stored runs, results, indicator rows and findings, one file per table."""
    from engine import api

    from engine.store.export import export

    folder = output or workspace / "reports" / "out" / "db-export"
    done = export(store(workspace, db), workspace, folder, fmt, year)
    for path in done.files:
        click.echo(f"wrote {api.display(path, workspace)} ({done.rows[path.name]} rows)")


COMMANDS = (history, compare, db)
