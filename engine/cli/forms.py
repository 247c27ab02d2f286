"""The self-evaluation forms (自评表) departments fill in: `import` reads them into project files, `export` writes them."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from engine.cli._shared import EXIT_CODES_HELP, EXIT_OK, EXIT_USER, need, print_lines, ruleset_option, workspace_option
from engine.i18n import lazy, tr
from engine.i18n.clicktext import PathType, command, option


@command(name="import", help=lazy("cli.import.help"), epilog=EXIT_CODES_HELP)
@click.argument("form", type=PathType(exists=True, dir_okay=False, path_type=Path))
@option("--year", type=click.IntRange(2000, 2100), default=None, metavar="YEAR", help=lazy("cli.option.import_year"))
@option("--department", metavar="NAME", default=None, help=lazy("cli.option.import_department"))
@option("--partial", is_flag=True, help=lazy("cli.option.partial"))
@option("--force", is_flag=True, help=lazy("cli.option.force"))
@option("--dry-run", is_flag=True, help=lazy("cli.option.dry_run"))
@option("--accept-changes", is_flag=True, help=lazy("cli.option.accept_changes"))
@workspace_option
def import_forms(form, year, department, partial, force, dry_run, accept_changes, workspace):
    """Read the self-evaluation forms (自评表) in an Excel workbook into project files."""
    from engine import api

    options = api.ImportOptions(form=form, year=year, workspace=workspace, department=department,
                                partial=partial, force=force, dry_run=dry_run, accept_changes=accept_changes)
    outcome = api.import_workbook(options)
    for notice in outcome.warnings:
        click.echo(tr("cli.import.warning", text=notice), err=True)
    for sheet in outcome.sheets:
        if sheet.skipped:
            click.echo(tr("cli.import.skipped", sheet=sheet.sheet, reason=sheet.skipped))
        plan = outcome.plans.get(sheet.sheet)
        if plan is not None:
            _print_plan(plan, sheet.sheet, workspace, dry_run, accept_changes)
        for warning in sheet.warnings:
            click.echo(tr("cli.import.warning", text=warning), err=True)
        for error in sheet.errors:
            click.echo(str(error), err=True)
    for path in outcome.written:
        plan = next(p for p in outcome.plans.values() if p.path == path)
        shown = api.display(path, workspace)
        click.echo(tr("cli.import.wrote", path=shown) if plan.new else tr("cli.import.updated", path=shown))
    failed = outcome.failed
    if failed:
        problems = sum(len(s.errors) for s in failed)
        names = ", ".join(s.sheet for s in failed)
        if outcome.written:
            click.echo(tr("cli.import.problems_some_written", count=problems, sheets=names), err=True)
        else:
            click.echo(tr("cli.import.problems_nothing_written", count=problems, sheets=names,
                          hint="" if partial or dry_run else tr("cli.import.partial_hint")), err=True)
    elif dry_run:
        click.echo(tr("cli.import.dry_run"))
    sys.exit(EXIT_USER if failed else EXIT_OK)


def _print_plan(plan, sheet: str, workspace: Path, dry_run: bool, accept_changes: bool) -> None:
    """What a sheet does to its project file, before anything is written."""
    from engine import api

    shown = api.display(plan.path, workspace)
    if plan.new:
        if dry_run:
            click.echo(tr("cli.import.new_file", path=shown, sheet=sheet))
        return
    if not plan.changes:
        click.echo(tr("cli.import.no_change", path=shown))
        return
    click.echo(tr("cli.import.changes", path=shown, count=len(plan.changes), sheet=sheet))
    for change in plan.changes:
        note = ""
        if change.approved and accept_changes:
            note = tr("cli.import.approved_taken") if change.edits else tr("cli.import.approved_not_taken")
        click.echo(f"  {change.line}{note}")


@command(help=lazy("cli.export.help"), epilog=EXIT_CODES_HELP)
@ruleset_option
@workspace_option
@option("--blank", is_flag=True, help=lazy("cli.option.blank"))
@option("--output", type=PathType(file_okay=False, path_type=Path), default=None, help=lazy("cli.option.export_output"))
def export(ruleset, workspace, blank, output):
    """Write the self-evaluation forms (自评表) for departments to fill in: one workbook per department."""
    from engine import api

    options = api.ExportOptions(ruleset=need(ruleset), workspace=workspace, blank=blank, output=output)
    outcome = api.export_forms(options)
    for _, error in outcome.failures:
        print_lines(error.lines(), err=True)
    for path in outcome.written:
        click.echo(tr("cli.export.wrote", path=api.display(path, workspace)))
    if not outcome.written and not outcome.failures:
        click.echo(tr("cli.export.no_projects", ruleset=ruleset))
    click.echo(tr("cli.export.summary", projects=lazy("count.projects", count=outcome.projects),
                  workbooks=lazy("count.workbooks", count=len(outcome.written)),
                  failed=tr("cli.export.failed", count=len(outcome.failures)) if outcome.failures else ""))
    sys.exit(EXIT_USER if outcome.failures else EXIT_OK)


COMMANDS = (import_forms, export)
