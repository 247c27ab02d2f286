"""Rulesets over the years: `diff` (what changed, and with --impact how each project's score moves) and `new`."""
from __future__ import annotations

import sys

import click

from engine.cli._shared import EXIT_CODES_HELP, EXIT_USER, workspace_option


@click.command(epilog=EXIT_CODES_HELP)
@click.argument("old")
@click.argument("new")
@workspace_option
@click.option("--impact", is_flag=True, help="Also score the projects under both rulesets and show each move and its cause.")
@click.option("--year", type=int, default=None, metavar="YEAR",
              help="Whose projects --impact scores [default: NEW's fiscal year, else OLD's].")
def diff(old, new, workspace, impact, year):
    """What changed between two rulesets (after extends) and their department variants, with the file and line of each side."""
    from engine.tools.diff import ruleset_diff

    found = ruleset_diff(workspace, old, new)
    click.echo(f"{old} → {new}: {len(found.changes)} 处变化" if found.changes else f"{old} → {new}: 没有变化")
    _print_changes(found.changes)
    for department in found.departments:
        files = f"{department.old_file} → {department.new_file}"
        if not department.changes and not department.not_applying:
            click.echo(f"部门 {department.department}（{files}）：与以上相同，没有另外的变化")
            continue
        click.echo(f"部门 {department.department}（{files}）：")
        if department.changes:
            click.echo(f"  另有 {len(department.changes)} 处变化")
            _print_changes(department.changes, indent="    ")
        if department.not_applying:
            click.echo(f"  以上 {len(department.not_applying)} 处变化不适用于该部门（部门规则另有规定）")
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
    click.echo(f"影响：同一批项目分别按 {old} 与 {new} 评分（各部门按其部门规则）" if impacts else "影响：没有可评分的项目")
    rules = list(dict.fromkeys(f for item in impacts if item.new for f in item.errors if f.scope == "ruleset"))
    for finding in rules:
        click.echo(f"规则 {new} 的错误：{finding.message}  ({finding.source}) [{finding.check}]")
    for item in impacts:
        click.echo(f"{item.department} / {item.project}  ({item.file})")
        if item.failure:
            click.echo(f"  错误：无法在两套规则下都评分：{item.failure}")
            continue
        if not item.moves:
            click.echo("  得分与等级不变")
        for move in item.moves:
            click.echo(f"  {move.what}: {move.old} → {move.new}")
            for cause in move.causes:
                click.echo(f"      原因：{cause.describe()}  ({cause.where()})")
            if not move.causes:
                click.echo("      原因：多处变化共同作用（单独任何一处都不改变它）")
        for finding in item.errors:
            if finding.scope != "ruleset":
                click.echo(f"  错误（{new} 规定为错误）：{finding.message}  ({finding.source}) [{finding.check}]")
        for side, finding in item.findings:
            kind = "错误" if finding.severity == "error" else "提示"
            click.echo(f"  仅在 {side} 下的{kind}：{finding.message}")
    failed = [item for item in impacts if item.failed]
    if failed:
        click.echo(f"{len(failed)} 个项目在 {new} 下有错误或无法评分（未定级）", err=True)
        sys.exit(EXIT_USER)


@click.command(epilog=EXIT_CODES_HELP)
@click.argument("name")
@click.option("--from", "parent", required=True, metavar="PARENT", help="The ruleset the new one extends, e.g. 2025.")
@workspace_option
def new(name, parent, workspace):
    """Start ruleset NAME as a small file that extends PARENT (e.g. new 2026 --from 2025).

    PARENT's department variants (rulesets/PARENT/departments/*.yaml) are
    carried over to NAME, so each department keeps its own rules.
    """
    from engine import api
    from engine.rules.rulesets import carry_variants, new_ruleset

    path = new_ruleset(workspace, name, parent)
    click.echo(f"wrote {api.display(path, workspace)}: extends {parent}; add only what changes, "
               f"then `evalrun diff {parent} {name}`")
    for variant, note in carry_variants(workspace, name, parent):
        click.echo(f"wrote {api.display(variant, workspace)}: the department's variant, carried over from {parent}"
                   + (f"; {note}" if note else ""))


COMMANDS = (diff, new)
