"""``explain`` for a ruleset with review rules: each rule, held or not, with its file:line, then the verdict.

When the rows reviewed are a stage's (a ``declaration:`` section's), they
are listed as declared, each with its file:line, instead of the scored rows
of the file's self-evaluation table, which the review does not read.
"""
from __future__ import annotations

from engine.model import ProjectResult


def declared_rows(result: ProjectResult) -> list[str]:
    stage = result.project.stage or {}
    out = [f"申报的绩效指标（{'延续项目' if stage.get('continuing') else '新增项目'}）："]
    for row in stage.get("rows") or []:
        weight = f"，分值 {row['weight']}" if row.get("weight") is not None else ""
        basis = f"，依据：{row['basis']}" if row.get("basis") else ""
        out.append(f"  {row['level1']} / {row['level2']} / {row['name']}：{row.get('target') or '（未填）'}"
                   f"{weight}{basis}   ({row['source']})")
    previous = stage.get("previous")
    if stage.get("continuing"):
        out.append(f"  上年实际完成值取自：{previous.get('from') if previous else '无'}")
    return out + [""]


def explain_review(result: ProjectResult) -> list[str]:
    rules = result.ruleset.review_rules
    out = ["审核规则："]
    for rule in rules.rules:
        found = [f for f in result.findings if f.check == rule.name]
        mark = "不符合" if found else "符合"
        out.append(f"  [{mark}] {rule.describe()}   ({result.ruleset.provenance(rule.source)})")
        for finding in found:
            out.append(f"      {finding.message}   ({finding.source})")
    failed = sorted({f.check for f in result.findings if f.check in {r.name for r in rules.rules}})
    if result.verdict:
        why = f"{len(failed)} 条审核规则不符合：{'、'.join(failed)}" if failed else "各条审核规则均符合"
        out.append(f"审核意见 {result.verdict}：{why}")
    return out
