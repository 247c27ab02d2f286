"""evalrun: project performance evaluation (预算绩效评价) as rules-as-data."""
import sys
import types

from engine.errors import EvalrunError

__version__ = "0.1.0"  # written here only: pyproject.toml reads it, and a run records it without importlib.metadata

__all__ = ["RunOptions", "RunResult", "run", "validate", "evaluate", "load_ruleset", "load_project", "EvalrunError"]


def __getattr__(name: str):
    """The library API (engine.api), imported when first used: `evalrun --help` need not load it."""
    if name in __all__:
        from engine import api

        return getattr(api, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class _Engine(types.ModuleType):
    """``engine.scoring.evaluate`` and ``engine.files.validate`` are the API's functions, as they always were,
    although modules of the same names exist (the import system's note of those modules here is
    dropped: sys.modules has them)."""

    @property
    def evaluate(self):
        from engine.api import evaluate

        return evaluate

    @evaluate.setter
    def evaluate(self, module):
        pass

    @property
    def validate(self):
        from engine.api import validate

        return validate

    @validate.setter
    def validate(self, module):
        pass


sys.modules[__name__].__class__ = _Engine
