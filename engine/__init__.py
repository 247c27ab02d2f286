"""evalrun: project performance evaluation (预算绩效评价) as rules-as-data."""
from .errors import EvalrunError

__all__ = ["RunOptions", "RunResult", "run", "validate", "evaluate", "load_ruleset", "load_project", "EvalrunError"]


def __getattr__(name: str):
    """The library API (engine.api), imported when first used: `evalrun --help` need not load it."""
    if name in __all__:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
