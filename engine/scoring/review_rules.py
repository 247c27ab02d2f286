"""Applying a ruleset's review rules (engine.rules.review_rules) to one project: findings and a verdict.

The rows reviewed are the stage's (a ``declaration:`` section's indicators,
engine.files.stages) when it has rows, else the project's indicators. Each
rule that does not hold gives a Finding named after the rule, at the row's
file:line (the section's line when no row is to blame), with the rule's
reason; its severity is the ruleset's ``checks`` setting for that name
(a warning when not set). Any finding of a review rule gives the verdict
``revise``, none gives ``pass``.
"""
from __future__ import annotations

from decimal import Decimal

from engine.model import Finding, Project, Ruleset
from engine.rules.targets import GROWTH, QUANTITY, TargetError, convert, format_number, parse_measure

ZERO = Decimal(0)
NUMERIC = (QUANTITY, GROWTH)
STRONGER = {">=": 1, ">": 1, "<=": -1, "<": -1}  # which way a target is harder: up, or down


def review_rows(ruleset: Ruleset, project: Project) -> list[dict]:
    """The rows the review reads, each {level1, level2, name, target (Measure or None), weight, source}."""
    stage_rows = (project.stage or {}).get("rows")
    if stage_rows:
        rows = []
        for row in stage_rows:
            target = None
            if row.get("target") not in (None, ""):
                target = parse_measure(row["target"], row["target_source"], "target")  # a file:line error
            weight = Decimal(str(row["weight"])) if row.get("weight") is not None else None
            rows.append({**row, "target": target, "weight": weight, "applicable": True})
        return rows
    return [{"level1": i.level1, "level2": i.level2, "name": i.label, "target": i.target,
             "weight": i.weight if i.applicable else None, "applicable": i.applicable, "source": i.source}
            for i in project.indicators]


def review(ruleset: Ruleset, project: Project) -> tuple[tuple, str | None]:
    """(the findings of the review rules, the verdict or None when the ruleset has no review rules)."""
    spec = ruleset.review_rules
    if spec is None:
        return (), None
    rows = review_rows(ruleset, project)
    stage = project.stage or {}
    section = stage.get("source") or project.source
    found: list[Finding] = []

    def add(rule, source, **values) -> None:
        severity = ruleset.checks.get(rule.name, "warning")
        if severity == "off":
            return
        shown = {key: "" for key in ("group", "row", "target", "previous", "weight", "sum")}
        shown.update({"from": format_number(rule.low) if rule.low is not None else "",
                      "to": format_number(rule.high) if rule.high is not None else ""})
        shown.update(values)
        message = rule.reason.format(**shown)
        if values.get("row"):
            message = f"{values['row']}：{message}"
        found.append(Finding(rule.name, severity, message, source))

    for rule in spec.rules:
        chosen = [r for r in rows if r["applicable"] and rule.matches(r)]
        if rule.check == "groups_covered":
            for group in rule.groups or tuple(g.name for g in ruleset.groups):
                if not any(r["level1"] == group for r in chosen):
                    add(rule, section, group=group)
        elif rule.check == "present":
            if not chosen:
                add(rule, section)
        elif rule.check == "quantified":
            for r in chosen:
                t = r["target"]
                if t is None or t.kind not in NUMERIC or t.value is None or not t.unit:
                    add(rule, r["target_source"] if "target_source" in r else r["source"], row=r["name"],
                        target=t.text if t is not None else "")
        elif rule.check == "not_below_previous":
            _previous(rule, chosen, stage, add)
        elif rule.check == "weight_range":
            for r in chosen:
                w = r["weight"]
                if w is None or (rule.low is not None and w < rule.low) or (rule.high is not None and w > rule.high):
                    add(rule, r["source"], row=r["name"], weight=format_number(w) if w is not None else "—")
        elif rule.check == "group_weight":
            for group in rule.groups or tuple(g.name for g in ruleset.groups):
                total = sum((r["weight"] or ZERO for r in chosen if r["level1"] == group), ZERO)
                if (rule.low is not None and total < rule.low) or (rule.high is not None and total > rule.high):
                    add(rule, section, group=group, sum=format_number(total))
    verdict = spec.revise if found else spec.passed
    return tuple(found), verdict


def _previous(rule, rows, stage: dict, add) -> None:
    if not stage.get("continuing"):
        return  # a new project has no last year
    previous = stage.get("previous") or {}
    actuals = previous.get("actuals") or {}
    for r in rows:
        target, text = r["target"], actuals.get(r["name"])
        if target is None or target.kind not in NUMERIC or target.value is None or text is None:
            continue
        direction = STRONGER.get(target.comparator or ">=")
        if direction is None:
            continue
        try:
            before = parse_measure(text, None, "actual")
        except TargetError:
            continue
        if before.kind != target.kind or before.value is None:
            continue
        value = before.value
        if before.unit != target.unit and before.unit and target.unit:
            value = convert(before.value, before.unit, target.unit)
            if value is None:
                continue
        if (target.value - value) * direction < 0:
            add(rule, r["target_source"] if "target_source" in r else r["source"], row=r["name"],
                target=target.text, previous=f"{text}（{previous.get('from', '')}）")
