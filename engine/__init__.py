"""evalrun: project performance evaluation (预算绩效评价) as rules-as-data."""
from .api import RunOptions, RunResult, evaluate, load_project, load_ruleset, run, validate
from .errors import EvalrunError

__all__ = ["RunOptions", "RunResult", "run", "validate", "evaluate", "load_ruleset", "load_project", "EvalrunError"]
