"""Review rules (审核规则): checks on the rows a project declares, with a verdict, as ruleset data.

Any ruleset may add a ``review_rules`` section; the target-review kind
(绩效目标申报审核, in the spirit of 财预〔2021〕101号) is built from it:

```yaml
review_rules:
  verdict: {pass: 通过, revise: 修改}   # shown as the grade; omit to keep the ruleset's grades
  rules:
    - {name: 成本指标, check: present, where: {level2: 成本指标}, reason: 未设置成本指标}
```

Each rule names one ``check`` of the engine, over the rows of the stage (a
project file's ``declaration:`` indicators) or else the project's indicators:

- ``groups_covered``: every first-level group of the framework (or those in
  ``groups``) has at least one applicable row;
- ``present``: at least one row matches ``where``;
- ``quantified``: every row matching ``where`` has a numeric target with a
  unit (``≥2.5 万亩``, ``≤1500 元/亩``, ``≥90%``);
- ``not_below_previous``: for a continuing project (``continuing: true``),
  every numeric target is not weaker than last year's actual of the row of
  the same name (a ``≥`` target not below it, a ``≤`` target not above it);
  last year's actuals come from the results store when it has the project,
  else from last year's project file;
- ``weight_range``: every row matching ``where`` weighs from ``from`` to
  ``to`` points (either may be left out);
- ``group_weight``: the rows of each first-level group in ``groups`` (all
  when left out) weigh together from ``from`` to ``to`` points.

``where`` matches a row's ``level1``, ``level2`` or ``name``: a text or a
list of texts. A rule that does not hold gives a finding named after the
rule, at the row's file:line, with the rule's ``reason`` (which may use
``{group}``, ``{row}``, ``{target}``, ``{previous}``, ``{weight}``,
``{from}``, ``{to}``); any such finding gives the ``revise`` verdict.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from engine.errors import EvalrunError, Source, raise_all
from engine.i18n import lazy, tr, tr_in
from engine.rules.named import first_of_each_name

CHECKS = ("groups_covered", "present", "quantified", "not_below_previous", "weight_range", "group_weight")
FIELD_WORDS = {"level1": lazy("review_rule.field.level1"), "level2": lazy("review_rule.field.level2"),
               "name": lazy("review_rule.field.name")}

PLACEHOLDERS = ("group", "row", "target", "previous", "weight", "from", "to", "sum")


@dataclass(frozen=True)
class ReviewRule:
    name: str
    check: str
    reason: str
    where: tuple = ()  # (field, (texts...)) pairs, all of which must match
    groups: tuple = ()
    low: Decimal | None = None
    high: Decimal | None = None
    source: Source = Source()

    def matches(self, row: dict) -> bool:
        return all(row.get(key) in texts for key, texts in self.where)

    def describe(self, language: str = "zh_CN") -> str:
        """The rule in words: Chinese for the reports, ``i18n.language()`` for the console."""
        scope = tr_in(language, "review_rule.scope_separator").join(
            tr_in(language, "review_rule.scope_item", field=FIELD_WORDS[key],
                  texts=tr_in(language, "review_rule.texts_separator").join(texts))
            for key, texts in self.where)
        low = "" if self.low is None else tr_in(language, "review_rule.at_least", points=_num(self.low))
        high = "" if self.high is None else tr_in(language, "review_rule.at_most", points=_num(self.high))
        comma = tr_in(language, "review_rule.parts_separator")
        bounds = comma.join(x for x in (low, high) if x)
        rest = ([tr_in(language, "review_rule.scope", scope=scope)] if scope else []) + ([bounds] if bounds else [])
        return tr_in(language, "review_rule.describe", name=self.name, check=CHECK_WORDS[self.check],
                     rest="".join(comma + part for part in rest))


CHECK_WORDS = {
    "groups_covered": lazy("review_rule.check.groups_covered"),
    "present": lazy("review_rule.check.present"),
    "quantified": lazy("review_rule.check.quantified"),
    "not_below_previous": lazy("review_rule.check.not_below_previous"),
    "weight_range": lazy("review_rule.check.weight_range"),
    "group_weight": lazy("review_rule.check.group_weight"),
}


@dataclass(frozen=True)
class ReviewRules:
    rules: tuple
    passed: str | None = None  # the verdicts shown as the grade, when the ruleset gives them
    revise: str | None = None
    source: Source = Source()

    @property
    def needs_previous(self) -> bool:
        return any(rule.check == "not_below_previous" for rule in self.rules)


def _num(value: Decimal) -> str:
    from engine.rules.targets import format_number

    return format_number(value)


def build_review_rules(spec, group_names: list) -> ReviewRules:
    """The ``review_rules`` section (schema-valid) as ReviewRules, every mistake with its file:line."""
    errors, rules = [], []
    specs = spec.get("rules") or []
    twice = lambda name, line: tr("review_rules.twice", name=name, line=line)  # noqa: E731
    for _, item, where in first_of_each_name(specs, errors, twice):
        name = item["name"]
        given = item.get("where") or {}
        matches = tuple((key, tuple(v) if isinstance(v, list) else (v,)) for key, v in given.items())
        if item["check"] in ("present", "quantified") and not matches:
            errors.append(EvalrunError(tr("review_rules.needs_where", name=name, check=item["check"]), where))
        groups = tuple(item.get("groups") or ())
        for k, group in enumerate(groups):
            if group not in group_names:
                errors.append(EvalrunError(tr("review_rules.group",
                    name=name, group=group, known="、".join(group_names)), item["groups"].source_of(k)))
        low = Decimal(str(item["from"])) if "from" in item else None
        high = Decimal(str(item["to"])) if "to" in item else None
        if low is not None and high is not None and low > high:
            errors.append(EvalrunError(tr("review_rules.range", name=name, low=_num(low), high=_num(high)),
                                       item.source_of("from")))
        reason = item["reason"]
        try:
            reason.format(**{key: "" for key in PLACEHOLDERS})
        except (KeyError, IndexError, ValueError) as exc:
            errors.append(EvalrunError(tr("review_rules.placeholder",
                name=name, key=str(exc).strip("'"), known="、".join("{" + p + "}" for p in PLACEHOLDERS)),
                item.source_of("reason")))
        rules.append(ReviewRule(name, item["check"], reason, matches, groups, low, high, where))
    raise_all(errors)
    verdict = spec.get("verdict") or {}
    return ReviewRules(tuple(rules), verdict.get("pass"), verdict.get("revise"), spec.source)
