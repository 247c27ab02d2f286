"""`evalrun serve`: the local web page for reviewers (engine.web)."""
from __future__ import annotations

import click

from engine.cli._shared import EXIT_CODES_HELP, db_option, workspace_option


@click.command(epilog=EXIT_CODES_HELP)
@click.option("--ruleset", "ruleset", metavar="NAME", default=None,
              help="The year the first page shows [default: the latest year that has projects].")
@click.option("--port", type=click.IntRange(0, 65535), default=0, metavar="N", help="Port [default: a free one].")
@click.option("--host", default="127.0.0.1", show_default=True, metavar="ADDRESS",
              help="Address to listen on; anything but this computer (127.0.0.1) is printed as a warning.")
@click.option("--no-browser", is_flag=True, help="Print the address without opening a browser.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="Language of the page (zh: Chinese, en: English).")
@db_option
@click.option("--no-db", "no_db", is_flag=True, help="No results store: reviews cannot be recorded.")
@workspace_option
def serve(ruleset, port, host, no_browser, lang, db, no_db, workspace):
    """A local web page for reviewers: the year's 汇总, each project's scores and traces, reviews, returned forms.

    \b
    evalrun serve                      this computer only, a free port, opens the browser
    evalrun serve --ruleset 2025 --port 8800 --no-browser
    """
    from engine import api

    from engine.store import store_url
    from engine.web.app import ServeOptions  # Starlette and uvicorn only when serving: `evalrun --help` stays quick
    from engine.web.server import serve as run_server

    if ruleset is not None:
        api.ruleset_file(workspace, ruleset)  # a wrong name is a usage error now, not a page later
    options = ServeOptions(workspace=workspace, ruleset=ruleset, host=host, port=port, open_browser=not no_browser,
                           lang=lang, db=store_url(workspace, db, no_db))
    run_server(options, echo=lambda line: click.echo(line), warn=lambda line: click.echo(line, err=True))


COMMANDS = (serve,)
