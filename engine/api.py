"""The library entry points: what the CLI and the tests both call.

``run(RunOptions)`` evaluates every project of a fiscal year against a
ruleset and writes the reports; ``validate``, ``explain_project`` and the
loaders below are the same stages, exposed one by one.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Callable, Iterable

from .check import check_project
from .errors import EvalrunError, EvalrunErrors, Source, UsageError
from .evaluate import evaluate_project
from .load import load_file
from .model import Project, ProjectResult, Ruleset
from .outputs import DEFAULT_FORMATS, FORMATS
from .resolve import build_project, build_ruleset
from .validate import check_schema
from .write import Staging, safe_name

_RULESET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class RunOptions:
    """Everything a run needs, spelled out once."""

    ruleset: str
    workspace: Path = Path(".")
    formats: tuple = DEFAULT_FORMATS
    write_reports: bool = True
    output: Path | None = None
    projects: tuple = ()  # only these project names or file stems; all when empty
    jobs: int = 1  # processes that load, evaluate and render projects (engine.parallel)
    keep_results: bool = True  # False: keep only each project's summary, so memory stays flat

    @property
    def output_dir(self) -> Path:
        return self.output or self.workspace / "reports" / "out"


@dataclass(frozen=True, slots=True)
class ProjectSummary:
    """What a run keeps of every project it evaluated: the summary table's row and the findings."""

    department: str
    name: str
    file: str
    total: Decimal
    grade: str
    findings: tuple = ()

    @classmethod
    def of(cls, result: ProjectResult) -> "ProjectSummary":
        project = result.project
        return cls(project.department, project.name, project.file, result.total, result.grade, result.findings)

    @property
    def has_errors(self) -> bool:
        return any(f.severity == "error" for f in self.findings)


@dataclass
class RunResult:
    ruleset: Ruleset
    results: list = field(default_factory=list)  # every ProjectResult, unless options.keep_results is False
    failures: list = field(default_factory=list)  # (project file, EvalrunError)
    outputs: list = field(default_factory=list)
    summaries: list = field(default_factory=list)  # a ProjectSummary for every evaluated project

    @property
    def ok(self) -> bool:
        return not self.failures and not any(s.has_errors for s in self.summaries)


def display(path: Path, workspace: Path) -> str:
    """A path as the user knows it: relative to the workspace, with / separators."""
    try:
        return path.resolve().relative_to(workspace.resolve()).as_posix()
    except ValueError:
        return str(path)


def ruleset_file(workspace: Path, name: str) -> Path:
    if not _RULESET_NAME.match(name or "") or ".." in name:
        raise UsageError(f"--ruleset `{name}` is not a ruleset name; use a folder name under rulesets/, such as 2025")
    path = workspace / "rulesets" / name / "ruleset.yaml"
    if not path.is_file():
        known = sorted(p.name for p in (workspace / "rulesets").glob("*") if (p / "ruleset.yaml").is_file())
        raise UsageError(
            f"no ruleset `{name}`: {display(path, workspace)} does not exist"
            + (f"; rulesets here: {', '.join(known)}" if known else f"; is {workspace} an evalrun workspace?")
        )
    return path


def load_ruleset(workspace: Path, name: str) -> Ruleset:
    path = ruleset_file(workspace, name)
    shown = display(path, workspace)
    data = load_file(path, shown)
    check_schema(data, "ruleset", shown)
    return build_ruleset(data, shown)


def project_files(workspace: Path, ruleset: Ruleset) -> list[Path]:
    """projects/<fiscal year>/<department>/*.yaml, in a stable order."""
    root = workspace / "projects" / str(ruleset.fiscal_year)
    if not root.is_dir():
        return []
    files = [p for p in root.glob("*/*.yaml") if p.is_file() and not p.is_symlink()]
    return sorted(files, key=lambda p: (p.parent.name, p.name))


def load_project(path: Path, ruleset: Ruleset, workspace: Path) -> Project:
    shown = display(path, workspace)
    data = load_file(path, shown)
    check_schema(data, "project", shown)
    return build_project(data, shown, ruleset)


def evaluate(ruleset: Ruleset, project: Project) -> ProjectResult:
    rate, budget_row, rows, groups, total, max_total, grade = evaluate_project(ruleset, project)
    findings = check_project(ruleset, project, rows, budget_row, total)
    return ProjectResult(project, ruleset, rate, budget_row, rows, groups, total, max_total, grade, findings)


def _selected(path: Path, project: Project, wanted: Iterable[str]) -> bool:
    wanted = tuple(wanted)
    return not wanted or project.name in wanted or path.stem in wanted


def iter_results(options: RunOptions, ruleset: Ruleset, on_project: Callable | None = None):
    """(path, ProjectResult or EvalrunError) for each project, one at a time."""
    for path in project_files(options.workspace, ruleset):
        try:
            project = load_project(path, ruleset, options.workspace)
            if not _selected(path, project, options.projects):
                continue
            outcome = evaluate(ruleset, project)
        except EvalrunError as exc:
            if options.projects and path.stem not in options.projects:
                continue
            outcome = exc
        if on_project:
            on_project(path, outcome)
        yield path, outcome


def report_path(options: RunOptions, path: Path, result: ProjectResult, extension: str) -> Path:
    return Path(safe_name(result.project.department)) / f"{safe_name(path.stem)}.{extension}"


def run(options: RunOptions, on_project: Callable | None = None, *, view: Callable | None = None) -> RunResult:
    """Evaluate every project of the ruleset's year and write the reports.

    ``on_project(path, result or EvalrunError)`` is called for each project in
    file order. With ``view`` (a module-level function of a ProjectResult),
    it gets ``view(result)`` instead of the result; with --jobs the view is
    made in the worker process, so that only it travels.
    """
    ruleset = load_ruleset(options.workspace, options.ruleset)
    outcome = RunResult(ruleset)
    target = options.output_dir / safe_name(options.ruleset)
    if not options.write_reports:
        for path, result in _results(options, ruleset, on_project, view):
            _collect(outcome, options, path, result)
        return outcome
    with Staging(target) as staging:
        for path, result, rendered in _results(options, ruleset, on_project, view, render=True):
            if not isinstance(result, EvalrunError) and isinstance(rendered, EvalrunError):
                result = rendered
            if _collect(outcome, options, path, result):
                for relative, content in rendered:
                    staging.write(relative, content)
        outcome.outputs = staging.commit()
    return outcome


def render_outputs(options: RunOptions, path: Path, result: ProjectResult):
    """[(report path, bytes)] in the order of options.formats, or the EvalrunError that stopped it."""
    try:
        return [(report_path(options, path, result, FORMATS[name].extension),
                 FORMATS[name].render(options.workspace, result)) for name in options.formats]
    except EvalrunError as exc:
        return exc


def _results(options: RunOptions, ruleset: Ruleset, on_project, view, render: bool = False):
    """iter_results, with the rendered outputs when ``render``; in processes when options.jobs > 1."""
    if options.jobs > 1:
        from .parallel import iter_results_parallel

        for path, result, rendered in iter_results_parallel(options, ruleset, on_project, render, view):
            yield (path, result, rendered) if render else (path, result)
        return
    if on_project and view:
        callback = on_project
        on_project = lambda path, result: callback(  # noqa: E731
            path, result if isinstance(result, EvalrunError) else view(result))
    for path, result in iter_results(options, ruleset, on_project):
        if not render:
            yield path, result
        else:
            yield path, result, (None if isinstance(result, EvalrunError) else render_outputs(options, path, result))


def _collect(outcome: RunResult, options: RunOptions, path: Path, result) -> bool:
    if isinstance(result, EvalrunError):
        outcome.failures.append((path, result))
        return False
    if isinstance(result, ProjectSummary):  # from engine.parallel, when no results are kept
        outcome.summaries.append(result)
        return True
    if options.keep_results:
        outcome.results.append(result)
    outcome.summaries.append(ProjectSummary.of(result))
    return True


def validate(workspace: Path, ruleset_name: str) -> tuple[Ruleset | None, list[EvalrunError]]:
    """Check the ruleset and every project file; every problem, sorted by place."""
    try:
        ruleset = load_ruleset(workspace, ruleset_name)
    except EvalrunErrors as exc:
        return None, list(exc.errors)
    except EvalrunError as exc:
        return None, [exc]
    errors: list[EvalrunError] = []
    for path in project_files(workspace, ruleset):
        try:
            result = evaluate(ruleset, load_project(path, ruleset, workspace))
        except EvalrunErrors as exc:
            errors.extend(exc.errors)
            continue
        except EvalrunError as exc:
            errors.append(exc)
            continue
        errors.extend(
            EvalrunError(f"{f.message} [{f.check}]", f.source) for f in result.findings if f.severity == "error"
        )
    return ruleset, sorted(errors, key=EvalrunError.sort_key)


def find_project(workspace: Path, ruleset: Ruleset, name: str) -> ProjectResult:
    """The evaluated project whose name or file name is ``name``."""
    candidates = []
    for path in project_files(workspace, ruleset):
        project = load_project(path, ruleset, workspace)
        candidates.append(project.name)
        if name in (project.name, path.stem, display(path, workspace)):
            return evaluate(ruleset, project)
    from .errors import did_you_mean

    raise UsageError(
        f"no project `{name}` for fiscal year {ruleset.fiscal_year}{did_you_mean(name, candidates)}"
        + (f"; projects: {', '.join(candidates)}" if candidates else "")
    )


__all__ = [
    "RunOptions", "RunResult", "ProjectSummary", "run", "validate", "load_ruleset", "load_project", "evaluate",
    "find_project", "project_files", "Source",
]
