"""Checking the files and the rules: `validate`, `explain`, `test` (the ruleset's rule tests) and `review`."""
from __future__ import annotations

import sys

import click

from engine.cli._shared import (EXIT_CODES_HELP, EXIT_OK, EXIT_USER, failure_lines, finding_line, need, no_cache_option,
                                print_lines, ruleset_option, workspace_option)


@click.command(epilog=EXIT_CODES_HELP)
@ruleset_option
@workspace_option
@no_cache_option
def validate(ruleset, workspace, no_cache):
    """Check the ruleset and every project file; print every problem as file:line: message."""
    from engine import api
    from engine.outputs.templatecheck import department_folders

    plan: list = []
    loaded, errors = api.validate(workspace, need(ruleset), cache=not no_cache, plan=plan)
    print_lines((str(error) for error in errors), err=True)
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


@click.command(epilog=EXIT_CODES_HELP)
@ruleset_option
@workspace_option
@click.option("--project", "project", required=True, metavar="NAME", help="Project name or file name.")
@click.option("--indicator", metavar="NAME", default=None, help="Only this indicator (三级指标 name or 预算执行率).")
def explain(ruleset, workspace, project, indicator):
    """Show how each score of a project was computed: method, formula, inputs and their sources."""
    from engine import api
    from engine.tools.explain import explain as explain_text

    click.echo(explain_text(api.find_project(workspace, need(ruleset), project), indicator), nl=False)


@click.command(name="test", epilog=EXIT_CODES_HELP)
@ruleset_option
@workspace_option
def rule_tests(ruleset, workspace):
    """Run the ruleset's rule tests (rulesets/NAME/tests/*.yaml); print pass/fail per case."""
    from engine.tools.ruletests import case_files, run_cases

    name = need(ruleset)
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


@click.command(epilog=EXIT_CODES_HELP)
@ruleset_option
@workspace_option
def review(ruleset, workspace):
    """Compare what each project reported with its rule scores; list every finding per department and project."""
    from engine.rules.targets import format_number
    from engine.scoring.check import UNGRADED
    from engine.tools.review import review as review_year

    done = review_year(workspace, need(ruleset))
    if done.rules:  # the rules' own findings (weights that do not make 100) once, before the departments
        click.echo(f"规则：{len(done.rules)} 条审核意见（对每个项目都适用）")
    for finding in done.rules:
        click.echo(f"  {finding_line(finding)}")
    for department, projects in done.departments:
        click.echo(f"{department}：{len(projects)} 个项目，{sum(len(p.findings) for p in projects)} 条审核意见")
        for item in projects:
            result = item.result
            reported = result.project.reported_total
            grade = result.grade + ("，因有规则标为错误的审核意见" if result.grade == UNGRADED else "")
            click.echo(f"  {result.project.name}：自评 {'-' if reported is None else format_number(reported)}，"
                       f"按规则 {format_number(result.total)}（{grade}）")
            for finding in item.findings:
                click.echo(f"    {finding_line(finding)}")
            if not item.findings:
                click.echo("    自评得分与规则一致，无审核意见")
    print_lines(failure_lines(done.failures), err=True)
    click.echo(f"review: {done.errors} error(s), {done.warnings} warning(s) in {done.projects} project(s)")
    sys.exit(EXIT_OK if done.ok else EXIT_USER)


COMMANDS = (validate, explain, rule_tests, review)
