"""The target grammar: target and actual values the way staff write them.

``≥5 家``, ``7000 万美元以上``, ``增长 5.5% 以上``, ``≤990 万元``, ``及时``,
``正增长``, ``≥90%``, ``不低于 95%``, ``控制在 990 万元以内``, ``9月前``,
``同比增长 32.6%``. A text that cannot be read raises ``TargetError``
quoting it; nothing is ever read as a silent zero.

The number in a target or actual value has the range of every number in
rules and data (engine/files/load.py): at most ``MAX_DIGITS`` digits before the
decimal point and ``MAX_PLACES`` after it; anything larger or finer is
refused here, where it is read, quoting the text.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from engine.errors import EvalrunError, Source
from engine._util import quick_init
from engine.i18n import tr

MAX_DIGITS, MAX_PLACES = 15, 10  # the range of every number in rules and data; engine/files/load.py says the same

QUANTITY, GROWTH, DATE, QUALITATIVE = "quantity", "growth", "date", "qualitative"
COMPARATORS = (">=", ">", "<=", "<", "=")
SYMBOL = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "=": "="}
MAX_TEXT = 200

# Units that convert into each other, with their factor to the group's base.
UNIT_FACTORS = {
    "元": ("CNY", Decimal(1)),
    "万元": ("CNY", Decimal(10) ** 4),
    "亿元": ("CNY", Decimal(10) ** 8),
    "美元": ("USD", Decimal(1)),
    "万美元": ("USD", Decimal(10) ** 4),
    "亿美元": ("USD", Decimal(10) ** 8),
    "米": ("m", Decimal(1)),
    "公里": ("m", Decimal(1000)),
    "千米": ("m", Decimal(1000)),
}
UNIT_ALIASES = {"百分比": "%", "百分点": "%", "人民币": "元", "万": "万元", "km": "公里"}

_CHAR_MAP = str.maketrans({
    "≧": "≥", "≦": "≤", "═": "=", "〉": ">", "〈": "<", "》": ">", "《": "<",
    "～": "~", "—": "-", "－": "-", "。": "", "；": "", ";": "", "、": "",
})
_WORD_CMP = {
    "不低于": ">=", "不少于": ">=", "不小于": ">=", "达到": ">=", "至少": ">=",
    "不高于": "<=", "不超过": "<=", "不大于": "<=", "不多于": "<=", "控制在": "<=",
    "最多": "<=", "大于": ">", "高于": ">", "超过": ">", "多于": ">",
    "小于": "<", "低于": "<", "少于": "<", "等于": "=",
}
_SUFFIX_CMP = {
    "及以上": ">=", "或以上": ">=", "以上": ">=", "及以下": "<=", "或以下": "<=",
    "以下": "<=", "以内": "<=", "之内": "<=", "内": "<=", "前": "<=", "以前": "<=",
    "之前": "<=", "底前": "<=", "后": ">=", "以后": ">=",
}
_SYMBOL_CMP = {">=": ">=", "<=": "<=", "≥": ">=", "≤": "<=", ">": ">", "<": "<", "=": "=", "==": "="}
_RISE = ("同比增长", "同比增加", "同比提高", "同比上升", "增长", "增加", "提高", "提升", "上升", "增幅")
_FALL = ("同比下降", "同比减少", "同比降低", "下降", "减少", "降低", "降幅")
_FLIP = {">=": "<=", ">": "<", "<=": ">=", "<": ">", "=": "=", None: None}

_alt = lambda words: "|".join(sorted(map(re.escape, words), key=len, reverse=True))  # noqa: E731
_PATTERN = re.compile(
    rf"^(?P<cmp1>{_alt(_SYMBOL_CMP)})?"
    rf"(?P<word>{_alt(_WORD_CMP)})?"
    rf"(?P<growth>{_alt(_RISE + _FALL)})?"
    rf"(?P<cmp2>{_alt(_SYMBOL_CMP)})?"
    r"(?P<number>[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)"
    r"(?P<unit>[^\d<>=≥≤+\-~]*?)"
    rf"(?P<suffix>{_alt(_SUFFIX_CMP)})?$"
)
_DATE = re.compile(
    r"^(?P<cmp>[<>=≥≤]{1,2})?(?:(?P<year>\d{4})年)?(?P<month>\d{1,2})月(?:(?P<day>\d{1,2})[日号])?"
    rf"(?P<suffix>{_alt(_SUFFIX_CMP)})?$"
)
_UNIT_OK = re.compile(r"^(?:%|[\u4e00-\u9fffA-Za-z/·]{1,6})$")


class TargetError(EvalrunError):
    """A target or actual value that the grammar cannot read."""


@quick_init
@dataclass(frozen=True)
class Measure:
    """A parsed target or actual value.

    ``comparator`` is None for an exact value (``7983 万美元``) and for a
    bare target whose comparison the ruleset implies (``100%``).
    """

    text: str
    kind: str
    comparator: str | None = None
    value: Decimal | None = None
    unit: str = ""

    @property
    def is_qualitative(self) -> bool:
        return self.kind == QUALITATIVE

    def describe(self) -> str:
        if self.is_qualitative:
            return f"“{self.text}”"
        comparator = SYMBOL[self.comparator] if self.comparator else ""
        shown = f"{comparator}{format_number(self.value)}{self.unit}"
        if self.kind == GROWTH:
            return tr("measure.growth", value=shown)
        return tr("measure.date", value=shown) if self.kind == DATE else shown


def format_number(value: Decimal | None) -> str:
    if value is None:
        return ""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


_DIGIT, _COMPARISON = re.compile(r"\d"), re.compile(r"[<>=≥≤]")


def normalize(text: str) -> str:
    """Full-width forms to ASCII, odd comparators to standard, spaces removed."""
    text = unicodedata.normalize("NFKC", text).translate(_CHAR_MAP)
    return "".join(text.split())  # split() breaks at exactly what \s matches


def parse_measure(text, source: Source | None = None, what: str = "target", where=None) -> Measure:
    """Read one target or actual value; raise TargetError quoting it.

    Texts read once are remembered (the same ``≥90%`` recurs in thousands of
    projects); a text that cannot be read is read again, to say where: at
    ``source``, or where ``where()`` says (called only then).
    """
    if isinstance(text, str):
        try:
            return _parse_text(text)
        except TargetError:
            pass
    elif text.__class__ is int or text.__class__ is Decimal:  # a number is always read (not True/False)
        return _parse_measure(text, source, what)
    return _parse_measure(text, where() if source is None and where is not None else source, what)


@lru_cache(maxsize=8192)
def _parse_text(text: str) -> Measure:
    return _parse_measure(text, None, "target")


def _what(what: str) -> str:
    """The value's name in messages: 年度指标值, 实际完成值, else its key."""
    if what == "target":
        return tr("measure.what.target")
    if what == "actual":
        return tr("measure.what.actual")
    return what


def _parse_measure(text, source: Source | None, what: str) -> Measure:
    """``what``: "target", "actual" or a key, named in a message only (engine.i18n is not asked otherwise)."""
    if isinstance(text, bool) or text is None:
        raise TargetError(tr("measure.empty", what=_what(what)), source)
    if isinstance(text, (int, Decimal)):
        return Measure(str(text), QUANTITY, None, Decimal(text), "")
    original = str(text)
    if len(original) > MAX_TEXT:
        raise TargetError(tr("measure.too_long", what=_what(what), length=len(original), limit=MAX_TEXT), source)
    flat = normalize(original)
    if not flat:
        raise TargetError(tr("measure.empty", what=_what(what)), source)
    if flat in ("正增长", "实现正增长", "保持正增长"):
        return Measure(original, GROWTH, ">", Decimal(0), "%")
    if flat in ("负增长",):
        return Measure(original, GROWTH, "<", Decimal(0), "%")
    if not _DIGIT.search(flat):
        if _COMPARISON.search(flat):
            raise TargetError(tr("measure.no_digits", what=_what(what), text=original), source)
        return Measure(original, QUALITATIVE)
    date = _DATE.match(flat)
    if date:
        return _date_measure(original, date, source, what)
    match = _PATTERN.match(flat)
    if not match:
        raise TargetError(_unreadable(original, what), source)
    comparator = _one_comparator(original, match, source, what)
    digits = match["number"].replace(",", "")
    whole, _, places = digits.lstrip("+-").partition(".")
    if len(whole.lstrip("0")) > MAX_DIGITS:  # before Decimal(): a 10,000-digit text is refused as text
        raise TargetError(tr("measure.too_many_digits", what=_what(what), text=_short(original), limit=MAX_DIGITS),
                          source)
    if len(places) > MAX_PLACES:
        raise TargetError(tr("measure.too_many_places", what=_what(what), text=_short(original), limit=MAX_PLACES),
                          source)
    try:
        value = Decimal(digits)
    except InvalidOperation:  # pragma: no cover - the regex admits only numbers
        raise TargetError(_unreadable(original, what), source) from None
    unit = UNIT_ALIASES.get(match["unit"], match["unit"])
    if unit and not _UNIT_OK.match(unit):
        raise TargetError(tr("measure.bad_unit", unit=match["unit"], what=_what(what), text=original), source)
    kind = QUANTITY
    if match["growth"]:
        kind = GROWTH
        if match["growth"] in _FALL:
            value, comparator = -value, _FLIP[comparator]
    return Measure(original, kind, comparator, value, unit)


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."


def _one_comparator(original, match, source, what) -> str | None:
    cmp1, word, cmp2, suffix = match.group("cmp1", "word", "cmp2", "suffix")
    if not (word or cmp2 or suffix):  # nearly every value: one symbol in front, or none
        return _SYMBOL_CMP.get(cmp1) if cmp1 else None
    found = [_SYMBOL_CMP.get(cmp1 or ""), _WORD_CMP.get(word or ""), _SYMBOL_CMP.get(cmp2 or ""),
             _SUFFIX_CMP.get(suffix or "")]
    found = [c for c in found if c]
    if len(set(found)) > 1:
        raise TargetError(
            tr("measure.two_comparisons", what=_what(what), text=original,
               found=tr("measure.and").join(SYMBOL[c] for c in found)),
            source,
        )
    return found[0] if found else None


def _date_measure(original, match, source, what) -> Measure:
    month = int(match["month"])
    day = int(match["day"]) if match["day"] else None
    if not 1 <= month <= 12 or (day is not None and not 1 <= day <= 31):
        raise TargetError(tr("measure.not_a_date", what=_what(what), text=original), source)
    comparator = _SYMBOL_CMP.get(match["cmp"] or "") or _SUFFIX_CMP.get(match["suffix"] or "")
    # month.day as one number: "9月前" is by the end of September (9.31).
    if day is None:
        day = 31 if comparator in ("<=", "<") else 0
    return Measure(original, DATE, comparator, Decimal(month) + Decimal(day) / 100, "月")


def _unreadable(original: str, what: str) -> str:
    return tr("measure.unreadable", what=_what(what), text=original)


def convert(value: Decimal, from_unit: str, to_unit: str) -> Decimal | None:
    """``value`` in ``from_unit`` expressed in ``to_unit``; None if they differ in kind."""
    if from_unit == to_unit or not from_unit or not to_unit:
        return value
    a, b = UNIT_FACTORS.get(from_unit), UNIT_FACTORS.get(to_unit)
    if a and b and a[0] == b[0]:
        return value * a[1] / b[1]
    return None


def compare(left: Decimal, comparator: str, right: Decimal) -> bool:
    return {
        ">=": left >= right, ">": left > right, "<=": left <= right,
        "<": left < right, "=": left == right,
    }[comparator]


def bound_within(actual_cmp: str, actual: Decimal, target_cmp: str, target: Decimal) -> bool:
    """Does every value the actual bound allows meet the target?

    ``≥90%`` reported against ``≥90%`` meets it; ``≤990`` against ``≤990``
    too; ``≥80%`` against ``≥90%`` does not.
    """
    if actual_cmp == "=":
        return compare(actual, target_cmp, target)
    if target_cmp in (">=", ">") and actual_cmp in (">=", ">"):
        return actual > target or (actual == target and (target_cmp == ">=" or actual_cmp == ">"))
    if target_cmp in ("<=", "<") and actual_cmp in ("<=", "<"):
        return actual < target or (actual == target and (target_cmp == "<=" or actual_cmp == "<"))
    return False
