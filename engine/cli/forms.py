"""The self-evaluation forms (自评表) departments fill in: `import` reads them into project files, `export` writes them."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from engine.cli._shared import EXIT_CODES_HELP, EXIT_OK, EXIT_USER, need, print_lines, ruleset_option, workspace_option


@click.command(name="import", epilog=EXIT_CODES_HELP)
@click.argument("form", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--year", type=click.IntRange(2000, 2100), default=None, metavar="YEAR",
              help="The fiscal year the forms report on; files go to projects/YEAR/ "
                   "[default: the year in the forms' title, 2025年度项目支出绩效自评表].")
@click.option("--department", metavar="NAME", default=None,
              help="The department for every sheet [default: each sheet's 主管部门].")
@click.option("--partial", is_flag=True, help="Write the sheets without errors even when other sheets have some.")
@click.option("--force", is_flag=True, help="Update project files that exist already with the form's values.")
@click.option("--dry-run", is_flag=True, help="Show what would be written and changed; write nothing.")
@click.option("--accept-changes", is_flag=True,
              help="Take changes to approved values (budget, targets, weights, indicator names) from the form.")
@workspace_option
def import_forms(form, year, department, partial, force, dry_run, accept_changes, workspace):
    """Read the self-evaluation forms (自评表) in an Excel workbook into project files.

    \b
    Every sheet that looks like a 自评表 becomes projects/YEAR/<department>/<project>.yaml;
    other sheets (a 汇总) are skipped. A project that has a file already is updated
    in place (with --force): only the values the form changes are edited, each listed
    first, and the rest of the file stays as it is. Approved values (budget, targets,
    weights, indicator names) are not taken from a form unless --accept-changes.
    A cell that cannot be read is listed as FORM.xlsx!Sheet!C12: what is wrong;
    nothing is written while a sheet has errors (unless --partial).
    """
    from engine import api

    options = api.ImportOptions(form=form, year=year, workspace=workspace, department=department,
                                partial=partial, force=force, dry_run=dry_run, accept_changes=accept_changes)
    outcome = api.import_workbook(options)
    for notice in outcome.warnings:
        click.echo(f"warning: {notice}", err=True)
    for sheet in outcome.sheets:
        if sheet.skipped:
            click.echo(f"skipped sheet {sheet.sheet}: {sheet.skipped}")
        plan = outcome.plans.get(sheet.sheet)
        if plan is not None:
            _print_plan(plan, sheet.sheet, workspace, dry_run, accept_changes)
        for warning in sheet.warnings:
            click.echo(f"warning: {warning}", err=True)
        for error in sheet.errors:
            click.echo(str(error), err=True)
    for path in outcome.written:
        plan = next(p for p in outcome.plans.values() if p.path == path)
        click.echo(f"{'wrote' if plan.new else 'updated'} {api.display(path, workspace)}")
    failed = outcome.failed
    if failed:
        problems = sum(len(s.errors) for s in failed)
        names = ", ".join(s.sheet for s in failed)
        if outcome.written:
            click.echo(f"{problems} problem(s); not written: sheet {names}", err=True)
        else:
            click.echo(f"{problems} problem(s) in sheet {names}; nothing was written"
                       + ("" if partial or dry_run else " (fix them, or add --partial to write the other sheets)"),
                       err=True)
    elif dry_run:
        click.echo("dry run: nothing was written")
    sys.exit(EXIT_USER if failed else EXIT_OK)


def _print_plan(plan, sheet: str, workspace: Path, dry_run: bool, accept_changes: bool) -> None:
    """What a sheet does to its project file, before anything is written."""
    from engine import api

    shown = api.display(plan.path, workspace)
    if plan.new:
        if dry_run:
            click.echo(f"{shown}: a new project file, from sheet {sheet}")
        return
    if not plan.changes:
        click.echo(f"{shown}: no change (the form holds the file's values)")
        return
    click.echo(f"{shown}: {len(plan.changes)} change(s) from sheet {sheet}")
    for change in plan.changes:
        note = ""
        if change.approved and accept_changes:
            note = "  (approved value, taken with --accept-changes)" if change.edits else \
                "  (not taken: the ruleset sets it, not the project file)"
        click.echo(f"  {change.line}{note}")


@click.command(epilog=EXIT_CODES_HELP)
@ruleset_option
@workspace_option
@click.option("--blank", is_flag=True, help="Leave what departments report empty (actual values, 全年执行数, scores).")
@click.option("--output", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where the workbooks go [default: WORKSPACE/reports/out/RULESET/forms].")
def export(ruleset, workspace, blank, output):
    """Write the self-evaluation forms (自评表) for departments to fill in: one workbook per department.

    Each project is a sheet in the layout `evalrun import` reads back, filled with
    the project's data (自评得分 as the department reported it), or with --blank
    only the budget, targets and weights.
    """
    from engine import api

    options = api.ExportOptions(ruleset=need(ruleset), workspace=workspace, blank=blank, output=output)
    outcome = api.export_forms(options)
    for _, error in outcome.failures:
        print_lines(error.lines(), err=True)
    for path in outcome.written:
        click.echo(f"wrote {api.display(path, workspace)}")
    if not outcome.written and not outcome.failures:
        click.echo(f"no project files under projects/<year>/<department>/ for ruleset {ruleset}")
    click.echo(f"{outcome.projects} project(s) in {len(outcome.written)} workbook(s)"
               + (f"; {len(outcome.failures)} project(s) could not be exported" if outcome.failures else ""))
    sys.exit(EXIT_USER if outcome.failures else EXIT_OK)


COMMANDS = (import_forms, export)
