"""evalrun's command line: a thin face over engine.api.

Errors are mapped to exit codes here and only here:
0 ok, 1 errors in the user's files (or findings the ruleset marks as errors),
2 wrong usage, 3 an internal error in evalrun.
"""
from __future__ import annotations

import functools
import os
import gc
import sys
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .errors import EvalrunError, EvalrunErrors, UsageError, did_you_mean
from .outputs import FORMATS, parse_formats

if TYPE_CHECKING:
    from . import api

# Each command imports what it uses when it runs (the engine, Jinja2, openpyxl,
# docxtpl, jsonschema), so that `evalrun --help` and a quick command start at
# once: tests/test_startup.py keeps it so.

EXIT_OK, EXIT_USER, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3

EXIT_CODES_HELP = """
\b
Exit codes:
  0  ok (findings are printed as warnings)
  1  errors in rulesets or project files, or findings the ruleset marks as errors
  2  wrong usage (unknown option, no such ruleset or project)
  3  internal error in evalrun (please report it)
"""


def _print_errors(error: EvalrunError) -> None:
    errors = error.errors if isinstance(error, EvalrunErrors) else [error]
    for item in errors:
        click.echo(f"{item}", err=True)


def handle_errors(command):
    """Map the engine's exceptions to one clear line each and an exit code."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except UsageError as exc:
            click.echo(f"evalrun: {exc}", err=True)
            sys.exit(EXIT_USAGE)
        except EvalrunError as exc:
            _print_errors(exc)
            sys.exit(EXIT_USER)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, SystemExit):
            raise
        except BrokenPipeError:  # the reader went away (`evalrun diff ... | head`): not an error
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(EXIT_OK)
        except KeyboardInterrupt:
            click.echo("evalrun: interrupted; earlier outputs are unchanged", err=True)
            sys.exit(130)
        except Exception as exc:  # noqa: BLE001 - the one place a bug is turned into a message
            click.echo(
                f"evalrun: internal error: {type(exc).__name__}: {exc}\n"
                "This is a bug in evalrun, not in your files; nothing was written. Please report it "
                "with the command you ran.",
                err=True,
            )
            sys.exit(EXIT_INTERNAL)

    return wrapper


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(_width(r[i]) for r in [header] + rows) for i in range(len(header))]
    lines = ["  ".join(_pad(c, w) for c, w in zip(header, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(_pad(c, w) for c, w in zip(row, widths)).rstrip() for row in rows]
    return "\n".join(lines)


def print_summary(outcome: api.RunResult, workspace: Path) -> None:
    from . import api
    from .targets import format_number

    rows = []
    for summary in outcome.summaries:
        findings = summary.findings
        note = f"{findings} 条提示" if findings else ""
        rows.append([summary.department, summary.name, format_number(summary.total), summary.grade,
                     summary.rules, note])
    for path, _ in outcome.failures:
        rows.append([path.parent.name, path.stem, "-", "-", "-", "失败 (see errors)"])
    ruleset = outcome.ruleset
    click.echo(f"规则 {ruleset.id} {ruleset.version} (sha256 {ruleset.sha256[:12]})")
    if rows:
        click.echo(_table(["部门", "项目", "总分", "等级", "规则", "审核"], rows))
    else:
        click.echo(f"no project files under projects/{ruleset.fiscal_year}/<department>/")
    if outcome.outputs:
        click.echo(f"wrote {len(outcome.outputs)} file(s) under {api.display(outcome.outputs[0].parent.parent, workspace)}/")


ruleset_option = click.option(
    "--ruleset", "ruleset", metavar="NAME", help="Ruleset folder under rulesets/, e.g. 2025.")
workspace_option = click.option(
    "--workspace", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
    show_default=True, help="Folder holding rulesets/, projects/ and reports/.")


no_cache_option = click.option(
    "--no-cache", is_flag=True,
    help="Read every project file again, without the parse cache in .evalrun-cache/ (which changes no output).")


def _need(ruleset: str | None) -> str:
    if not ruleset:
        raise UsageError("missing --ruleset NAME (a folder under rulesets/, e.g. --ruleset 2025)")
    return ruleset


@click.group(invoke_without_command=True, epilog=EXIT_CODES_HELP)
@ruleset_option
@workspace_option
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON on stdout instead of writing reports.")
@click.option("--project", "projects", multiple=True, metavar="NAME", help="Only this project (name or file name); repeatable.")
@click.option("--output", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where reports go [default: WORKSPACE/reports/out].")
@click.option("--format", "formats", metavar="LIST", default=None,
              help=f"Outputs to write, comma-separated, from {','.join(FORMATS)} [default: all].")
@click.option("--quiet", is_flag=True, help="No progress bar (there is none either when output is not a terminal).")
@click.option("--jobs", type=click.IntRange(1, 64), default=1, show_default=True, metavar="N",
              help="Load, evaluate and render projects in N processes; the output is the same as with 1.")
@no_cache_option
@click.version_option(package_name="evalrun")
@click.pass_context
@handle_errors
def cli(ctx, ruleset, workspace, as_json, projects, output, formats, quiet, jobs, no_cache):
    """Score projects against a ruleset and write their evaluation reports.

    \b
    evalrun --ruleset 2025              evaluate projects/2025/*/*.yaml, write reports/out/2025/
    evalrun --ruleset 2025 --json       print the results as JSON
    evalrun validate --ruleset 2025     check every file, list every problem
    evalrun explain --ruleset 2025 --project NAME   how each score was computed
    """
    if ctx.invoked_subcommand is not None:
        return
    from . import api

    options = api.RunOptions(
        ruleset=_need(ruleset), workspace=workspace, write_reports=not as_json,
        output=output, projects=tuple(projects), formats=parse_formats(formats), jobs=jobs, keep_results=False,
        cache=not no_cache,
    )
    if as_json:  # each project is written as soon as it is evaluated
        from .jsonstream import JsonRunWriter

        writer = JsonRunWriter(sys.stdout.write)  # not click.echo: no colour to strip, no flush per project
        base = api.load_ruleset(workspace, options.ruleset).ref  # the year's; a variant is named per project

        def emit(path, viewed):
            if not isinstance(viewed, EvalrunError):
                writer.project(base, viewed[1])

        outcome = api.run(options, on_project=emit, view=_project_json)
        writer.finish(outcome.ruleset.ref,
                      [{"file": api.display(p, workspace), "errors": _messages(e)} for p, e in outcome.failures])
        for path, error in outcome.failures:
            _print_errors(error)
    else:
        from .progress import progress

        with progress(options, enabled=not quiet and sys.stdout.isatty()) as bar:
            outcome = api.run(options, on_project=_as_they_come(bar))
        print_summary(outcome, workspace)
    sys.exit(EXIT_OK if outcome.ok else EXIT_USER)


def _as_they_come(bar):
    """``on_project`` for a run: each project's findings, or the errors that stopped it, printed as
    it is evaluated (nothing of them is kept), and the progress bar moved on."""
    clear = "\r\033[K" if bar is not None and sys.stderr.isatty() else ""  # the bar's line, before a message

    def on_project(path, outcome):
        if isinstance(outcome, EvalrunError):
            lines = [str(e) for e in (outcome.errors if isinstance(outcome, EvalrunErrors) else [outcome])]
        else:
            lines = [str(finding) for finding in outcome.findings]
        for line in lines:
            click.echo(clear + line, err=True)
        if bar is not None:
            bar(path, outcome)

    return on_project


def _project_json(result) -> tuple:
    """(ruleset reference, the project's JSON), made where the project was evaluated (--jobs)."""
    from .view import result_json

    return result.ruleset.ref, result_json(result)


def _messages(error: EvalrunError) -> list[str]:
    return [str(e) for e in (error.errors if isinstance(error, EvalrunErrors) else [error])]


@cli.command(epilog=EXIT_CODES_HELP)
@ruleset_option
@workspace_option
@no_cache_option
@handle_errors
def validate(ruleset, workspace, no_cache):
    """Check the ruleset and every project file; print every problem as file:line: message."""
    from . import api

    loaded, errors = api.validate(workspace, _need(ruleset), cache=not no_cache)
    for error in errors:
        click.echo(str(error), err=True)
    if errors:
        click.echo(f"{len(errors)} problem(s) found", err=True)
        sys.exit(EXIT_USER)
    count = len(api.project_files(workspace, loaded))
    click.echo(f"ok: ruleset {loaded.id} {loaded.version} and {count} project file(s) are valid")


@cli.command(epilog=EXIT_CODES_HELP)
@ruleset_option
@workspace_option
@click.option("--project", "project", required=True, metavar="NAME", help="Project name or file name.")
@click.option("--indicator", metavar="NAME", default=None, help="Only this indicator (三级指标 name or 预算执行率).")
@handle_errors
def explain(ruleset, workspace, project, indicator):
    """Show how each score of a project was computed: method, formula, inputs and their sources."""
    from . import api
    from .explain import explain as explain_text

    result = api.find_project(workspace, _need(ruleset), project)
    text = explain_text(result, indicator)
    if indicator and len(text.strip().splitlines()) <= 3:
        names = [r.name or r.note for r in result.all_rows]
        raise UsageError(f"no indicator `{indicator}` in {result.project.name}{did_you_mean(indicator, names)}")
    click.echo(text, nl=False)


def main() -> None:
    # A run allocates millions of small objects that reference counting frees;
    # the cycle collector need not look at them every 700 allocations.
    gc.set_threshold(100_000, 50, 100)
    cli(prog_name="evalrun")


@cli.command(name="test", epilog=EXIT_CODES_HELP)
@ruleset_option
@workspace_option
@handle_errors
def test_command(ruleset, workspace):
    """Run the ruleset's rule tests (rulesets/NAME/tests/*.yaml); print pass/fail per case."""
    from .ruletests import case_files, run_cases

    name = _need(ruleset)
    results = run_cases(workspace, name)
    if not case_files(workspace, name):
        click.echo(f"no rule tests: add cases under rulesets/{name}/tests/*.yaml", err=True)
    for case in results:
        click.echo(f"{'PASS' if case.passed else 'FAIL'}  {case.name}  ({case.source})")
        for difference in case.differences:
            click.echo(f"      {difference}")
    failed = sum(not c.passed for c in results)
    click.echo(f"rule tests: {len(results) - failed} passed, {failed} failed")
    sys.exit(EXIT_USER if failed else EXIT_OK)


@cli.command(epilog=EXIT_CODES_HELP)
@click.argument("old")
@click.argument("new")
@workspace_option
@click.option("--impact", is_flag=True, help="Also score the projects under both rulesets and show each move and its cause.")
@click.option("--year", type=int, default=None, metavar="YEAR",
              help="Whose projects --impact scores [default: NEW's fiscal year, else OLD's].")
@handle_errors
def diff(old, new, workspace, impact, year):
    """What changed between two rulesets (after extends), with the file and line of each side."""
    from . import api
    from .diff import diff_data
    from .rulesets import resolve_data

    old_data, _, _ = resolve_data(workspace, old)
    new_data, _, _ = resolve_data(workspace, new)
    api.load_ruleset(workspace, old), api.load_ruleset(workspace, new)  # both must be valid
    changes = diff_data(old_data, new_data)
    click.echo(f"{old} → {new}: {len(changes)} 处变化" if changes else f"{old} → {new}: 没有变化")
    for change in changes:
        click.echo(f"  {change.describe()}")
        click.echo(f"      {change.where()}")
    if not impact:
        return
    from .impact import impact as score_impact

    _, impacts = score_impact(workspace, old, new, year)
    click.echo("")
    click.echo(f"影响：同一批项目分别按 {old} 与 {new} 评分" if impacts else "影响：没有可评分的项目")
    for item in impacts:
        click.echo(f"{item.department} / {item.project}  ({item.file})")
        if item.failure:
            click.echo(f"  无法在两套规则下都评分：{item.failure}")
            continue
        if not item.moves:
            click.echo("  得分与等级不变")
        for move in item.moves:
            click.echo(f"  {move.what}: {move.old} → {move.new}")
            for cause in move.causes:
                click.echo(f"      原因：{cause.describe()}  ({cause.where()})")
            if not move.causes:
                click.echo("      原因：多处变化共同作用（单独任何一处都不改变它）")
        for side, message in item.findings:
            click.echo(f"  仅在 {side} 下的提示：{message}")


@cli.command(epilog=EXIT_CODES_HELP)
@click.argument("name")
@click.option("--from", "parent", required=True, metavar="PARENT", help="The ruleset the new one extends, e.g. 2025.")
@workspace_option
@handle_errors
def new(name, parent, workspace):
    """Start ruleset NAME as a small file that extends PARENT (e.g. new 2026 --from 2025)."""
    from . import api
    from .rulesets import new_ruleset

    path = new_ruleset(workspace, name, parent)
    click.echo(f"wrote {api.display(path, workspace)}: extends {parent}; add only what changes, "
               f"then `evalrun diff {parent} {name}`")


@cli.command(epilog=EXIT_CODES_HELP)
@ruleset_option
@workspace_option
@handle_errors
def review(ruleset, workspace):
    """Compare what each project reported with its rule scores; list every finding per department and project."""
    from . import api
    from .targets import format_number

    options = api.RunOptions(ruleset=_need(ruleset), workspace=workspace, write_reports=False)
    outcome = api.run(options)
    by_department: dict[str, list] = {}
    for result in outcome.results:
        by_department.setdefault(result.project.department, []).append(result)
    errors = warnings = 0
    for department in sorted(by_department):
        results = by_department[department]
        count = sum(len(r.findings) for r in results)
        click.echo(f"{department}：{len(results)} 个项目，{count} 条审核意见")
        for result in results:
            reported = format_number(result.project.reported_total) if result.project.reported_total is not None else "-"
            click.echo(f"  {result.project.name}：自评 {reported}，按规则 {format_number(result.total)}（{result.grade}）")
            for finding in result.findings:
                click.echo(f"    {finding.severity}: {finding.message}  ({finding.source}) [{finding.check}]")
                errors += finding.severity == "error"
                warnings += finding.severity == "warning"
            if not result.findings:
                click.echo("    自评得分与规则一致，无审核意见")
    for path, error in outcome.failures:
        _print_errors(error)
    click.echo(f"review: {errors} error(s), {warnings} warning(s) in {len(outcome.results)} project(s)")
    sys.exit(EXIT_USER if errors or outcome.failures else EXIT_OK)


@cli.command(name="import", epilog=EXIT_CODES_HELP)
@click.argument("form", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--year", type=click.IntRange(2000, 2100), required=True, metavar="YEAR",
              help="The fiscal year the forms report on; files go to projects/YEAR/.")
@click.option("--department", metavar="NAME", default=None,
              help="The department for every sheet [default: each sheet's 主管部门].")
@click.option("--partial", is_flag=True, help="Write the sheets without errors even when other sheets have some.")
@click.option("--force", is_flag=True, help="Replace project files that exist already.")
@workspace_option
@handle_errors
def import_command(form, year, department, partial, force, workspace):
    """Read the self-evaluation forms (自评表) in an Excel workbook into project files.

    \b
    Every sheet that looks like a 自评表 becomes projects/YEAR/<department>/<project>.yaml;
    other sheets (a 汇总) are skipped. A cell that cannot be read is listed as
    FORM.xlsx!Sheet!C12: what is wrong; nothing is written while a sheet has errors
    (unless --partial), and no existing file is replaced (unless --force).
    """
    from . import api

    options = api.ImportOptions(form=form, year=year, workspace=workspace, department=department,
                                partial=partial, force=force)
    outcome = api.import_workbook(options)
    for sheet in outcome.sheets:
        if sheet.skipped:
            click.echo(f"skipped sheet {sheet.sheet}: {sheet.skipped}")
        for warning in sheet.warnings:
            click.echo(f"warning: {warning}", err=True)
        for error in sheet.errors:
            click.echo(str(error), err=True)
    for path in outcome.written:
        click.echo(f"wrote {api.display(path, workspace)}")
    failed = outcome.failed
    if failed:
        problems = sum(len(s.errors) for s in failed)
        names = ", ".join(s.sheet for s in failed)
        if outcome.written:
            click.echo(f"{problems} problem(s); not written: sheet {names}", err=True)
        else:
            click.echo(f"{problems} problem(s) in sheet {names}; nothing was written"
                       + ("" if partial else " (fix them, or add --partial to write the other sheets)"), err=True)
    sys.exit(EXIT_USER if failed else EXIT_OK)


@cli.command(epilog=EXIT_CODES_HELP)
@ruleset_option
@workspace_option
@click.option("--blank", is_flag=True, help="Leave what departments report empty (actual values, 全年执行数, scores).")
@click.option("--output", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where the workbooks go [default: WORKSPACE/reports/out/RULESET/forms].")
@handle_errors
def export(ruleset, workspace, blank, output):
    """Write the self-evaluation forms (自评表) for departments to fill in: one workbook per department.

    Each project is a sheet in the layout `evalrun import` reads back, filled with
    the project's data (自评得分 as the department reported it), or with --blank
    only the budget, targets and weights.
    """
    from . import api

    options = api.ExportOptions(ruleset=_need(ruleset), workspace=workspace, blank=blank, output=output)
    outcome = api.export_forms(options)
    for path, error in outcome.failures:
        _print_errors(error)
    for path in outcome.written:
        click.echo(f"wrote {api.display(path, workspace)}")
    if not outcome.written and not outcome.failures:
        click.echo(f"no project files under projects/<year>/<department>/ for ruleset {ruleset}")
    click.echo(f"{outcome.projects} project(s) in {len(outcome.written)} workbook(s)"
               + (f"; {len(outcome.failures)} project(s) could not be exported" if outcome.failures else ""))
    sys.exit(EXIT_USER if outcome.failures else EXIT_OK)


if __name__ == "__main__":  # pragma: no cover
    main()
