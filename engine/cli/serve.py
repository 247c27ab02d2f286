"""`evalrun serve`: the local web page for reviewers (engine.web)."""
from __future__ import annotations

import click

from engine import i18n
from engine.cli._shared import EXIT_CODES_HELP, db_option, workspace_option
from engine.i18n import lazy
from engine.i18n.clicktext import command, option


@command(help=lazy("cli.serve.help"), epilog=EXIT_CODES_HELP)
@option("--ruleset", "ruleset", metavar="NAME", default=None, help=lazy("cli.option.serve_ruleset"))
@option("--port", type=click.IntRange(0, 65535), default=0, metavar="N", help=lazy("cli.option.port"))
@option("--host", default="127.0.0.1", show_default=True, metavar="ADDRESS", help=lazy("cli.option.host"))
@option("--no-browser", is_flag=True, help=lazy("cli.option.no_browser"))
@db_option
@option("--no-db", "no_db", is_flag=True, help=lazy("cli.option.serve_no_db"))
@workspace_option
def serve(ruleset, port, host, no_browser, db, no_db, workspace):
    """A local web page for reviewers; the page speaks the language of the command line (--lang)."""
    from engine import api

    from engine.store import store_url
    from engine.web.app import ServeOptions  # Starlette and uvicorn only when serving: `evalrun --help` stays quick
    from engine.web.server import serve as run_server

    if ruleset is not None:
        api.ruleset_file(workspace, ruleset)  # a wrong name is a usage error now, not a page later
    options = ServeOptions(workspace=workspace, ruleset=ruleset, host=host, port=port, open_browser=not no_browser,
                           lang="en" if i18n.is_english() else "zh", db=store_url(workspace, db, no_db))
    run_server(options, echo=lambda line: click.echo(line), warn=lambda line: click.echo(line, err=True))


COMMANDS = (serve,)
