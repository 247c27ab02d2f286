"""Which method scores a row, whether its target was met, and which point of a band it earns.

These are the rules the generated scorer (engine.scoring.scorer_codegen) calls:
``route_key`` and ``choose`` pick a row's method and the comparison its
target is read with; ``numeric`` compares an actual value with a numeric
target (the generated code inlines the common case: same kind, same unit,
no bound); ``level`` finds a qualitative row's level; ``point`` the
fraction of the weight inside the level's band. Mistakes in a row are
raised here as EvalrunError with the row's file:line. How each outcome was
reached comes back as a small code (``HOW_*``) that only a tracer turns into
words (engine.scoring.trace), so scoring without a trace makes no text.
"""
from __future__ import annotations

import operator
from decimal import Decimal

from engine.errors import EvalrunError, did_you_mean
from engine.i18n import tr
from engine.model import Indicator, Method, Ruleset
from engine.rules.targets import (
    DATE, GROWTH, QUALITATIVE, QUANTITY, UNIT_FACTORS, Measure, bound_within, convert, format_number, normalize,
)

# (from unit, to unit) -> the factors targets.convert multiplies and divides by.
CONVERSIONS = {(a, b): (UNIT_FACTORS[a][1], UNIT_FACTORS[b][1])
               for a in UNIT_FACTORS for b in UNIT_FACTORS if a != b and UNIT_FACTORS[a][0] == UNIT_FACTORS[b][0]}
COMPARE = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "=": operator.eq}
# How a qualitative row's level was found.
HOW_CHOSEN, HOW_NUMERIC, HOW_WORDS, HOW_MISSED, HOW_ACHIEVED, HOW_SAME_TEXT = range(6)
# How a point inside the band was picked.
POINT_FIXED, POINT_REPORTED, POINT_RULE = range(3)


class Words:
    """A ruleset's word lists, normalised once."""

    def __init__(self, ruleset: Ruleset):
        self.ruleset = ruleset
        targets = ruleset.targets
        self.achieved = frozenset(normalize(w) for w in targets.achieved_words)
        self.missed = frozenset(normalize(w) for w in targets.missed_words)
        self.levels = {name: tuple(frozenset(normalize(w) for w in level.words) for level in method.levels)
                       for name, method in ruleset.methods.items()}
        # For each qualitative method, word -> (met, level, HOW_*) as ``level`` decides for a qualitative
        # target without a chosen level: a level's own words first, then missed words, then achieved words.
        self.by_word = {}
        for name, method in ruleset.methods.items():
            if method.kind != "qualitative":
                continue
            top, bottom = method.levels[0], method.levels[-1]
            found = {w: (True, top, HOW_ACHIEVED) for w in self.achieved}
            found.update({w: (False, bottom, HOW_MISSED) for w in self.missed})
            for lv, level_words in reversed(list(zip(method.levels, self.levels[name]))):
                found.update({w: (lv is top, lv, HOW_WORDS) for w in level_words})
            self.by_word[name] = found
        self._flat: dict = {}
        self.flat_get = self._flat.get

    def flat(self, text: str) -> str:
        found = self._flat.get(text)
        if found is None:
            if len(self._flat) > 4096:
                self._flat.clear()
            found = self._flat[text] = normalize(text)
        return found


# ---------------------------------------------------------------- method


def comparator_of(ruleset: Ruleset, target: Measure) -> str:
    """The comparison a numeric target is scored with (a bare `100%` reads as the ruleset says)."""
    comparator = target.comparator or ruleset.targets.bare_comparator
    if comparator == "=" and ruleset.targets.equal_as != "=":
        comparator = ruleset.targets.equal_as
    return comparator


def route_key(ind: Indicator) -> tuple:
    """What a row's method and judging depend on; rows with equal keys share one compiled route."""
    target = ind.target
    return ind.method, target.kind, target.comparator


def choose(ruleset: Ruleset, ind: Indicator):
    """(method, comparator, "numeric" or "level") for a row; raises for a row no method scores."""
    target = ind.target
    if target.kind == "judged" or (ind.method and ruleset.methods[ind.method].kind == "judged"):
        return _judged_method(ruleset, ind), None, "judged"
    if ind.method:
        method = ruleset.methods[ind.method]
    else:
        if target.kind == QUALITATIVE:
            key = "qualitative"
        elif target.kind == DATE:
            # A deadline has no meaningful ratio: met is the top level, missed needs a level.
            key = "date" if "date" in ruleset.method_for else "qualitative"
        else:
            key = comparator_of(ruleset, target)
        name = ruleset.method_for.get(key)
        if name is None:
            raise EvalrunError(
                tr("judge.no_method_for", label=ind.label, key=key),
                ind.sources.get("target", ind.source),
            )
        method = ruleset.methods[name]
    comparator = None if target.kind == QUALITATIVE else comparator_of(ruleset, target)
    if target.kind == QUALITATIVE or method.kind == "qualitative":
        if method.kind != "qualitative":
            raise EvalrunError(
                tr("judge.qualitative_target_quantitative_method", label=ind.label, target=target.text,
                   method=method.name),
                ind.sources.get("method", ind.sources.get("target", ind.source)),
            )
        return method, comparator, "level"
    return method, comparator, "numeric"


def _judged_method(ruleset: Ruleset, ind: Indicator):
    """The method of a row an evaluator scores (专家评分): its own, else method_for `judged`."""
    name = ind.method or ruleset.method_for.get("judged")
    method = ruleset.methods.get(name) if name else None
    if method is None or method.kind != "judged" or ind.target.kind != "judged":
        raise EvalrunError(tr("judge.judged_method", label=ind.label),
                           ind.sources.get("method", ind.sources.get("score", ind.source)))
    return method


# ---------------------------------------------------------------- numeric targets


def numeric(words: Words, ind: Indicator, comparator: str):
    """(met, the actual value in the target's terms) for a numeric target."""
    target, actual = ind.target, ind.actual
    kind = actual.kind
    if kind == QUALITATIVE:
        if words.flat(actual.text) in words.achieved:
            return True, target.value  # `完成` against a number: as reached
        raise EvalrunError(
            tr("judge.actual_in_words", label=ind.label, actual=actual.text, target=target.text,
               example=f"{format_number(target.value)}{target.unit}"),
            ind.sources.get("actual", ind.source),
        )
    value = actual.value
    if kind != target.kind or (actual.unit != target.unit and actual.unit and target.unit):
        value = in_target_terms(ind)
    if actual.comparator and actual.comparator != "=":
        if words.ruleset.targets.repeated_actual == "unjudged" and repeats_target(ind):
            raise EvalrunError(
                tr("judge.actual_repeats_target", label=ind.label, actual=actual.text, target=target.text,
                   example=f"{format_number(target.value)}{target.unit}"),
                ind.sources.get("actual", ind.source),
            )
        return bound_within(actual.comparator, value, comparator, target.value), value
    return COMPARE[comparator](value, target.value), value


def repeats_target(ind: Indicator) -> bool:
    """Whether a row's actual value only repeats its numeric target's bound (`≥50 个` under `≥50 个`)."""
    target, actual = ind.target, ind.actual
    if target is None or actual is None or QUALITATIVE in (target.kind, actual.kind):
        return False
    if not actual.comparator or actual.comparator == "=":
        return False  # a value reached, not a bound
    if not any(c.isdigit() for c in target.text):
        return False  # a bound in words (`正增长`): the words are the value reached
    if normalize(actual.text) == normalize(target.text):
        return True
    if actual.kind != target.kind or actual.comparator != (target.comparator or actual.comparator):
        return False
    value = convert(actual.value, actual.unit or target.unit, target.unit or actual.unit)
    return value is not None and value == target.value


def in_target_terms(ind: Indicator) -> Decimal:
    """The actual value in the target's unit; an error when it is of another kind or unit."""
    target, actual = ind.target, ind.actual
    kind = actual.kind
    if kind == target.kind:
        factors = CONVERSIONS.get((actual.unit, target.unit))
        if factors is not None:
            return actual.value * factors[0] / factors[1]  # as targets.convert computes it
    if target.kind == GROWTH and kind == QUANTITY and actual.unit in ("%", ""):
        kind = GROWTH  # `32.6%` against `增长 5.5% 以上` is the growth rate
    if kind != target.kind:
        words = {QUANTITY: tr("judge.kind.quantity"), GROWTH: tr("judge.kind.growth"), DATE: tr("judge.kind.date")}
        raise EvalrunError(
            tr("judge.kind_mismatch", label=ind.label, target=target.text, target_kind=words[target.kind],
               actual=actual.text, actual_kind=words[kind]),
            ind.sources.get("actual", ind.source),
        )
    unit = actual.unit or target.unit
    value = convert(actual.value, unit, target.unit)
    if value is None:
        raise EvalrunError(
            tr("judge.unit_mismatch", label=ind.label, actual=actual.text, unit=unit, target=target.text,
               target_unit=target.unit),
            ind.sources.get("actual", ind.source),
        )
    return value


# ---------------------------------------------------------------- qualitative levels


def level(words: Words, method: Method, ind: Indicator):
    """(met, level, HOW_*, the actual value when a numeric target decided) for a qualitative method."""
    levels = method.levels
    if ind.level:
        for found in levels:
            if found.name == ind.level:
                return found is levels[0], found, HOW_CHOSEN, None
        raise EvalrunError(
            tr("judge.unknown_level", label=ind.label, level=ind.level, method=method.name,
               suggestion=did_you_mean(ind.level, [lv.name for lv in levels]),
               levels=", ".join(lv.name for lv in levels)),
            ind.sources.get("level", ind.source),
        )
    target, actual = ind.target, ind.actual
    if target.kind != QUALITATIVE:
        # A numeric target scored by levels: reaching it is the top level.
        comparator = comparator_of(words.ruleset, target)
        met, value = numeric(words, ind, comparator)
        if met:
            return True, levels[0], HOW_NUMERIC, value
        raise EvalrunError(
            tr("judge.not_reached", label=ind.label, target=target.text,
               reason=numeric_reason(ind, comparator, met, value), levels=", ".join(lv.name for lv in levels)),
            ind.sources.get("actual", ind.source),
        )
    flat = words.flat(actual.text)
    for found, level_words in zip(levels, words.levels[method.name]):
        if flat in level_words:
            return found is levels[0], found, HOW_WORDS, None
    if flat in words.missed:
        return False, levels[-1], HOW_MISSED, None
    if flat in words.achieved:
        return True, levels[0], HOW_ACHIEVED, None
    if actual.kind != QUALITATIVE:
        raise EvalrunError(
            tr("judge.target_words_actual_number", label=ind.label, target=target.text, actual=actual.text),
            ind.sources.get("target", ind.source),
        )
    if flat == words.flat(target.text):
        return True, levels[0], HOW_SAME_TEXT, None
    raise EvalrunError(
        tr("judge.level_unknown", label=ind.label, actual=actual.text, target=target.text,
           levels=", ".join(lv.name for lv in levels)),
        ind.sources.get("actual", ind.source),
    )


def point(method: Method, found, ind: Indicator, weight: Decimal):
    """(the fraction of the weight a qualitative row earns inside its level's band, POINT_*)."""
    if found.fixed is not None:
        return found.fixed, POINT_FIXED
    reported = ind.reported_score
    if reported is not None and weight:
        fraction = reported / weight
        if found.low <= fraction <= found.high:
            return fraction, POINT_REPORTED
    rule = method.point
    if rule == "top":
        return found.high, POINT_RULE
    if rule == "bottom":
        return found.low, POINT_RULE
    return (found.low + found.high) / 2, POINT_RULE


def band(found) -> tuple:
    """(low, high, name) of the level a row's score must lie in, as fractions of the weight."""
    if found.fixed is not None:
        return found.fixed, found.fixed, found.name
    return found.low, found.high, found.name


# ---------------------------------------------------------------- words, for traces and messages


def numeric_reason(ind: Indicator, comparator: str, met: bool, value: Decimal) -> str:
    target, actual = ind.target, ind.actual
    if actual.kind == QUALITATIVE:
        return tr("judge.reason.actual_says_reached", actual=actual.text)
    scored = Measure(target.text, target.kind, comparator, target.value, target.unit).describe()
    if actual.comparator and actual.comparator != "=":
        if met:
            return tr("judge.reason.within", actual=actual.describe(), target=scored)
        return tr("judge.reason.not_within", actual=actual.describe(), target=scored)
    shown = f"{format_number(value)}{target.unit}"
    return tr("judge.reason.meets", value=shown, target=scored) if met else \
        tr("judge.reason.misses", value=shown, target=scored)


def level_reason(ind: Indicator, method: Method, found, how: int, comparator, value) -> str:
    text = ind.actual.text
    if how == HOW_CHOSEN:
        return tr("judge.level.chosen", level=found.name)
    if how == HOW_NUMERIC:
        return tr("judge.level.numeric", reason=numeric_reason(ind, comparator, True, value), level=found.name)
    if how == HOW_WORDS:
        return tr("judge.level.words", actual=text, level=found.name)
    if how == HOW_MISSED:
        return tr("judge.level.missed", actual=text, level=found.name)
    if how == HOW_ACHIEVED:
        return tr("judge.level.achieved", actual=text, level=found.name)
    return tr("judge.level.same_text", actual=text, level=found.name)


def point_reason(method: Method, found, how: int, ind: Indicator) -> str:
    if how == POINT_FIXED:
        return tr("judge.point.fixed", level=found.name, point=format_number(found.fixed))
    band = dict(level=found.name, low=found.low, high=found.high)
    if how == POINT_REPORTED:
        return tr("judge.point.reported", score=format_number(ind.reported_score), **band)
    if method.point == "bottom":
        return tr("judge.point.bottom", **band)
    if method.point == "middle":
        return tr("judge.point.middle", **band)
    return tr("judge.point.top", **band)
