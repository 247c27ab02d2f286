"""evalrun's command line: a thin face over engine.api.

Errors are mapped to exit codes here and only here:
0 ok, 1 errors in the user's files (or findings the ruleset marks as errors),
2 wrong usage, 3 an internal error in evalrun.
"""
from __future__ import annotations

import os
import gc
import sys
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

import click

from engine.errors import EvalrunError, EvalrunErrors, UsageError, did_you_mean
from engine.outputs.formats import FORMATS, parse_formats

if TYPE_CHECKING:
    from engine import api

# Each command imports what it uses when it runs (the engine, Jinja2, openpyxl,
# docxtpl, jsonschema), so that `evalrun --help` and a quick command start at
# once: tests/test_startup.py keeps it so.

EXIT_OK, EXIT_USER, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3

EXIT_CODES_HELP = """
\b
Exit codes:
  0  ok (findings are printed as warnings)
  1  errors in rulesets or project files, or findings the ruleset marks as errors
  2  wrong usage (unknown option, no such ruleset or project), or a results store that cannot be used
  3  internal error in evalrun (please report it)
"""


def _flat(error: EvalrunError) -> list:
    return error.errors if isinstance(error, EvalrunErrors) else [error]


def _print_errors(error: EvalrunError) -> None:
    for item in _flat(error):
        click.echo(f"{item}", err=True)


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


def _review_note(findings: int, errors: int) -> str:
    """The 审核 column: errors (why a project is 未定级) first, then the other findings."""
    others = findings - errors
    parts = ([f"{errors} 条错误"] if errors else []) + ([f"{others} 条提示"] if others else [])
    return "，".join(parts)


def _unique_lines(lines) -> list[str]:
    """Each line once, in order: a ruleset's finding or a shared error is printed once per run."""
    return list(dict.fromkeys(lines))


def print_summary(outcome: api.RunResult, workspace: Path, printed: set = frozenset()) -> None:
    """The run's table, the errors of projects that failed after they were scored (in rendering: not yet
    in ``printed``, the lines printed as the projects came), and the closing lines."""
    from engine import api
    from engine.scoring.check import UNGRADED
    from engine.rules.targets import format_number

    rows = []
    for summary in outcome.summaries:
        rows.append([summary.department, summary.name, format_number(summary.total), summary.grade,
                     summary.rules, _review_note(summary.findings, summary.errors)])
    for path, _ in outcome.failures:
        rows.append([path.parent.name, path.stem, "-", "-", "-", "失败 (see errors)"])
    ruleset = outcome.ruleset
    click.echo(f"规则 {ruleset.id} {ruleset.version} (sha256 {ruleset.sha256[:12]})")
    if rows:
        click.echo(_table(["部门", "项目", "总分", "等级", "规则", "审核"], rows))
    else:
        click.echo(f"no project files under projects/{ruleset.fiscal_year}/<department>/")
    for line in _unique_lines(str(e) for _, error in outcome.failures for e in _flat(error)):
        if line not in printed:
            click.echo(line, err=True)
    if any(s.grade == UNGRADED for s in outcome.summaries):
        click.echo(f"{UNGRADED}: a project with a finding the ruleset marks as an error (listed on stderr) gets no "
                   "grade, and its report is not written; fix the error, or the ruleset's `checks`, and run again")
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
def cli(ctx, ruleset, workspace, as_json, projects, output, formats, quiet, jobs, db, no_db, no_cache):
    """Score projects against a ruleset and write their evaluation reports.

    \b
    evalrun --ruleset 2025              evaluate projects/2025/*/*.yaml, write reports/out/2025/
    evalrun --ruleset 2025 --json       print the results as JSON
    evalrun validate --ruleset 2025     check every file, list every problem
    evalrun explain --ruleset 2025 --project NAME   how each score was computed
    evalrun history --project NAME      every year of a project, from the results store (evalrun.db)
    """
    from engine.store import store_url
    if ctx.invoked_subcommand is not None:
        return
    from engine import api

    options = api.RunOptions(
        ruleset=_need(ruleset), workspace=workspace, write_reports=not as_json,
        output=output, projects=tuple(projects), formats=parse_formats(formats), jobs=jobs, keep_results=False,
        db=store_url(workspace, db, no_db),
        cache=not no_cache,
    )
    if as_json:  # each project is written as soon as it is evaluated
        from engine.outputs.jsonstream import JsonRunWriter

        writer = JsonRunWriter(sys.stdout.write)  # not click.echo: no colour to strip, no flush per project
        base = api.load_ruleset(workspace, options.ruleset).ref  # the year's; a variant is named per project

        def emit(path, viewed):
            if not isinstance(viewed, EvalrunError):
                writer.project(base, viewed[1])

        outcome = api.run(options, on_project=emit, view=_project_json)
        writer.finish(outcome.ruleset.ref,
                      [{"file": api.display(p, workspace), "errors": _messages(e)} for p, e in outcome.failures])
        for line in _unique_lines(str(e) for _, error in outcome.failures for e in _flat(error)):
            click.echo(line, err=True)
    else:
        from engine.runner.progress import progress

        with progress(options, enabled=not quiet and sys.stdout.isatty()) as bar:
            on_project = _as_they_come(bar)
            outcome = api.run(options, on_project=on_project)
        print_summary(outcome, workspace, on_project.printed)
        if outcome.recorded:
            done = outcome.recorded
            click.echo(f"结果已记入 {done.store}：运行 #{done.run_id}，{done.projects} 个项目"
                       f"（新结果 {done.new_results} 个{'，未能评价 %d 个' % done.failures if done.failures else ''}）")
    sys.exit(EXIT_OK if outcome.ok else EXIT_USER)


def _as_they_come(bar):
    """``on_project`` for a run: each project's findings, or the errors that stopped it, printed as
    it is evaluated (nothing of them is kept), and the progress bar moved on."""
    clear = "\r\033[K" if bar is not None and sys.stderr.isatty() else ""  # the bar's line, before a message
    shared: set = set()  # a ruleset's own findings and errors: each printed once a run

    def on_project(path, outcome):
        if isinstance(outcome, EvalrunError):
            lines = [str(e) for e in (outcome.errors if isinstance(outcome, EvalrunErrors) else [outcome])]
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


def _project_json(result) -> tuple:
    """(ruleset reference, the project's JSON), made where the project was evaluated (--jobs)."""
    from engine.outputs.view import result_json

    return result.ruleset.ref, result_json(result)


def _messages(error: EvalrunError) -> list[str]:
    return [str(e) for e in (error.errors if isinstance(error, EvalrunErrors) else [error])]


@cli.command(epilog=EXIT_CODES_HELP)
@ruleset_option
@workspace_option
@no_cache_option
def validate(ruleset, workspace, no_cache):
    """Check the ruleset and every project file; print every problem as file:line: message."""
    from engine.outputs.templatecheck import department_folders
    from engine import api

    plan: list = []
    loaded, errors = api.validate(workspace, _need(ruleset), cache=not no_cache, plan=plan)
    for error in errors:
        click.echo(str(error), err=True)
    if errors:
        click.echo(f"{len(errors)} problem(s) found", err=True)
        sys.exit(EXIT_USER)
    count = len(api.project_files(workspace, loaded))
    variants = len(api.variant_departments(workspace, ruleset, inherited=True))
    folders = len(department_folders(workspace))
    own = f"rulesets/{ruleset}/"
    for project_file, rules in sorted(plan):  # which rules score each project: a department variant or the ruleset
        inherited = "departments/" in rules and not rules.startswith(own)
        click.echo(f"{project_file}: scored under {rules}"
                   + (f" (inherited through extends, laid over {own}ruleset.yaml)" if inherited else ""))
    click.echo(f"ok: ruleset {loaded.id} {loaded.version}"
               + (f", {variants} department variant(s)" if variants else "")
               + f", {count} project file(s) and the report templates"
               + (f" (with {folders} department folder(s))" if folders else "") + " are valid")


@cli.command(epilog=EXIT_CODES_HELP)
@ruleset_option
@workspace_option
@click.option("--project", "project", required=True, metavar="NAME", help="Project name or file name.")
@click.option("--indicator", metavar="NAME", default=None, help="Only this indicator (三级指标 name or 预算执行率).")
def explain(ruleset, workspace, project, indicator):
    """Show how each score of a project was computed: method, formula, inputs and their sources."""
    from engine import api
    from engine.tools.explain import explain as explain_text

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
def test_command(ruleset, workspace):
    """Run the ruleset's rule tests (rulesets/NAME/tests/*.yaml); print pass/fail per case."""
    from engine.tools.ruletests import case_files, run_cases

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
def diff(old, new, workspace, impact, year):
    """What changed between two rulesets (after extends) and their department variants, with the file and line of each side."""
    from engine.tools.diff import department_diffs, diff_data
    from engine.rules.rulesets import resolve_data

    old_data, _, _ = resolve_data(workspace, old)
    new_data, _, _ = resolve_data(workspace, new)
    _check_both(workspace, old, new)  # both must be valid, their department variants too
    changes = diff_data(old_data, new_data)
    click.echo(f"{old} → {new}: {len(changes)} 处变化" if changes else f"{old} → {new}: 没有变化")
    _print_changes(changes)
    for department in department_diffs(workspace, old, new, changes):
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
    if not impact:
        return
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


def _check_both(workspace: Path, *names: str) -> None:
    """Each ruleset and each of its department variants must resolve and be valid; every problem at once."""
    from engine import api

    from engine.rules.rulesets import load_variant
    errors = []
    for name in names:
        try:
            api.load_ruleset(workspace, name)
        except EvalrunError as exc:
            errors += _flat(exc)
            continue
        for department in api.variant_departments(workspace, name):
            try:
                load_variant(workspace, name, department)
            except EvalrunError as exc:
                errors += _flat(exc)
    if errors:
        raise EvalrunErrors(errors)


def _print_changes(changes, indent: str = "  ") -> None:
    for change in changes:
        click.echo(f"{indent}{change.describe()}")
        click.echo(f"{indent}    {change.where()}")


@cli.command(epilog=EXIT_CODES_HELP)
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


@cli.command(epilog=EXIT_CODES_HELP)
@ruleset_option
@workspace_option
def review(ruleset, workspace):
    """Compare what each project reported with its rule scores; list every finding per department and project."""
    from engine.scoring.check import UNGRADED
    from engine import api
    from engine.rules.targets import format_number

    options = api.RunOptions(ruleset=_need(ruleset), workspace=workspace, write_reports=False)
    outcome = api.run(options)
    by_department: dict[str, list] = {}
    for result in outcome.results:
        by_department.setdefault(result.project.department, []).append(result)
    errors = warnings = 0
    # the rules' own findings (weights that do not make 100) once, before the departments
    rules = list(dict.fromkeys(f for r in outcome.results for f in r.findings if f.scope == "ruleset"))
    if rules:
        click.echo(f"规则：{len(rules)} 条审核意见（对每个项目都适用）")
    for finding in rules:
        click.echo(f"  {finding.severity}: {finding.message}  ({finding.source}) [{finding.check}]")
        errors += finding.severity == "error"
        warnings += finding.severity == "warning"
    for department in sorted(by_department):
        results = by_department[department]
        count = sum(1 for r in results for f in r.findings if f.scope != "ruleset")
        click.echo(f"{department}：{len(results)} 个项目，{count} 条审核意见")
        for result in results:
            reported = format_number(result.project.reported_total) if result.project.reported_total is not None else "-"
            own = [f for f in result.findings if f.scope != "ruleset"]
            grade = result.grade + ("，因有规则标为错误的审核意见" if result.grade == UNGRADED else "")
            click.echo(f"  {result.project.name}：自评 {reported}，按规则 {format_number(result.total)}（{grade}）")
            for finding in own:
                click.echo(f"    {finding.severity}: {finding.message}  ({finding.source}) [{finding.check}]")
                errors += finding.severity == "error"
                warnings += finding.severity == "warning"
            if not own:
                click.echo("    自评得分与规则一致，无审核意见")
    for line in _unique_lines(str(e) for _, error in outcome.failures for e in _flat(error)):
        click.echo(line, err=True)
    click.echo(f"review: {errors} error(s), {warnings} warning(s) in {len(outcome.results)} project(s)")
    sys.exit(EXIT_USER if errors or outcome.failures else EXIT_OK)


@cli.command(name="import", epilog=EXIT_CODES_HELP)
@click.argument("form", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--year", type=click.IntRange(2000, 2100), default=None, metavar="YEAR",
              help="The fiscal year the forms report on; files go to projects/YEAR/ "
                   "[default: the year in the forms' title, 2025年度项目支出绩效自评表].")
@click.option("--department", metavar="NAME", default=None,
              help="The department for every sheet [default: each sheet's 主管部门].")
@click.option("--partial", is_flag=True, help="Write the sheets without errors even when other sheets have some.")
@click.option("--force", is_flag=True, help="Update project files that exist already with the form's values.")
@click.option("--dry-run", is_flag=True, help="Show what would be written and changed; write nothing.")
@click.option("--accept-changes", is_flag=True,
              help="Take changes to approved values (budget, targets, weights, indicator names) from the form.")
@workspace_option
def import_command(form, year, department, partial, force, dry_run, accept_changes, workspace):
    """Read the self-evaluation forms (自评表) in an Excel workbook into project files.

    \b
    Every sheet that looks like a 自评表 becomes projects/YEAR/<department>/<project>.yaml;
    other sheets (a 汇总) are skipped. A project that has a file already is updated
    in place (with --force): only the values the form changes are edited, each listed
    first, and the rest of the file stays as it is. Approved values (budget, targets,
    weights, indicator names) are not taken from a form unless --accept-changes.
    A cell that cannot be read is listed as FORM.xlsx!Sheet!C12: what is wrong;
    nothing is written while a sheet has errors (unless --partial).
    """
    from engine import api

    options = api.ImportOptions(form=form, year=year, workspace=workspace, department=department,
                                partial=partial, force=force, dry_run=dry_run, accept_changes=accept_changes)
    outcome = api.import_workbook(options)
    for notice in outcome.warnings:
        click.echo(f"warning: {notice}", err=True)
    for sheet in outcome.sheets:
        if sheet.skipped:
            click.echo(f"skipped sheet {sheet.sheet}: {sheet.skipped}")
        plan = outcome.plans.get(sheet.sheet)
        if plan is not None:
            _print_plan(plan, sheet.sheet, workspace, dry_run, accept_changes)
        for warning in sheet.warnings:
            click.echo(f"warning: {warning}", err=True)
        for error in sheet.errors:
            click.echo(str(error), err=True)
    for path in outcome.written:
        plan = next(p for p in outcome.plans.values() if p.path == path)
        click.echo(f"{'wrote' if plan.new else 'updated'} {api.display(path, workspace)}")
    failed = outcome.failed
    if failed:
        problems = sum(len(s.errors) for s in failed)
        names = ", ".join(s.sheet for s in failed)
        if outcome.written:
            click.echo(f"{problems} problem(s); not written: sheet {names}", err=True)
        else:
            click.echo(f"{problems} problem(s) in sheet {names}; nothing was written"
                       + ("" if partial or dry_run else " (fix them, or add --partial to write the other sheets)"),
                       err=True)
    elif dry_run:
        click.echo("dry run: nothing was written")
    sys.exit(EXIT_USER if failed else EXIT_OK)


def _print_plan(plan, sheet: str, workspace: Path, dry_run: bool, accept_changes: bool) -> None:
    """What a sheet does to its project file, before anything is written."""
    from engine import api

    shown = api.display(plan.path, workspace)
    if plan.new:
        if dry_run:
            click.echo(f"{shown}: a new project file, from sheet {sheet}")
        return
    if not plan.changes:
        click.echo(f"{shown}: no change (the form holds the file's values)")
        return
    click.echo(f"{shown}: {len(plan.changes)} change(s) from sheet {sheet}")
    for change in plan.changes:
        note = ""
        if change.approved and accept_changes:
            note = "  (approved value, taken with --accept-changes)" if change.edits else \
                "  (not taken: the ruleset sets it, not the project file)"
        click.echo(f"  {change.line}{note}")


@cli.command(epilog=EXIT_CODES_HELP)
@ruleset_option
@workspace_option
@click.option("--blank", is_flag=True, help="Leave what departments report empty (actual values, 全年执行数, scores).")
@click.option("--output", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where the workbooks go [default: WORKSPACE/reports/out/RULESET/forms].")
def export(ruleset, workspace, blank, output):
    """Write the self-evaluation forms (自评表) for departments to fill in: one workbook per department.

    Each project is a sheet in the layout `evalrun import` reads back, filled with
    the project's data (自评得分 as the department reported it), or with --blank
    only the budget, targets and weights.
    """
    from engine import api

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


# ---------------------------------------------------------------- the results store (engine.store)

db_option = click.option("--db", "db", metavar="URL", default=None,
                         help="The results store: a SQLite file or postgresql://user@host/db "
                              "[default: EVALRUN_DB, evalrun.yaml's `database`, else WORKSPACE/evalrun.db].")


def _store(workspace: Path, db: str | None) -> str:
    from engine.store import store_url

    url = store_url(workspace, db)
    if url is None:
        raise UsageError("no results store: --db, EVALRUN_DB or evalrun.yaml says `off`; give --db FILE-OR-URL")
    return url


def _print_json(data) -> None:
    import json

    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


@cli.command(epilog=EXIT_CODES_HELP)
@click.option("--project", metavar="NAME", default=None, help="A project (name or file name): its every year.")
@click.option("--department", metavar="NAME", default=None, help="A department: every year of each of its projects.")
@click.option("--json", "as_json", is_flag=True, help="Print the history as JSON.")
@db_option
@workspace_option
def history(project, department, as_json, db, workspace):
    """Every year of a project or department in the results store: total, grade, execution rate, rules.

    \b
    evalrun history --project 开放型经济发展与三产业发展引导资金
    evalrun history --department 益阳市商务局
    """
    from engine.store.history import history as read_history
    from engine.store.views import HISTORY_HEADER, history_json, history_rows

    if not project and not department:
        raise UsageError("say whose history: --project NAME or --department NAME")
    rows = read_history(_store(workspace, db), workspace, project, department)
    if as_json:
        _print_json(history_json(rows))
        return
    click.echo(_table(HISTORY_HEADER, history_rows(rows)))


@cli.command(epilog=EXIT_CODES_HELP)
@click.argument("old_year", type=int)
@click.argument("new_year", type=int)
@click.option("--department", metavar="NAME", default=None, help="Only this department.")
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
@db_option
@workspace_option
def compare(old_year, new_year, department, as_json, db, workspace):
    """Two fiscal years from the results store: per department and project, the change in total and grade.

    Projects evaluated only in NEW_YEAR are 新增; only in OLD_YEAR, 本年未评价.
    """
    from engine.store.history import compare as read_compare
    from engine.store.views import compare_counts, compare_header, compare_json, compare_rows

    changes = read_compare(_store(workspace, db), workspace, old_year, new_year, department)
    if as_json:
        _print_json(compare_json(changes, old_year, new_year))
        return
    counts = compare_counts(changes)
    click.echo(f"{old_year} → {new_year}：{len(changes)} 个项目，两年都评价 {counts['both']} 个"
               f"（提高 {counts['up']} 个，降低 {counts['down']} 个），新增 {counts['new']} 个，"
               f"本年未评价 {counts['dropped']} 个")
    if changes:
        click.echo(_table(compare_header(old_year, new_year), compare_rows(changes)))


@cli.group(epilog=EXIT_CODES_HELP)
def db():
    """The results store: check it, upgrade its schema, export what it holds."""


@db.command(name="check", epilog=EXIT_CODES_HELP)
@db_option
@workspace_option
def db_check(db, workspace):
    """Verify the store against its schema, its migrations and the hashes of its results."""
    from engine.store.check import check

    report = check(_store(workspace, db), workspace)
    click.echo(f"results store {report.store}")
    for line in report.lines:
        click.echo(f"  ok: {line}")
    for problem in report.problems:
        click.echo(f"  problem: {problem}", err=True)
    click.echo(f"db check: {'ok' if report.ok else f'{len(report.problems)} problem(s)'}")
    sys.exit(EXIT_OK if report.ok else EXIT_USER)


@db.command(name="upgrade", epilog=EXIT_CODES_HELP)
@db_option
@workspace_option
def db_upgrade(db, workspace):
    """Bring the store's schema to this evalrun's newest migration (a new store is created)."""
    from engine.store.database import upgrade_store

    before, after, where = upgrade_store(_store(workspace, db), workspace)
    if before == after:
        click.echo(f"results store {where}: schema revision {after}, nothing to do")
    else:
        click.echo(f"results store {where}: schema revision {before or '(new)'} → {after}")


@db.command(name="export", epilog=EXIT_CODES_HELP)
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv", show_default=True,
              help="CSV (UTF-8, opens in Excel) or Parquet (needs pyarrow: pip install 'evalrun[parquet]').")
@click.option("--output", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for the files [default: WORKSPACE/reports/out/db-export].")
@click.option("--year", type=int, default=None, metavar="YEAR", help="Only this fiscal year's runs and results.")
@db_option
@workspace_option
def db_export(fmt, output, year, db, workspace):
    """Write the stored runs, results, indicator rows and findings, one file per table."""
    from engine import api

    from engine.store.export import export

    folder = output or workspace / "reports" / "out" / "db-export"
    done = export(_store(workspace, db), workspace, folder, fmt, year)
    for path in done.files:
        click.echo(f"wrote {api.display(path, workspace)} ({done.rows[path.name]} rows)")


# ---------------------------------------------------------------- the local web page (engine.web)


@cli.command(epilog=EXIT_CODES_HELP)
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


if __name__ == "__main__":  # pragma: no cover
    main()
