"""The library entry points: what the CLI and the tests both call.

``run(RunOptions)`` evaluates every project of a fiscal year against a
ruleset and writes the reports; ``validate``, ``explain_project`` and the
loaders (``load_ruleset``, ``load_project``, ``project_files``, defined in
their stages and named here) are the same stages, exposed one by one.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

from engine.files.cache import ParseCache
from engine.scoring.check import UNGRADED, check_project, check_ruleset
from engine.errors import EvalrunError, Source, UsageError, did_you_mean
from engine.scoring.evaluate import evaluate_project
from engine.scoring.kinds import finish_scores  # rules on the total, measures
from engine.files.load import load_file
from engine.files.reading import read_guarded
from engine.model import Project, ProjectResult, Ruleset
from engine.outputs.formats import DEFAULT_FORMATS, FORMATS, built_in_workbook, summary_files
from engine.files.paths import FolderGuard, guard_path
from engine.files.projectset import (
    check_wanted, duplicate_projects, folder_errors, project_files, raise_with, shown_in_run, year_files,
)
from engine.rules.project import load_project
from engine.rules.rulesets import RulesetCache, display, load_ruleset, resolve_data, ruleset_file, variant_departments  # noqa: F401
from engine.store import open_recorder, with_previous
from engine.outputs.rowspill import SpilledList
from engine.outputs.summarystream import StoredSummary
from engine.files.validate import schema_errors
from engine.i18n import tr
from engine.runner.kept import KeptResults
from engine.runner.summary import ProjectSummary
from engine.runner.write import Staging, safe_name

if TYPE_CHECKING:
    from engine.forms.export import ExportOptions, ExportResult


@dataclass(frozen=True)
class RunOptions:
    """Everything a run needs, spelled out once."""

    ruleset: str
    workspace: Path = Path(".")
    formats: tuple = DEFAULT_FORMATS
    write_reports: bool = True
    output: Path | None = None
    projects: tuple = ()  # only these project names or file stems; all when empty
    jobs: int = 1  # processes that load, evaluate and render projects (engine.runner.parallel)
    keep_results: bool = True  # False: keep only each project's summary, so memory stays flat
    db: str | None = None  # the results store's URL (engine.store.settings); None: record nothing
    cache: bool = True  # use and fill the parse cache (engine.files.cache, .evalrun-cache/ in the workspace)

    @property
    def output_dir(self) -> Path:
        return self.output or self.workspace / "reports" / "out"

    @property
    def output_root(self) -> Path:
        """The folder no link may lead out of when writing: the workspace, or the --output folder."""
        return self.output or self.workspace


@dataclass
class RunResult:
    ruleset: Ruleset
    results: list = field(default_factory=list)  # every ProjectResult, unless options.keep_results is False
    failures: list = field(default_factory=list)  # (project file, EvalrunError)
    outputs: list = field(default_factory=list)
    # a ProjectSummary for every evaluated project; kept on disk (rowspill.SpilledList) without keep_results
    summaries: list = field(default_factory=list)
    recorded: object = None  # engine.store.recorder.Recorded: what the run added to the results store
    # how many of the summaries have an error finding, counted as the run collects them (``ok`` need not read
    # back a SpilledList from disk); a plain list of summaries is looked through
    with_errors: int = field(default=0, repr=False)

    @property
    def ok(self) -> bool:
        if self.failures:
            return False
        if isinstance(self.summaries, list):
            return not any(s.has_errors for s in self.summaries)
        return not self.with_errors


def parse_cache(options: RunOptions) -> ParseCache | None:
    """The run's parse cache, or None with ``options.cache`` off."""
    return ParseCache(options.workspace, options.ruleset) if options.cache else None


def evaluate(ruleset: Ruleset, project: Project) -> ProjectResult:
    """Score the project and check it; a project with a finding the ruleset marks as an error is not graded."""
    rate, budget_row, rows, groups, total, max_total, grade = evaluate_project(ruleset, project)
    total, grade, extra = finish_scores(ruleset, project, rate, total, max_total, grade, rows)  # rules on the total...
    findings = check_ruleset(ruleset) + check_project(ruleset, project, rows, budget_row, total,
                                                         printed=(rate, groups, grade)) + extra.pop("review_findings")
    if any(f.severity == "error" for f in findings):
        grade = UNGRADED  # never 优 beside an error: the 汇总 counts it apart, with the reason
    return ProjectResult(project, ruleset, rate, budget_row, rows, groups, total, max_total, grade, findings, **extra)


def _selected(path: Path, name: str, wanted: Iterable[str]) -> bool:
    wanted = tuple(wanted)
    return not wanted or name in wanted or path.stem in wanted


def iter_results(options: RunOptions, rulesets: RulesetCache, on_project: Callable | None = None,
                 view: Callable | None = None, stored: Callable | None = None):
    """(path, ProjectResult or EvalrunError) for each project, one at a time.

    Each project is scored by its department's ruleset: the year's, or the
    department's variant under rulesets/<name>/departments/. With ``view``,
    ``on_project`` gets ``view(result)``; a run that keeps no results then
    gets a ProjectSummary in place of each result, and both are kept between
    runs (engine.runner.kept): an unchanged project is not read or scored again.
    """
    cache = parse_cache(options)
    guard = FolderGuard(options.workspace)  # each department folder resolved once
    kept = KeptResults.for_run(cache, options, view, guard, stored)  # stored: the recorder's, see Recorder
    folders: dict = {}
    try:
        files, names = project_files(options.workspace, rulesets.base), ({} if options.projects else None)
        duplicates = duplicate_projects(files, options.workspace, kept.digests if kept else None, guard, names)
        check_wanted(options.projects, files, names, rulesets.base.fiscal_year)  # a --project typo: said now
        for path in files:
            try:
                ruleset = rulesets.for_department(path.parent.name)
                shown = shown_in_run(path, options.workspace, folders)
                if path in duplicates:
                    raise_with(duplicates[path], lambda: load_project(path, ruleset, options.workspace))
                if kept is not None:
                    made = kept.project(
                        path, shown, ruleset, lambda raw: load_project(path, ruleset, options.workspace, cache, shown, raw),
                        lambda project: with_previous(options, evaluate(ruleset, project)),
                        lambda name: _selected(path, name, options.projects))
                    if made is None:
                        continue
                    outcome, viewed = made
                else:
                    project = load_project(path, ruleset, options.workspace, cache, shown, read_guarded(guard, path, shown))
                    if not _selected(path, project.name, options.projects):
                        continue
                    outcome = with_previous(options, evaluate(ruleset, project))  # the year before, from the store
                    viewed = view(outcome) if view else outcome
            except EvalrunError as exc:
                if options.projects and path.stem not in options.projects:
                    continue
                outcome = viewed = exc
            if on_project:
                on_project(path, viewed)
            yield path, outcome
    finally:
        if cache is not None:
            cache.close()


def report_path(path: Path, result: ProjectResult, extension: str) -> Path:
    return Path(safe_name(result.project.department)) / f"{safe_name(path.stem)}.{extension}"


def run(options: RunOptions, on_project: Callable | None = None, *, view: Callable | None = None) -> RunResult:
    """Evaluate every project of the ruleset's year and write the reports.

    ``on_project(path, result or EvalrunError)`` is called for each project in
    file order. With ``view`` (a module-level function of a ProjectResult),
    it gets ``view(result)`` instead of the result; with --jobs the view is
    made in the worker process, so that only it travels.
    """
    rulesets = RulesetCache(options.workspace, options.ruleset)
    outcome = RunResult(rulesets.base)
    if not options.keep_results:  # every project's summary on disk as the run goes (flat memory)
        outcome.summaries = SpilledList()
    target = options.output_dir / safe_name(options.ruleset)
    record = open_recorder(options, rulesets.base)  # engine.store: the run, recorded in one transaction at its end
    if not options.write_reports:
        for path, result in _results(options, rulesets, on_project, view, stored=record.stored):
            _collect(outcome, options, path, result)
            record.add(path, result)
        outcome.recorded = record.commit()
        return outcome
    from engine.runner.lock import RunLock  # only a run that writes takes the output folder's lock

    root = options.output_root
    with RunLock(options.output_dir, display(options.output_dir, options.workspace), root,
                 "the output folder" if options.output else "the workspace"), \
            Staging(target, root, options.workspace) as staging:
        # The year workbook's project sheets are made as the projects come (engine.outputs.yearbook), and only
        # when the 汇总 is written (not for a run limited to some projects).
        year_sheets = "xlsx" in options.formats and not options.projects
        collected = StoredSummary(rulesets.base, keep_views=year_sheets,  # the 汇总's rows on disk
                                  views=_year_sheets() if year_sheets else [])
        for path, result, rendered in _results(options, rulesets, on_project, view, render=True):
            if not isinstance(result, EvalrunError) and isinstance(rendered, EvalrunError):
                result = rendered
            report = workbook = None
            # A project with an error finding is listed but not written: its earlier report stays.
            if _collect(outcome, options, path, result) and not result.has_errors:
                for relative, content in rendered:
                    staging.write(relative, content)
                report = report_path(path, result, "x").with_suffix("")
                workbook = year_sheets and built_in_workbook(options.workspace, result, rendered)
            collected.add(path, result, report, workbook or None)  # the year's sheet from the project's workbook
            record.add(path, result)
        # A run of some projects must not replace the whole year's 汇总; a run that made no report writes none.
        if not options.projects and staging.files:
            for name, content in summary_files(options.workspace, options.formats, collected):
                staging.write(Path(name), content)
        outcome.recorded = record.commit()  # the results, then the reports: a failed commit writes neither
        outcome.outputs = staging.commit()
    return outcome


def _year_sheets():
    from engine.outputs.yearbook import YearSheets  # openpyxl: only a run that writes Excel

    return YearSheets()


def render_outputs(options: RunOptions, path: Path, result: ProjectResult):
    """[(report path, bytes)] in the order of options.formats, or the EvalrunError that stopped it."""
    try:
        return [(report_path(path, result, FORMATS[name].extension),
                 FORMATS[name].render(options.workspace, result)) for name in options.formats]
    except EvalrunError as exc:
        return exc


def _results(options: RunOptions, rulesets: RulesetCache, on_project, view, render: bool = False, stored=None):
    """iter_results, with the rendered outputs when ``render``; in processes when options.jobs > 1."""
    if options.jobs > 1:
        from engine.runner.parallel import Steps, iter_results_parallel  # only a --jobs run starts processes

        steps = Steps(project_files=project_files, parse_cache=parse_cache, shown_in_run=shown_in_run,
                      load_project=load_project, selected=_selected, evaluate=evaluate, with_previous=with_previous,
                      render_outputs=render_outputs, summary_of=ProjectSummary.of)

        files, names = project_files(options.workspace, rulesets.base), ({} if options.projects else None)
        duplicates = duplicate_projects(files, options.workspace, names=names)
        check_wanted(options.projects, files, names, rulesets.base.fiscal_year)
        if duplicates and on_project:
            callback = on_project
            on_project = lambda path, result: callback(path, duplicates.get(path, result))  # noqa: E731
        for path, result, rendered in iter_results_parallel(options, rulesets, steps, on_project, render, view):
            if path in duplicates:
                result, rendered = duplicates[path], []
            yield (path, result, rendered) if render else (path, result)
        return
    if render and on_project and view:
        callback = on_project
        on_project = lambda path, result: callback(  # noqa: E731
            path, result if isinstance(result, EvalrunError) else view(result))
    for path, result in iter_results(options, rulesets, on_project, view if on_project and not render else None,
                                     stored):
        if not render:
            yield path, result
        elif isinstance(result, EvalrunError) or result.has_errors:
            yield path, result, []  # nothing to render: it is not written
        else:
            yield path, result, render_outputs(options, path, result)


def _collect(outcome: RunResult, options: RunOptions, path: Path, result) -> bool:
    if isinstance(result, EvalrunError):
        outcome.failures.append((path, result))
        return False
    if isinstance(result, ProjectSummary):  # from a run that keeps no results (engine.runner.kept, parallel)
        summary = result
    else:
        summary = ProjectSummary.of(result)
        if options.keep_results:
            outcome.results.append(result)
    outcome.summaries.append(summary)
    outcome.with_errors += summary.has_errors
    return True


def validate(workspace: Path, ruleset_name: str, cache: bool = True,
             plan: list | None = None) -> tuple[Ruleset | None, list[EvalrunError]]:
    """Check the ruleset, its department variants, every project file and every template.

    Every problem, each once, sorted by place. When the ruleset itself
    cannot be read, the project files are still read and checked against
    the schema. ``plan``, when given, receives (project file, the ruleset file that scores it) for each
    project scored: the department's variant (its own or inherited through ``extends``), or the ruleset.
    """
    try:
        rulesets = RulesetCache(workspace, ruleset_name)
    except EvalrunError as exc:
        return None, _unique(list(getattr(exc, "errors", [exc])) + _without_ruleset(workspace, ruleset_name))
    errors: list[EvalrunError] = []
    for department in variant_departments(workspace, ruleset_name, inherited=True):
        try:
            rulesets.for_department(department)
        except EvalrunError as exc:
            errors.extend(getattr(exc, "errors", [exc]))
    examples: dict[str, ProjectResult] = {}
    options = RunOptions(ruleset=ruleset_name, workspace=workspace, write_reports=False, cache=cache)
    for _, result in iter_results(options, rulesets):
        if isinstance(result, EvalrunError):
            errors.extend(getattr(result, "errors", [result]))
            continue
        examples.setdefault(result.project.department, result)
        if plan is not None:
            plan.append((result.project.file, result.ruleset.file))
        errors.extend(
            EvalrunError(tr("api.finding_error", text=f.text, check=f.check), f.source)
            for f in result.findings if f.severity == "error"
        )
    from engine.outputs.templatecheck import template_errors  # Jinja2, only when validating

    errors += template_errors(workspace, rulesets.base, examples, evaluate)
    return rulesets.base, _unique(errors)


def _unique(errors: list[EvalrunError]) -> list[EvalrunError]:
    """Each problem once (a variant's or the ruleset's own is met by every project), sorted by place."""
    return sorted({str(e): e for e in errors}.values(), key=EvalrunError.sort_key)


def _without_ruleset(workspace: Path, ruleset_name: str) -> list[EvalrunError]:
    """The schema's errors in the project files of the ruleset's year, when the ruleset cannot be read."""
    year = None
    try:
        data, _, _ = resolve_data(workspace, ruleset_name)
        year = data.get("fiscal_year")
    except (EvalrunError, UsageError):
        pass
    if not isinstance(year, int) or isinstance(year, bool):
        year = int(ruleset_name) if ruleset_name.isdigit() and len(ruleset_name) == 4 else None
    root = workspace / "projects" / str(year)
    if year is None or not root.is_dir():
        return []
    files = year_files(workspace, year)
    errors = list(duplicate_projects(files, workspace).values())
    for path in files:
        shown = display(path, workspace)
        try:
            data = load_file(guard_path(workspace, path, "read"), shown)
        except EvalrunError as exc:
            errors.extend(getattr(exc, "errors", [exc]))
            continue
        errors += schema_errors(data, "project", shown) + folder_errors(path, data, workspace)
    return [e for error in errors for e in getattr(error, "errors", [error])]


def find_project(workspace: Path, ruleset_name: str, name: str) -> ProjectResult:
    """The evaluated project whose name or file name is ``name``."""
    rulesets = RulesetCache(workspace, ruleset_name)
    candidates = []
    cache = ParseCache(workspace, ruleset_name)
    try:
        for path in project_files(workspace, rulesets.base):
            ruleset = rulesets.for_department(path.parent.name)
            project = load_project(path, ruleset, workspace, cache)
            candidates.append(project.name)
            if name in (project.name, path.stem, display(path, workspace)):
                return evaluate(ruleset, project)
    finally:
        cache.close()
    raise UsageError(tr("api.no_project", name=name, year=rulesets.base.fiscal_year,
                        suggestion=did_you_mean(name, candidates),
                        known=tr("api.projects", names=", ".join(candidates)) if candidates else ""))


def export_forms(options: ExportOptions) -> ExportResult:
    """The 自评表 forms departments fill in (`evalrun export`): one workbook per department."""
    from engine.forms.export import write_forms

    rulesets = RulesetCache(options.workspace, options.ruleset)
    run_options = RunOptions(ruleset=options.ruleset, workspace=options.workspace, write_reports=False)
    return write_forms(options, iter_results(run_options, rulesets))


# The API of `evalrun import` and `evalrun export`, imported when first used (they need openpyxl).
_LAZY = {"ImportOptions": "engine.forms.import_forms", "ImportResult": "engine.forms.import_forms",
         "import_workbook": "engine.forms.import_forms", "ExportOptions": "engine.forms.export",
         "ExportResult": "engine.forms.export"}


def __getattr__(name: str):
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "RunOptions", "RunResult", "ProjectSummary", "run", "validate", "load_ruleset", "load_project", "evaluate",
    "find_project", "project_files", "Source", "ImportOptions", "ImportResult", "import_workbook",
    "ExportOptions", "ExportResult", "export_forms",
]
