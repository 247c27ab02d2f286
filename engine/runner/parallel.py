"""--jobs N: projects loaded, evaluated and rendered in N worker processes.

Each worker loads the ruleset once (it must have the same sha256 as the
parent's), then takes chunks of project files and sends back, for each,
the result (or the EvalrunError) and the rendered outputs. The parent
yields them in the order of the files, so everything it does with them
(callbacks, staging, the summary, JSON) is what ``--jobs 1`` does. Few
chunks are in flight at once, so memory stays flat however many projects
there are.

Results are pickled with the ruleset and its formulas left out: the parent
puts its own back, so ``result.ruleset is outcome.ruleset`` as in one
process, and compiled formulas never travel. A run that keeps no results
and has no callback (the CLI writing reports) gets only each project's
ProjectSummary back, which is small; with a ``view`` (the CLI's --json), the
view is made in the worker and travels with the summary.
"""
from __future__ import annotations

import io
import multiprocessing
import pickle
import sys
import threading
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from itertools import islice
from typing import Callable

from engine import i18n
from engine.errors import EvalrunError
from engine.files.reading import read_guarded
from engine.files.paths import FolderGuard
from engine.i18n import tr
from engine.runner.kept import KeptResults


@dataclass(frozen=True)
class Steps:
    """What a worker does to a project file, as the library API (engine/api.py) does it.

    Handed in by the API rather than imported from it, so that the run's
    machinery does not depend on the API built over it; module-level
    functions, so they travel to the worker processes by reference.
    """

    project_files: Callable
    parse_cache: Callable
    shown_in_run: Callable
    load_project: Callable
    selected: Callable
    evaluate: Callable
    with_previous: Callable
    render_outputs: Callable
    summary_of: Callable

CHUNK = 16  # project files per task
WINDOW = 4  # tasks in flight per worker
_SKIP = "skip"
_worker: dict = {}


def _context():
    """How the workers start: forked on Linux while this process has no other thread (the quickest: a worker
    has the parent's modules; the pool forks them all before its own thread starts), else from a fresh process
    (forkserver; spawn on Windows and macOS), since a fork beside running threads can deadlock the child.
    Python 3.14 makes forkserver Linux's default: named here, the choice does not change with Python."""
    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork" if threading.active_count() == 1 else "forkserver")
    return multiprocessing.get_context()


def _parts(ruleset) -> dict:
    """part name -> object: the ruleset and every formula it holds (formulas are compiled: they never travel)."""
    parts = {"ruleset": ruleset, "budget.rate": ruleset.budget.rate, "budget.score": ruleset.budget.score}
    for name, method in ruleset.methods.items():
        parts[f"method:{name}"] = method.formula
        if method.table is not None:
            for index, row in enumerate(method.table.rows):
                parts[f"method:{name}:row:{index}"] = row.score
    return parts


def _shared(rulesets: dict) -> dict:
    """id(object) -> (department, part), for every ruleset the worker has used ('' is the year's)."""
    return {id(obj): (department, part)
            for department, ruleset in rulesets.items() for part, obj in _parts(ruleset).items()}


class _Pickler(pickle.Pickler):
    def __init__(self, file, shared):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.shared = shared

    def reducer_override(self, obj):  # not called for str, int, dict, list, tuple...: cheap
        key = self.shared.get(id(obj))
        return NotImplemented if key is None else (_parent_object, key)


_parent: dict = {}


def _parent_object(department: str, part: str):
    """The parent's own copy of a ruleset part: results point at the parent's rulesets."""
    cache = _parent["rulesets"]
    ruleset = cache.base if not department else cache.for_department(department)
    return _parts(ruleset)[part]


def _start(options, sha256: str, full: bool, view, steps: Steps, language: str = i18n.DEFAULT) -> None:
    from engine.rules.rulesets import RulesetCache

    i18n.use(language)  # the worker's messages in the parent's language (a spawned worker starts in the default)

    rulesets = RulesetCache(options.workspace, options.ruleset)
    cache, guard = steps.parse_cache(options), FolderGuard(options.workspace)
    _worker.update(options=options, rulesets=rulesets, used={"": rulesets.base}, steps=steps,
                   changed=rulesets.base.sha256 != sha256, full=full, view=view, cache=cache, guard=guard,
                   kept=None if full else KeptResults.for_run(cache, options, view, guard))  # as in one process


def _ruleset_for(department: str):
    """The department's ruleset in this worker, remembered for pickling by reference."""
    rulesets = _worker["rulesets"]
    ruleset = rulesets.for_department(department)
    if ruleset is not rulesets.base:
        _worker["used"][department] = ruleset
    return ruleset


def _work(paths: list, render: bool) -> bytes:
    options, steps = _worker["options"], _worker["steps"]
    if _worker["changed"]:
        # an edit saved while the run was starting: the user's to redo, not a bug (nothing is written or recorded)
        raise EvalrunError(tr("parallel.changed", ruleset=options.ruleset))
    items = []
    for path in paths:
        try:
            ruleset = _ruleset_for(path.parent.name)
            shown = steps.shown_in_run(path, options.workspace, _worker.setdefault("folders", {}))
            if _worker["kept"] is not None:  # the summary and the view, kept from an earlier run or made and kept
                made = _worker["kept"].project(
                    path, shown, ruleset,
                    lambda raw: steps.load_project(path, ruleset, options.workspace, _worker["cache"], shown, raw),
                    lambda project: steps.with_previous(options, steps.evaluate(ruleset, project)),
                    lambda name: steps.selected(path, name, options.projects))
                items.append(_SKIP if made is None else (path, made[0], None, made[1]))
                continue
            raw = read_guarded(_worker["guard"], path, shown)  # each department folder resolved once
            project = steps.load_project(path, ruleset, options.workspace, _worker["cache"], shown, raw)
            if not steps.selected(path, project.name, options.projects):
                items.append(_SKIP)
                continue
            result = steps.with_previous(options, steps.evaluate(ruleset, project))  # the year before, from the store
        except EvalrunError as exc:
            if options.projects and path.stem not in options.projects:
                items.append(_SKIP)
            else:
                items.append((path, exc, None, None))
            continue
        rendered = None
        if render:  # a project with an error finding is not written
            rendered = [] if result.has_errors else steps.render_outputs(options, path, result)
        view = _worker["view"]
        items.append((path, result if _worker["full"] else steps.summary_of(result, options), rendered,
                      view(result) if view else None))
    if _worker["cache"] is not None:
        _worker["cache"].close()  # what this chunk added, committed
    buffer = io.BytesIO()
    _Pickler(buffer, _shared(_worker["used"])).dump(items)
    return buffer.getvalue()


def iter_results_parallel(options, rulesets, steps: Steps, on_project=None, render: bool = False, view=None):
    """(path, outcome, rendered outputs or None), in file order.

    The outcome is the ProjectResult or EvalrunError; when the caller keeps
    no results and has no callback (or has a ``view`` for it), a
    ProjectSummary in place of a result. ``on_project`` gets
    ``view(result)``, made in the worker, when ``view`` is given.
    """
    paths = steps.project_files(options.workspace, rulesets.base)
    chunks = iter([paths[i:i + CHUNK] for i in range(0, len(paths), CHUNK)])
    # Writing reports needs each whole result (the year's 汇总, the report's folder).
    full = options.keep_results or render or (on_project is not None and view is None)
    _parent.clear()
    _parent["rulesets"] = rulesets
    pool = ProcessPoolExecutor(max_workers=options.jobs, initializer=_start, mp_context=_context(),
                               initargs=(options, rulesets.base.sha256, full, view, steps, i18n.language()))
    try:
        pending = deque(pool.submit(_work, chunk, render) for chunk in islice(chunks, options.jobs * WINDOW))
        while pending:
            data = pending.popleft().result()
            following = next(chunks, None)
            if following is not None:
                pending.append(pool.submit(_work, following, render))
            for item in pickle.loads(data):
                if item == _SKIP:
                    continue
                path, result, rendered, viewed = item
                if on_project:
                    on_project(path, viewed if view and not isinstance(result, EvalrunError) else result)
                yield path, result, rendered
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
