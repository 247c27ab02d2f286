"""progress: a progress bar over a run's projects, for the CLI (click's, on stderr)."""
from __future__ import annotations

import contextlib
import sys
from typing import Callable, Iterator

import click

from engine import api
from engine.i18n import tr


@contextlib.contextmanager
def progress(options: api.RunOptions, enabled: bool) -> Iterator[Callable | None]:
    """Yields the ``on_project`` callback for ``api.run``: None when disabled."""
    if not enabled:
        yield None
        return
    ruleset = api.load_ruleset(options.workspace, options.ruleset)
    total = len(options.projects) or len(api.project_files(options.workspace, ruleset))
    with click.progressbar(length=total, label=tr("run.progress"), file=sys.stderr,
                           item_show_func=lambda name: name or "") as bar:
        yield lambda path, outcome: bar.update(1, path.stem)
