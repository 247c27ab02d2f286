"""`evalrun --json`: a run's results as one JSON document on a stream, each project written as it is evaluated.

Nothing of a project is kept once it is written; with --jobs each project's JSON is made in the worker
process that evaluated it, so that only the JSON travels.
"""
from __future__ import annotations

from typing import Callable

from engine.errors import EvalrunError


def project_json(result) -> tuple:
    """(ruleset reference, the project's JSON in UTF-8): the run's ``view``, made where the project was evaluated
    (and kept with the project's summary between runs: engine.runner.kept)."""
    from engine.outputs.jsonstream import project_bytes
    from engine.outputs.view import result_json

    return result.ruleset.ref, project_bytes(result_json(result))


def run_json(options, write: Callable[[str], object], binary: bool = False):
    """Run ``options`` (which write no reports) and write the JSON document with ``write`` (of text, or with
    ``binary`` of UTF-8 bytes); the RunResult."""
    from engine import api
    from engine.outputs.jsonstream import JsonRunWriter

    writer = JsonRunWriter(write, binary)
    base = api.load_ruleset(options.workspace, options.ruleset).ref  # the year's; a variant is named per project

    def emit(path, viewed):
        if not isinstance(viewed, EvalrunError):
            writer.project_bytes(base, viewed[1])

    outcome = api.run(options, on_project=emit, view=project_json)
    writer.finish(outcome.ruleset.ref, [{"file": api.display(path, options.workspace),
                                         "errors": [str(e) for e in error.problems]}
                                        for path, error in outcome.failures])
    return outcome
