"""Rulesets over the years: `diff` (what changed, and with --impact how each project's score moves) and `new`."""
from __future__ import annotations

import sys

import click

from engine.cli._shared import EXIT_CODES_HELP, EXIT_USER, workspace_option
from engine.i18n import lazy, tr
from engine.i18n.clicktext import command, option


@command(help=lazy("cli.diff.help"), epilog=EXIT_CODES_HELP)
@click.argument("old")
@click.argument("new")
@workspace_option
@option("--impact", is_flag=True, help=lazy("cli.option.impact"))
@option("--year", type=int, default=None, metavar="YEAR", help=lazy("cli.option.year"))
def diff(old, new, workspace, impact, year):
    """What changed between two rulesets (after extends) and their department variants."""
    from engine.tools.diff import ruleset_diff

    found = ruleset_diff(workspace, old, new)
    click.echo(tr("cli.diff.changes", old=old, new=new, count=len(found.changes)) if found.changes
               else tr("cli.diff.no_changes", old=old, new=new))
    _print_changes(found.changes)
    for department in found.departments:
        files = f"{department.old_file} → {department.new_file}"
        if not department.changes and not department.not_applying:
            click.echo(tr("cli.diff.department_same", department=department.department, files=files))
            continue
        click.echo(tr("cli.diff.department", department=department.department, files=files))
        if department.changes:
            click.echo(tr("cli.diff.department_changes", count=len(department.changes)))
            _print_changes(department.changes, indent="    ")
        if department.not_applying:
            click.echo(tr("cli.diff.not_applying", count=len(department.not_applying)))
            _print_changes(department.not_applying, indent="    ")
    if impact:
        _print_impact(workspace, old, new, year)


def _print_changes(changes, indent: str = "  ") -> None:
    for change in changes:
        click.echo(f"{indent}{change.describe()}")
        click.echo(f"{indent}    {change.where()}")


def _print_impact(workspace, old: str, new: str, year: int | None) -> None:
    """The same projects scored under both rulesets: each move of a score or grade, and its causes."""
    from engine.tools.impact import impact as score_impact

    _, impacts = score_impact(workspace, old, new, year)
    click.echo("")
    click.echo(tr("cli.diff.impact", old=old, new=new) if impacts else tr("cli.diff.no_impact"))
    rules = list(dict.fromkeys(f for item in impacts if item.new for f in item.errors if f.scope == "ruleset"))
    for finding in rules:
        click.echo(tr("cli.diff.ruleset_error", new=new, text=finding.text, source=finding.source, check=finding.check))
    for item in impacts:
        click.echo(f"{item.department} / {item.project}  ({item.file})")
        if item.failure:
            click.echo(tr("cli.diff.cannot_score", failure=item.failure))
            continue
        if not item.moves:
            click.echo(tr("cli.diff.unchanged"))
        for move in item.moves:
            click.echo(f"  {move.what}: {move.old} → {move.new}")
            for cause in move.causes:
                click.echo(tr("cli.diff.cause", cause=cause.describe(), where=cause.where()))
            if not move.causes:
                click.echo(tr("cli.diff.joint_cause"))
        for finding in item.errors:
            if finding.scope != "ruleset":
                click.echo(tr("cli.diff.error_under_new", new=new, text=finding.text, source=finding.source,
                              check=finding.check))
        for side, finding in item.findings:
            kind = tr("cli.diff.kind_error") if finding.severity == "error" else tr("cli.diff.kind_finding")
            click.echo(tr("cli.diff.only_under", side=side, kind=kind, text=finding.text))
    failed = [item for item in impacts if item.failed]
    if failed:
        click.echo(tr("cli.diff.failed", count=len(failed), new=new), err=True)
        sys.exit(EXIT_USER)


@command(help=lazy("cli.new.help"), epilog=EXIT_CODES_HELP)
@click.argument("name")
@option("--from", "parent", required=True, metavar="PARENT", help=lazy("cli.option.from"))
@workspace_option
def new(name, parent, workspace):
    """Start ruleset NAME as a small file that extends PARENT, carrying PARENT's department variants over."""
    from engine import api
    from engine.rules.newyear import start_ruleset

    path, variants = start_ruleset(workspace, name, parent)  # all written, or none
    click.echo(tr("cli.new.wrote", path=api.display(path, workspace), parent=parent, name=name))
    for variant, note in variants:
        click.echo(tr("cli.new.wrote_variant", path=api.display(variant, workspace), parent=parent,
                      note=tr("cli.new.note", note=note) if note else ""))


COMMANDS = (diff, new)
