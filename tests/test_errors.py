"""One exception root: each error carries its exit code and its problems, and the CLI maps it in one place."""
from __future__ import annotations

import errno
import pickle

import pytest

from engine.errors import (EvalrunError, EvalrunErrors, EvalrunException, InternalError, Source, UsageError,
                           WorkspaceBusy)

# These tests read evalrun's English messages (--lang en); tests/test_language.py and test_bad_inputs.py check the Chinese default.
pytestmark = pytest.mark.usefixtures("english")

PLACE = Source("projects/2025/a.yaml", 3, 5)


@pytest.mark.parametrize("error,code", [
    (EvalrunError("weight must be a number", PLACE), 1),
    (EvalrunErrors([EvalrunError("b", Source("b.yaml", 2)), EvalrunError("a", Source("a.yaml", 9))]), 1),
    (UsageError("missing --ruleset NAME"), 2),
    (WorkspaceBusy("another run holds reports/out"), 2),
    (InternalError("scored again, a different score"), 3),
])
def test_every_error_has_one_root_an_exit_code_and_survives_pickling(error, code):
    assert isinstance(error, EvalrunException) and error.exit_code == code
    copy = pickle.loads(pickle.dumps(error))  # --jobs sends errors between processes
    assert type(copy) is type(error) and copy.lines() == error.lines()
    assert [str(p) for p in copy.problems] == [str(p) for p in error.problems]


def test_several_errors_are_their_problems_sorted_by_place():
    error = EvalrunErrors([EvalrunError("b", Source("b.yaml", 2)), EvalrunError("a", Source("a.yaml", 9)),
                           EvalrunError("b", Source("b.yaml", 2))])
    assert error.lines() == ["a.yaml:9: a", "b.yaml:2: b"]
    assert all(type(p) is EvalrunError for p in error.problems)


def test_a_wrong_command_line_or_a_bug_is_no_file_mistake():
    """`except EvalrunError` collects a project's file mistakes while the others go on: never a usage error or a bug."""
    assert not issubclass(UsageError, EvalrunError) and not issubclass(InternalError, EvalrunError)


@pytest.mark.parametrize("raised,code,stderr", [
    (EvalrunErrors([EvalrunError("x", Source("a.yaml", 1)), EvalrunError("y", Source("a.yaml", 2))]), 1,
     "a.yaml:1: x\na.yaml:2: y\n"),
    (UsageError("no ruleset `2099`"), 2, "evalrun: no ruleset `2099`\n"),
    (OSError(errno.ENOSPC, "No space left on device"), 1, "evalrun: cannot write the output: "),
    (KeyboardInterrupt(), 130, "evalrun: interrupted; earlier outputs are unchanged\n"),
    (InternalError("a rate without a method"), 3, "evalrun: internal error: InternalError: a rate without a method\n"
                                                   "This is a bug in evalrun"),
    (ZeroDivisionError("division by zero"), 3, "evalrun: internal error: ZeroDivisionError: division by zero\n"),
    (OSError(errno.EIO, "Input/output error"), 3, "evalrun: internal error: OSError: "),
])
def test_the_command_line_maps_each_exception_once(run_cli, workspace, monkeypatch, raised, code, stderr):
    from engine import api
    from engine.tools import explain

    def fail(*args, **kwargs):
        raise raised

    monkeypatch.setattr(api, "find_project", fail)  # the explain command's first call into the library
    monkeypatch.setattr(explain, "explain", fail)
    result = run_cli("explain", "--ruleset", "2025", "--project", "x", workspace=workspace)
    assert result.exit_code == code
    assert result.stderr.startswith(stderr), result.stderr
    assert "Traceback" not in result.output


def test_clicks_own_usage_errors_still_exit_2(run_cli):
    result = run_cli("explain", "--no-such-option")
    assert result.exit_code == 2 and "No such option" in result.stderr
