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
from engine.i18n import lazy, tr
from engine.i18n.clicktext import Group, PathType, option, version_option
from engine.outputs.formats import FORMATS


class EvalrunGroup(Group):
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
        lines, code = [tr("cli.interrupted")], 130
    elif isinstance(exc, EvalrunException):
        lines, code = exc.lines(), exc.exit_code
    elif isinstance(exc, OSError) and _disk_refuses(exc):
        # a full or read-only disk under stdout (`evalrun --json > FILE`): the user's to fix, not a bug
        from engine.files.paths import describe_os_error

        _silence_stdout()
        lines, code = [tr("cli.cannot_write_output", detail=describe_os_error(exc))], EXIT_USER
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


@click.group(cls=EvalrunGroup, invoke_without_command=True, help=lazy("cli.help"), epilog=EXIT_CODES_HELP)
@ruleset_option
@workspace_option
@option("--json", "as_json", is_flag=True, help=lazy("cli.option.json"))
@option("--project", "projects", multiple=True, metavar="NAME", help=lazy("cli.option.project"))
@option("--output", type=PathType(file_okay=False, path_type=Path), default=None, help=lazy("cli.option.output"))
@option("--format", "formats", metavar="LIST", default=None, help=lazy("cli.option.format", formats=",".join(FORMATS)))
@option("--quiet", is_flag=True, help=lazy("cli.option.quiet"))
@option("--jobs", type=click.IntRange(1, 64), default=1, show_default=True, metavar="N", help=lazy("cli.option.jobs"))
@option("--db", "db", metavar="URL", default=None, help=lazy("cli.option.db"))
@option("--no-db", "no_db", is_flag=True, help=lazy("cli.option.no_db"))
@no_cache_option
@version_option(package_name="evalrun")
@click.pass_context
def cli(ctx, **options):
    """Score projects against a ruleset and write their evaluation reports (help: the catalogs' cli.help)."""
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
    _never_fail_to_print()
    cli(prog_name="evalrun")


def _never_fail_to_print() -> None:
    """A character the console's encoding lacks is printed as ``\\uXXXX``, never a failed run.

    Output redirected to a file on Windows is written in the locale's code page (GBK), which lacks some
    characters a project's text may hold; Python would stop the run at the first one."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="backslashreplace")
            except (ValueError, OSError):  # a stream that cannot change now: left as it is
                pass
