"""``explain`` for a ruleset with review rules: each rule, held or not, with its file:line, then the verdict.

When the rows reviewed are a stage's (a ``declaration:`` section's), they
are listed as declared, each with its file:line, instead of the scored rows
of the file's self-evaluation table, which the review does not read.
"""
from __future__ import annotations

from engine.i18n import language, tr
from engine.model import ProjectResult


def declared_rows(result: ProjectResult) -> list[str]:
    stage = result.project.stage or {}
    kind = tr("explain.declared.continuing") if stage.get("continuing") else tr("explain.declared.new")
    out = [tr("explain.declared", stage=kind)]
    for row in stage.get("rows") or []:
        weight = tr("explain.declared.weight", weight=row["weight"]) if row.get("weight") is not None else ""
        basis = tr("explain.declared.basis", basis=row["basis"]) if row.get("basis") else ""
        out.append(tr("explain.declared.row", level1=row["level1"], level2=row["level2"], name=row["name"],
                      target=row.get("target") or tr("explain.declared.blank"), weight=weight, basis=basis,
                      source=row["source"]))
    previous = stage.get("previous")
    if stage.get("continuing"):
        if not previous:
            source = tr("explain.declared.no_previous")
        elif "run" in previous:  # the results store
            source = tr("explain.declared.from_store", year=previous["year"], run=previous["run"])
        else:  # last year's project file
            source = previous.get("from")
        out.append(tr("explain.declared.previous", source=source))
    return out + [""]


def explain_review(result: ProjectResult) -> list[str]:
    rules = result.ruleset.review_rules
    out = [tr("explain.review_rules")]
    for rule in rules.rules:
        found = [f for f in result.findings if f.check == rule.name]
        shown = dict(rule=rule.describe(language()), source=result.ruleset.provenance(rule.source))
        out.append(tr("explain.review_rule.failed", **shown) if found else tr("explain.review_rule.held", **shown))
        for finding in found:
            out.append(f"      {finding.message}   ({finding.source})")
    failed = sorted({f.check for f in result.findings if f.check in {r.name for r in rules.rules}})
    if result.verdict:
        why = tr("explain.verdict.failed", count=len(failed), rules=tr("review_rule.texts_separator").join(failed)) \
            if failed else tr("explain.verdict.all_held")
        out.append(tr("explain.verdict", verdict=result.verdict, why=why))
    return out
