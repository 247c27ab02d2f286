"""Checking the files and the rules: `validate`, `explain`, `test` (the ruleset's rule tests) and `review`."""
from __future__ import annotations

import sys

import click

from engine.cli._shared import (EXIT_CODES_HELP, EXIT_OK, EXIT_USER, failure_lines, finding_line, need, no_cache_option,
                                print_lines, ruleset_option, workspace_option)
from engine.i18n import lazy, tr
from engine.i18n.clicktext import command, option


@command(help=lazy("cli.validate.help"), epilog=EXIT_CODES_HELP)
@ruleset_option
@workspace_option
@no_cache_option
def validate(ruleset, workspace, no_cache):
    """Check the ruleset and every project file; print every problem as file:line: message."""
    name = need(ruleset)
    command, fingerprint = ("validate", name), None
    if not no_cache:  # the same files as last time: the same output, without loading the engine
        from engine.files import runcache
        from engine.i18n import language

        fingerprint = runcache.fingerprint(workspace, command, language())
        kept = runcache.kept_output(workspace, command, fingerprint)
        if kept is not None:
            out, err, code = kept
            click.echo(err, err=True, nl=False)
            click.echo(out, nl=False)
            sys.exit(code)
    out, err, code = _validated(workspace, name, no_cache)
    if fingerprint is not None:
        runcache.keep_output(workspace, command, fingerprint, out, err, code)
    click.echo(err, err=True, nl=False)
    click.echo(out, nl=False)
    sys.exit(code)


def _validated(workspace, ruleset, no_cache) -> tuple[str, str, int]:
    """(what validate prints on standard output, on standard error, its exit code)."""
    from engine import api
    from engine.outputs.templatecheck import department_folders

    plan: list = []
    loaded, errors = api.validate(workspace, ruleset, cache=not no_cache, plan=plan)
    if errors:
        err = [str(error) for error in errors] + [tr("cli.validate.problems", count=len(errors))]
        return "", "".join(line + "\n" for line in err), EXIT_USER
    count = len(api.project_files(workspace, loaded))
    variants = len(api.variant_departments(workspace, ruleset, inherited=True))
    folders = len(department_folders(workspace))
    own = f"rulesets/{ruleset}/"
    out = []
    for project_file, rules in sorted(plan):  # which rules score each project: a department variant or the ruleset
        inherited = "departments/" in rules and not rules.startswith(own)
        out.append(tr("cli.validate.scored_under", file=project_file, rules=rules,
                      inherited=tr("cli.validate.inherited", own=own) if inherited else ""))
    out.append(tr("cli.validate.ok", id=loaded.id, version=loaded.version, count=count,
                  variants=tr("cli.validate.variants", count=variants) if variants else "",
                  folders=tr("cli.validate.folders", count=folders) if folders else ""))
    return "".join(line + "\n" for line in out), "", EXIT_OK


@command(help=lazy("cli.explain.help"), epilog=EXIT_CODES_HELP)
@ruleset_option
@workspace_option
@option("--project", "project", required=True, metavar="NAME", help=lazy("cli.option.explain_project"))
@option("--indicator", metavar="NAME", default=None, help=lazy("cli.option.indicator"))
def explain(ruleset, workspace, project, indicator):
    """Show how each score of a project was computed: method, formula, inputs and their sources."""
    from engine import api
    from engine.tools.explain import explain as explain_text

    click.echo(explain_text(api.find_project(workspace, need(ruleset), project), indicator), nl=False)


@command(name="test", help=lazy("cli.test.help"), epilog=EXIT_CODES_HELP)
@ruleset_option
@workspace_option
def rule_tests(ruleset, workspace):
    """Run the ruleset's rule tests (rulesets/NAME/tests/*.yaml); print pass/fail per case."""
    from engine.tools.ruletests import case_files, run_cases

    name = need(ruleset)
    results = run_cases(workspace, name)
    if not case_files(workspace, name):
        click.echo(tr("cli.test.none", name=name), err=True)
    for case in results:
        click.echo(f"{tr('cli.test.passed') if case.passed else tr('cli.test.failed')}  {case.name}  ({case.source})")
        for difference in case.differences:
            click.echo(f"      {difference}")
    failed = sum(not c.passed for c in results)
    click.echo(tr("cli.test.summary", passed=len(results) - failed, failed=failed))
    sys.exit(EXIT_USER if failed else EXIT_OK)


@command(help=lazy("cli.review.help"), epilog=EXIT_CODES_HELP)
@ruleset_option
@workspace_option
def review(ruleset, workspace):
    """Compare what each project reported with its rule scores; list every finding per department and project."""
    from engine.rules.targets import format_number
    from engine.scoring.check import UNGRADED
    from engine.tools.review import review as review_year

    done = review_year(workspace, need(ruleset))
    if done.rules:  # the rules' own findings (weights that do not make 100) once, before the departments
        click.echo(tr("cli.review.rules", findings=lazy("count.findings", count=len(done.rules))))
    for finding in done.rules:
        click.echo(f"  {finding_line(finding)}")
    for department, projects in done.departments:
        click.echo(tr("cli.review.department", department=department, projects=lazy("count.projects", count=len(projects)),
                      findings=lazy("count.findings", count=sum(len(p.findings) for p in projects))))
        for item in projects:
            result = item.result
            reported = result.project.reported_total
            grade = result.grade + (tr("cli.review.ungraded_reason") if result.grade == UNGRADED else "")
            click.echo(tr("cli.review.project", project=result.project.name, total=format_number(result.total),
                          reported="-" if reported is None else format_number(reported), grade=grade))
            for finding in item.findings:
                click.echo(f"    {finding_line(finding)}")
            if not item.findings:
                click.echo(tr("cli.review.no_findings"))
    print_lines(failure_lines(done.failures), err=True)
    click.echo(tr("cli.review.summary", errors=lazy("count.errors", count=done.errors),
                  warnings=lazy("count.warnings", count=done.warnings), projects=lazy("count.projects", count=done.projects)))
    sys.exit(EXIT_OK if done.ok else EXIT_USER)


COMMANDS = (validate, explain, rule_tests, review)
