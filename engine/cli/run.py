"""`evalrun --ruleset NAME`: score the year's projects, write their reports (or print JSON), record the results."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from engine.cli._shared import EXIT_OK, EXIT_USER, failure_lines, need, print_lines
from engine.errors import EvalrunError
from engine.i18n import is_english, tr
from engine.i18n.width import table_lines
from engine.outputs.formats import parse_formats

if TYPE_CHECKING:
    from engine import api


def run_year(ruleset, workspace, as_json, projects, output, formats, quiet, jobs, db, no_db, no_cache) -> None:
    from engine import api
    from engine.store import store_url

    options = api.RunOptions(
        ruleset=need(ruleset), workspace=workspace, write_reports=not as_json,
        output=output, projects=tuple(projects), formats=parse_formats(formats), jobs=jobs, keep_results=False,
        db=store_url(workspace, db, no_db), cache=not no_cache,
    )
    if as_json:  # each project is written as soon as it is evaluated
        from engine.runner.jsonrun import run_json

        # not click.echo: no colour to strip, no flush per project; bytes as they are kept, where stdout is UTF-8
        outcome = run_json(options, *_json_stream(sys.stdout))
        print_lines(failure_lines(outcome.failures), err=True)
    else:
        from engine.runner.progress import progress

        with progress(options, enabled=not quiet and sys.stdout.isatty()) as bar:
            on_project = _as_they_come(bar)
            outcome = api.run(options, on_project=on_project)
        print_summary(outcome, workspace, on_project.printed)
        if outcome.recorded:
            done = outcome.recorded
            click.echo(tr("run.recorded", store=done.store, run=done.run_id, projects=done.projects,
                          new=done.new_results,
                          failed=tr("run.recorded_failed", failures=done.failures) if done.failures else ""))
    sys.exit(EXIT_OK if outcome.ok else EXIT_USER)


def _json_stream(out) -> tuple:
    """(write, binary): the UTF-8 bytes written as they are where the stream would write them so (UTF-8, no
    newline translation), else its text."""
    import codecs

    try:
        utf8 = codecs.lookup(out.encoding or "").name == "utf-8" and os.linesep == "\n" and hasattr(out, "buffer")
    except (LookupError, AttributeError):
        utf8 = False
    if not utf8:
        return out.write, False
    out.flush()
    return out.buffer.write, True


def _as_they_come(bar):
    """``on_project`` for a run: each project's findings, or the errors that stopped it, printed as
    it is evaluated (nothing of them is kept), and the progress bar moved on."""
    clear = "\r\033[K" if bar is not None and sys.stderr.isatty() else ""  # the bar's line, before a message
    shared: set = set()  # a ruleset's own findings and errors: each printed once a run

    def on_project(path, outcome):
        if isinstance(outcome, EvalrunError):
            lines = [str(e) for e in outcome.problems]
            once = set(lines)
        else:
            lines = [str(finding) for finding in outcome.findings]
            once = {str(f) for f in outcome.findings if f.scope == "ruleset"}
        for line in lines:
            if line in once:
                if line in shared:
                    continue
                shared.add(line)
            click.echo(clear + line, err=True)
        if bar is not None:
            bar(path, outcome)

    on_project.printed = shared
    return on_project


def _review_note(findings: int, errors: int) -> str:
    """The 审核 column: errors (why a project is 未定级) first, then the other findings."""
    others = findings - errors
    parts = ([tr("run.review_errors", count=errors)] if errors else []) + \
        ([tr("run.review_notes", count=others)] if others else [])
    return tr("run.review_join").join(parts)


def print_summary(outcome: api.RunResult, workspace: Path, printed: set = frozenset()) -> None:
    """The run's table, the errors of projects that failed after they were scored (in rendering: not yet
    in ``printed``, the lines printed as the projects came), and the closing lines."""
    from engine import api
    from engine.rules.targets import format_number
    from engine.scoring.check import UNGRADED

    english = {band.grade: band.name_en for band in outcome.ruleset.grades if band.name_en} if is_english() else {}
    scored = outcome.ruleset.kind != "target-review"  # a target form is reviewed (通过/修改), not scored

    def rows():  # made as they are printed (twice: the widths, then the lines), never all at once
        for summary in outcome.summaries:
            yield [summary.department, summary.name, format_number(summary.total) if scored else "—",
                   english.get(summary.grade, summary.grade), summary.rules,
                   _review_note(summary.findings, summary.errors)]
        for path, _ in outcome.failures:
            yield [path.parent.name, path.stem, "-", "-", "-", tr("run.failed_row")]

    ruleset = outcome.ruleset
    click.echo(tr("run.ruleset_line", id=ruleset.id, version=ruleset.version, sha256=ruleset.sha256[:12]))
    if outcome.summaries or outcome.failures:
        header = [tr("run.header.department"), tr("run.header.project"), tr("run.header.total"),
                  tr("run.header.grade") if scored else tr("run.header.verdict"), tr("run.header.rules"),
                  tr("run.header.review")]
        for line in table_lines(header, rows):
            click.echo(line)
    else:
        click.echo(tr("run.no_projects", year=ruleset.fiscal_year))
    print_lines([line for line in failure_lines(outcome.failures) if line not in printed], err=True)
    if any(s.grade == UNGRADED for s in outcome.summaries):
        click.echo(tr("run.ungraded_note", ungraded=UNGRADED))
    if outcome.outputs:
        click.echo(tr("run.wrote_files", count=len(outcome.outputs),
                      folder=api.display(outcome.outputs[0].parent.parent, workspace)))
