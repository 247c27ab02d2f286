"""The column-width search of printed sheets (engine/outputs/xlsxprint.py): its shortcuts give what the
plain search gives, and a year's 汇总 of thousands of rows is sized in time linear in its rows."""
from __future__ import annotations

import random

import pytest

from engine.outputs.xlsxlayout import COLUMNS
from engine.outputs.xlsxprint import MIN_SCALE, PAGE_HEIGHT, PAGE_WIDTH, SAMPLE_ROWS, _Sizer

WORDS = ["资金", "预算执行率", "项目", "完成", "（65分）", "≥95%", "100 人次", "偏差原因分析及改进措施", "按时", "Q3",
         "产出指标", "社会效益指标", "满意度", "2025年12月31日", "万元"]


def table(rows: int, seed: int, merged: bool = True) -> list:
    """Cells (top, bottom, left, right, text, is a label) of a sheet like evalrun's: a row of labels and
    numbers, some cells merged over columns, a few over rows."""
    rng = random.Random(seed)
    cells = []
    for row in range(3, 3 + rows):
        column = 1
        while column <= len(COLUMNS):
            span = rng.choice([1, 1, 1, 2]) if merged else 1
            right = min(len(COLUMNS), column + span - 1)
            text = "".join(rng.choice(WORDS) for _ in range(rng.randint(1, 6)))
            cells.append((row, row, column, right, text, rng.random() < 0.7))
            column = right + 1
    if merged and rows > 4:
        cells.append((3, 4, 1, 1, "".join(rng.choice(WORDS) for _ in range(8)), True))
    return cells


def plain_search(sizer: _Sizer, landscape: bool = False) -> dict:
    """choose() without its shortcuts: every budget, each tried height measured whole."""
    page_px, page_height = PAGE_WIDTH[landscape], PAGE_HEIGHT[landscape]
    n = len(COLUMNS)
    page = int((page_px - 5 * n) / 7)
    widths = dict(sizer.least)
    current = sizer.total(widths)
    first = None
    for budget in range(page, int(page / MIN_SCALE) + 1, 4):
        current = sizer._grow(widths, budget, current)
        candidate = sizer._filled(widths, budget)
        first = first or candidate
        scale = min(1.0, page_px / (7 * sum(candidate.values()) + 5 * n))
        if sizer.total(candidate) * scale <= page_height:
            return candidate
    return first


@pytest.mark.parametrize("seed", range(12))
def test_measuring_one_column_again_gives_the_whole_measure(seed):
    rng = random.Random(seed)
    sizer = _Sizer(table(rng.randint(1, 30), seed))
    for _ in range(40):
        widths = {c: rng.randint(sizer.least[c], sizer.least[c] + 12) for c in sizer.least}
        base = sizer._base(widths)
        column = rng.choice(list(widths))
        wider = widths[column] + rng.randint(1, 8)
        assert sizer._total_with(base, widths, column, wider) == sizer.total({**widths, column: wider})


@pytest.mark.parametrize("rows", [5, 20, 40, 60, 120])
def test_the_width_search_gives_what_trying_every_budget_gives(rows):
    for seed in range(3):
        cells = table(rows, seed)
        assert _Sizer(cells).choose(PAGE_WIDTH[False], PAGE_HEIGHT[False], 0) == plain_search(_Sizer(cells))


def test_a_long_sheet_is_sized_from_a_sample_that_stands_for_it():
    """Rows that repeat a short table's rows give the short table's widths: the sample sees every kind of row."""
    short = table(20, 3, merged=False)
    long = [(top + 20 * k, bottom + 20 * k, left, right, text, label)
            for k in range(SAMPLE_ROWS // 20 * 5) for (top, bottom, left, right, text, label) in short]
    widths = _Sizer(long).choose(PAGE_WIDTH[True], PAGE_HEIGHT[True], 0)
    assert widths == plain_search(_Sizer(short * 1), landscape=True) or \
        sum(widths.values()) == sum(plain_search(_Sizer(short), landscape=True).values())
    sizer = _Sizer(long)
    assert all(widths[c] >= sizer.least[c] for c in widths)


def test_a_long_summary_is_sized_from_its_sample():
    """Linear in the rows: the sample's search is bounded, the rest is one measure of each cell."""
    sizer = _Sizer(table(2_000, 5, merged=False))
    widths = sizer.choose(PAGE_WIDTH[True], PAGE_HEIGHT[True], 0)
    assert all(sizer.least[c] <= widths[c] <= max(sizer.least[c], sizer.most[c]) + 140 for c in widths)
    assert not sizer.lines  # the whole sheet was not measured at the widths tried, only its sample


@pytest.mark.parametrize("seed", range(6))
def test_the_narrowest_column_for_a_label_is_the_first_width_giving_two_lines(seed):
    """_least_width starts its search past widths that cannot hold the label in two lines: the same answer."""
    from engine.outputs import textfit
    from engine.outputs.xlsxprint import _least_width

    rng = random.Random(seed)
    for _ in range(200):
        label = " ".join("".join(rng.choice(WORDS) for _ in range(rng.randint(1, 4))) for _ in range(rng.randint(1, 3)))
        if rng.random() < 0.2:
            label = label.replace(" ", "\n", 1)
        longest = max(textfit.width(line) for line in label.split("\n"))
        if longest <= 10:
            continue
        least = textfit.longest_unbreakable(label) + 1  # the plain search
        while textfit.line_count(label, least - 1) > 2:
            least += 1
        assert _least_width(label) == least
