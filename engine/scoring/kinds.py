"""What every ruleset may add after the rows are scored: rules on the total, then measures.

One call for the library's ``evaluate``: the rules on the total
(engine.scoring.totals) cap or set the total and so the grade; the measures
(engine.scoring.measures: dates, variables, level tables) are computed on the
final total, and ``grade_by`` shows a level table's level as the grade.
"""
from __future__ import annotations

from decimal import Decimal

from engine.model import Project, Ruleset
from engine.scoring.measures import compute
from engine.scoring.review_rules import review
from engine.scoring.totals import apply_total_rules



def finish_scores(ruleset: Ruleset, project: Project, rate: Decimal, total: Decimal, max_total: Decimal, grade: str,
                  rows) -> tuple:
    """(total, grade, the ProjectResult fields ``adjustments`` and ``measures``)."""
    total, grade, adjustments = apply_total_rules(ruleset, project, rate, total, max_total, grade)
    measures = compute(ruleset, project, rate, total, rows)
    if measures is not None and ruleset.measures.grade_by:
        grade = measures.level(ruleset.measures.grade_by) or grade
    found, verdict = review(ruleset, project)  # review rules (审核规则): findings and 通过 / 修改
    if verdict:
        grade = verdict
    return total, grade, {"adjustments": adjustments, "measures": measures, "verdict": verdict,
                          "review_findings": found}
