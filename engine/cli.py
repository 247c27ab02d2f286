"""evalrun's command line: a thin face over engine.api.

Errors are mapped to exit codes here and only here:
0 ok, 1 errors in the user's files (or findings the ruleset marks as errors),
2 wrong usage, 3 an internal error in evalrun.
"""
from __future__ import annotations

import functools
import gc
import sys
import unicodedata
from pathlib import Path

import click

from . import api
from .errors import EvalrunError, EvalrunErrors, UsageError
from .explain import explain as explain_text
from .jsonstream import JsonRunWriter
from .targets import format_number
from .view import result_json

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
    rows = []
    for summary in outcome.summaries:
        findings = len(summary.findings)
        note = f"{findings} 条提示" if findings else ""
        rows.append([summary.department, summary.name, format_number(summary.total), summary.grade, note])
    for path, _ in outcome.failures:
        rows.append([path.parent.name, path.stem, "-", "-", "失败 (see errors)"])
    ruleset = outcome.ruleset
    click.echo(f"规则 {ruleset.id} {ruleset.version} (sha256 {ruleset.sha256[:12]})")
    if rows:
        click.echo(_table(["部门", "项目", "总分", "等级", "审核"], rows))
    else:
        click.echo(f"no project files under projects/{ruleset.fiscal_year}/<department>/")
    for summary in outcome.summaries:
        for finding in summary.findings:
            click.echo(f"{finding}", err=True)
    for path, error in outcome.failures:
        _print_errors(error)
    if outcome.outputs:
        click.echo(f"wrote {len(outcome.outputs)} file(s) under {api.display(outcome.outputs[0].parent.parent, workspace)}/")


ruleset_option = click.option(
    "--ruleset", "ruleset", metavar="NAME", help="Ruleset folder under rulesets/, e.g. 2025.")
workspace_option = click.option(
    "--workspace", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
    show_default=True, help="Folder holding rulesets/, projects/ and reports/.")


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
@click.option("--jobs", type=click.IntRange(1, 64), default=1, show_default=True, metavar="N",
              help="Load, evaluate and render projects in N processes; the output is the same as with 1.")
@click.version_option(package_name="evalrun")
@click.pass_context
@handle_errors
def cli(ctx, ruleset, workspace, as_json, projects, output, jobs):
    """Score projects against a ruleset and write their evaluation reports.

    \b
    evalrun --ruleset 2025              evaluate projects/2025/*/*.yaml, write reports/out/2025/
    evalrun --ruleset 2025 --json       print the results as JSON
    evalrun validate --ruleset 2025     check every file, list every problem
    evalrun explain --ruleset 2025 --project NAME   how each score was computed
    """
    if ctx.invoked_subcommand is not None:
        return
    options = api.RunOptions(
        ruleset=_need(ruleset), workspace=workspace, write_reports=not as_json,
        output=output, projects=tuple(projects), jobs=jobs, keep_results=False,
    )
    if as_json:  # each project is written as soon as it is evaluated
        writer = JsonRunWriter(sys.stdout.write)  # not click.echo: no colour to strip, no flush per project

        def emit(path, viewed):
            if not isinstance(viewed, EvalrunError):
                writer.project(*viewed)

        outcome = api.run(options, on_project=emit, view=_project_json)
        writer.finish(outcome.ruleset.ref,
                      [{"file": api.display(p, workspace), "errors": _messages(e)} for p, e in outcome.failures])
        for path, error in outcome.failures:
            _print_errors(error)
    else:
        outcome = api.run(options)
        print_summary(outcome, workspace)
    sys.exit(EXIT_OK if outcome.ok else EXIT_USER)


def _project_json(result) -> tuple:
    """(ruleset reference, the project's JSON), made where the project was evaluated (--jobs)."""
    return result.ruleset.ref, result_json(result)


def _messages(error: EvalrunError) -> list[str]:
    return [str(e) for e in (error.errors if isinstance(error, EvalrunErrors) else [error])]


@cli.command(epilog=EXIT_CODES_HELP)
@ruleset_option
@workspace_option
@handle_errors
def validate(ruleset, workspace):
    """Check the ruleset and every project file; print every problem as file:line: message."""
    loaded, errors = api.validate(workspace, _need(ruleset))
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
    loaded = api.load_ruleset(workspace, _need(ruleset))
    result = api.find_project(workspace, loaded, project)
    text = explain_text(result, indicator)
    if indicator and len(text.strip().splitlines()) <= 3:
        names = [r.name or r.note for r in result.all_rows]
        from .errors import did_you_mean

        raise UsageError(f"no indicator `{indicator}` in {result.project.name}{did_you_mean(indicator, names)}")
    click.echo(text, nl=False)


def main() -> None:
    # A run allocates millions of small objects that reference counting frees;
    # the cycle collector need not look at them every 700 allocations.
    gc.set_threshold(100_000, 50, 100)
    cli(prog_name="evalrun")


if __name__ == "__main__":  # pragma: no cover
    main()
