"""A project's page: its 自评表 as the HTML report draws it, every score's trace, its findings and their reviews.

The 自评表 is rendered by the workspace's own ``self_evaluation_table.html.j2``
(a department's copy first, as for the HTML report), given the position of
each row's trace so that the default template makes every score a link; the
whole HTML report is the very file `evalrun` writes, shown in a frame. A
trace says what `evalrun explain` says: the method, the formula and the
ruleset line it comes from (and the inherited line it overrides), each input
with its file and line, the decision, the rounding, the result.
"""
from __future__ import annotations

from engine.outputs.chart import score_chart
from engine.errors import Source
from engine.tools.explain import _value, explain
from engine.model import ProjectResult, Score
from engine.outputs.render import render_context
from engine.outputs.view import report_view

TABLE_TEMPLATE = "self_evaluation_table.html.j2"


def place(source: Source | None, ruleset=None) -> dict | None:
    """A file:line as the page shows and links it, with the inherited place it overrides (rulesets)."""
    if source is None or not source.file:
        return None
    override = ruleset.overrides.get(source) if ruleset is not None else None
    return {"text": str(source), "file": source.file, "line": source.line or 0,
            "overrides": place(override.old) if override is not None else None}


def trace_view(position: int, row: Score, ruleset) -> dict:
    trace = row.trace
    out = {
        "position": position, "name": row.name or row.note, "level1": row.level1, "level2": row.level2,
        "where": place(row.source), "applicable": row.applicable, "target": row.target, "actual": row.actual,
        "score": row.score, "weight": row.allotted if row.allotted is not None else row.weight,
        "reported": row.reported_score,
        "differs": row.reported_score is not None and row.score is not None and row.reported_score != row.score,
        "trace": None,
    }
    if row.applicable and trace is not None:
        out["trace"] = {
            "method": trace.method, "label": trace.label, "formula": trace.formula.text,
            "formula_where": place(trace.formula.source, ruleset),
            "inputs": [{"name": i.name, "value": _value(i.value), "note": i.note, "where": place(i.source, ruleset)}
                       for i in trace.inputs],
            "reason": trace.reason, "steps": list(trace.steps), "raw": _value(trace.raw),
            "rounding": trace.rounding, "rounded": _value(trace.rounded),
        }
    return out


def _positions(result: ProjectResult) -> list[int]:
    """The all_rows position of each row of the 自评表, in the table's order (engine.outputs.view.table_groups)."""
    return [i + 1 for group in result.groups for i, row in enumerate(result.rows) if row.level1 == group.name]


def table_context(result: ProjectResult) -> dict:
    """The report view, each table row and the execution row knowing the position of its trace."""
    view = report_view(result)
    for row, position in zip(view["table_rows"], _positions(result)):
        row["trace"] = position
    view["execution"]["trace"] = 0
    return view


def totals(result: ProjectResult) -> list[str]:
    """How the total and the grade follow from the rows (the last lines of `evalrun explain`)."""
    return [line for line in explain(result).splitlines() if line.startswith(("总分 ", "等级 "))]


def project_context(workspace, result: ProjectResult) -> dict:
    """Everything the project page needs of a scored project, but the reviews."""
    ruleset = result.ruleset
    view = table_context(result)
    table = render_context(workspace, TABLE_TEMPLATE, view, result.project.department)
    chart_view = report_view(result)
    return {
        "view": view, "table_html": table, "chart": score_chart(chart_view),
        "traces": [trace_view(i, row, ruleset) for i, row in enumerate(result.all_rows)],
        "totals": totals(result),
        "ruleset": {"id": ruleset.id, "version": ruleset.version, "sha256": ruleset.sha256, "file": ruleset.file,
                    "variant": ruleset.variant, "title": ruleset.title},
        "reported_total": result.project.reported_total,
        "total_differs": result.project.reported_total is not None and result.project.reported_total != result.total,
    }


def finding_views(entry, result: ProjectResult, history: dict) -> list[dict]:
    """Each finding with its place, its latest decision and the decisions before it."""
    out = []
    for index, (ref, finding) in enumerate(zip(entry.findings, result.findings)):
        reviews = history.get(ref.key, [])
        out.append({"index": index, "ref": ref, "severity": finding.severity, "check": finding.check,
                    "message": finding.message, "where": place(finding.source),
                    "current": reviews[-1] if reviews else None, "history": list(reversed(reviews))})
    return out
