"""evalrun's command line: a thin face over the library (engine.api and the stage modules).

The commands only parse arguments and print; one module a family of commands (run, checking, rulesets,
forms, the results store, the web page). What stops a command is mapped to its lines on stderr and an
exit code here and only here (``EvalrunGroup.invoke``):
0 ok, 1 errors in the user's files (or findings the ruleset marks as errors),
2 wrong usage, 3 an internal error in evalrun.

Each command imports what it uses when it runs (the engine, Jinja2, openpyxl, docxtpl, jsonschema),
so that `evalrun --help` and a quick command start at once: tests/test_startup.py keeps it so.
"""
from __future__ import annotations

import gc
import os
import sys
from pathlib import Path

import click

from engine.cli import check, forms, rulesets, run, serve, store
from engine.cli._shared import (EXIT_CODES_HELP, EXIT_INTERNAL, EXIT_OK, EXIT_USER, no_cache_option, ruleset_option,
                                workspace_option)
from engine.outputs.formats import FORMATS


class EvalrunGroup(click.Group):
    """The root command: whatever a command raises becomes its lines on stderr and an exit code, here only.

    Overriding ``invoke`` (not ``main``) puts the one handler where both ``evalrun`` (main) and click's test
    runner pass, inside click's own handling of its usage errors (exit 2), Exit and Abort.
    """

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except (Exception, KeyboardInterrupt) as exc:  # noqa: BLE001 - the one place a bug is turned into a message
            raise click.exceptions.Exit(report(exc)) from None


def report(exc: BaseException) -> int:
    """Print what stopped a command, one clear line a problem on stderr; the exit code it ends with."""
    from engine.errors import EvalrunException, bug_report

    if isinstance(exc, BrokenPipeError):  # the reader went away (`evalrun diff ... | head`): not an error
        _silence_stdout()
        return EXIT_OK
    if isinstance(exc, KeyboardInterrupt):
        lines, code = ["evalrun: interrupted; earlier outputs are unchanged"], 130
    elif isinstance(exc, EvalrunException):
        lines, code = exc.lines(), exc.exit_code
    elif isinstance(exc, OSError) and _disk_refuses(exc):
        # a full or read-only disk under stdout (`evalrun --json > FILE`): the user's to fix, not a bug
        from engine.files.paths import describe_os_error

        _silence_stdout()
        lines, code = [f"evalrun: cannot write the output: {describe_os_error(exc)}"], EXIT_USER
    else:
        lines, code = bug_report(exc), EXIT_INTERNAL
    for line in lines:
        click.echo(line, err=True)
    return code


def _disk_refuses(exc: OSError) -> bool:
    from engine.files.paths import DISK_FULL, READ_ONLY

    return exc.errno in DISK_FULL | READ_ONLY


def _silence_stdout() -> None:
    """stdout to /dev/null, so that the interpreter's last flush of it raises nothing more."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


@click.group(cls=EvalrunGroup, invoke_without_command=True, epilog=EXIT_CODES_HELP)
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
@click.option("--db", "db", metavar="URL", default=None,
              help="Record the results in this store: a SQLite file or postgresql://user@host/db "
                   "[default: EVALRUN_DB, evalrun.yaml's `database`, else WORKSPACE/evalrun.db].")
@click.option("--no-db", "no_db", is_flag=True, help="Record nothing in the results store (and read no previous year).")
@no_cache_option
@click.version_option(package_name="evalrun")
@click.pass_context
def cli(ctx, **options):
    """Score projects against a ruleset and write their evaluation reports.

    \b
    evalrun --ruleset 2025              evaluate projects/2025/*/*.yaml, write reports/out/2025/
    evalrun --ruleset 2025 --json       print the results as JSON
    evalrun validate --ruleset 2025     check every file, list every problem
    evalrun explain --ruleset 2025 --project NAME   how each score was computed
    evalrun history --project NAME      every year of a project, from the results store (evalrun.db)
    """
    if ctx.invoked_subcommand is None:
        run.run_year(**options)


for _module in (check, rulesets, forms, store, serve):
    for _command in _module.COMMANDS:
        cli.add_command(_command)


def main() -> None:
    """The `evalrun` entry point."""
    # A run allocates millions of small objects that reference counting frees;
    # the cycle collector need not look at them every 700 allocations.
    gc.set_threshold(100_000, 50, 100)
    cli(prog_name="evalrun")
