"""Kinds of ruleset: the stage of the budget year a ruleset rules, and the sections every ruleset may add.

A ruleset says its ``kind`` (DESIGN.md, "Kinds of ruleset"):

- ``self-evaluation`` (项目支出绩效自评, the default): the 自评表 after the year;
- ``target-review`` (绩效目标申报表审核): the targets filed with the budget, reviewed;
- ``monitoring`` (双监控): spending and target progress as of a date, with 预警;
- ``evaluation`` (部门评价 / 财政评价, 财预〔2020〕10号 附件1): 决策/过程/产出/效益.

Nothing here scores: a kind chooses the templates and the project data its
stage needs; every capability it uses (rules on the total, dates, level
tables, review rules) is built for every ruleset from its own section, here,
and applied in engine.scoring.
"""
from __future__ import annotations

from engine.rules.measures import build_measures
from engine.rules.review_rules import build_review_rules
from engine.rules.table import build_table
from engine.rules.totals import build_total_rules

KINDS = {
    "self-evaluation": "项目支出绩效自评",
    "target-review": "绩效目标申报审核",
    "monitoring": "绩效运行监控（双监控）",
    "evaluation": "绩效评价（决策/过程/产出/效益）",
}
DEFAULT_KIND = "self-evaluation"


def kind_fields(data) -> dict:
    """The Ruleset fields read from a resolved, schema-valid ruleset's sections beyond the scoring core."""
    fields = {"kind": data.get("kind", DEFAULT_KIND)}
    if data.get("total_rules"):
        fields["total_rules"] = build_total_rules(data["total_rules"])
    fields["measures"] = build_measures(data)
    if data.get("indicator_table"):
        fields["indicator_table"] = build_table(data["indicator_table"], data.get("framework") or [])
    if data.get("review_rules"):
        fields["review_rules"] = build_review_rules(data["review_rules"], [g["name"] for g in data.get("framework") or []])
    return fields
