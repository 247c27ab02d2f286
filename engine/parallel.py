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
import pickle
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from itertools import islice

from .errors import EvalrunError, InternalError

CHUNK = 16  # project files per task
WINDOW = 4  # tasks in flight per worker
_SKIP = "skip"
_worker: dict = {}


def _shared(ruleset) -> dict:
    """id(object) -> key, for the ruleset and every formula it holds."""
    shared = {id(ruleset): "ruleset", id(ruleset.budget.rate): "budget.rate", id(ruleset.budget.score): "budget.score"}
    for name, method in ruleset.methods.items():
        shared[id(method.formula)] = f"method:{name}"
    return shared


def _objects(ruleset) -> dict:
    """key -> object: the inverse of _shared."""
    objects = {"ruleset": ruleset, "budget.rate": ruleset.budget.rate, "budget.score": ruleset.budget.score}
    for name, method in ruleset.methods.items():
        objects[f"method:{name}"] = method.formula
    return objects


class _Pickler(pickle.Pickler):
    def __init__(self, file, shared):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.shared = shared

    def reducer_override(self, obj):  # not called for str, int, dict, list, tuple...: cheap
        key = self.shared.get(id(obj))
        return NotImplemented if key is None else (_parent_object, (key,))


_parent: dict = {}


def _parent_object(key: str):
    return _parent[key]


def _start(options, sha256: str, full: bool, view) -> None:
    from .api import load_ruleset

    ruleset = load_ruleset(options.workspace, options.ruleset)
    _worker.update(options=options, ruleset=ruleset, shared=_shared(ruleset), changed=ruleset.sha256 != sha256,
                   full=full, view=view)


def _work(paths: list, render: bool) -> bytes:
    from .api import ProjectSummary, _selected, evaluate, load_project, render_outputs

    options, ruleset = _worker["options"], _worker["ruleset"]
    if _worker["changed"]:
        raise InternalError(f"the ruleset {options.ruleset} changed while evaluating; run again")
    items = []
    for path in paths:
        try:
            project = load_project(path, ruleset, options.workspace)
            if not _selected(path, project, options.projects):
                items.append(_SKIP)
                continue
            result = evaluate(ruleset, project)
        except EvalrunError as exc:
            if options.projects and path.stem not in options.projects:
                items.append(_SKIP)
            else:
                items.append((path, exc, None, None))
            continue
        rendered = render_outputs(options, path, result) if render else None
        view = _worker["view"]
        items.append((path, result if _worker["full"] else ProjectSummary.of(result), rendered,
                      view(result) if view else None))
    buffer = io.BytesIO()
    _Pickler(buffer, _worker["shared"]).dump(items)
    return buffer.getvalue()


def iter_results_parallel(options, ruleset, on_project=None, render: bool = False, view=None):
    """(path, outcome, rendered outputs or None), in file order.

    The outcome is the ProjectResult or EvalrunError; when the caller keeps
    no results and has no callback (or has a ``view`` for it), a
    ProjectSummary in place of a result. ``on_project`` gets
    ``view(result)``, made in the worker, when ``view`` is given.
    """
    from .api import project_files

    paths = project_files(options.workspace, ruleset)
    chunks = iter([paths[i:i + CHUNK] for i in range(0, len(paths), CHUNK)])
    full = options.keep_results or (on_project is not None and view is None)
    _parent.clear()
    _parent.update(_objects(ruleset))
    pool = ProcessPoolExecutor(max_workers=options.jobs, initializer=_start,
                               initargs=(options, ruleset.sha256, full, view))
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
