"""chart: the geometry of the score-against-weight bar chart the HTML report draws as inline SVG.

Only numbers here; the template (report.html.j2) draws them, so its look
can change without code. One bar pair per row of the total: 预算执行率 and
each first-level group, the weight (分值) as a pale bar, the score over it.
"""
from __future__ import annotations

from decimal import Decimal

from engine.rules.targets import format_number

WIDTH = 720        # the whole drawing, in SVG user units (px at 100%)
LABEL = 170        # the left column with the names
VALUE = 110        # the right column with "65 / 65"
ROW = 34           # height of one row
BAR = 18           # thickness of a bar
TOP = 8            # space above the first row
AXIS = 26          # space below the last row, for the axis labels


def score_chart(view: dict) -> dict:
    """Bars for the view's 预算执行率 and groups, scaled to the largest weight."""
    execution = view["execution"]
    items = [(execution["name"], execution["weight"], execution["score"])]
    items += [(g["name"], g["weight"], g["score"]) for g in view["groups"]]
    largest = max((Decimal(w) for _, w, _ in items if w), default=Decimal(1)) or Decimal(1)
    span = WIDTH - LABEL - VALUE
    bars = []
    for index, (name, weight, score) in enumerate(items):
        weight, score = Decimal(weight or 0), Decimal(score or 0)
        y = TOP + index * ROW
        bars.append({
            "name": name, "weight": format_number(weight), "score": format_number(score),
            "y": y, "text_y": y + BAR / 2 + 5, "weight_width": _px(weight / largest * span),
            "score_width": _px(min(score, weight) / largest * span) if weight else 0,
            "share": format_number((score / weight * 100).quantize(Decimal("0.1"))) if weight else "",
            "full": weight > 0 and score >= weight,
        })
    plot_bottom = TOP + len(items) * ROW
    ticks = [{"x": _px(LABEL + Decimal(t) / largest * span), "label": str(t)}
             for t in range(0, int(largest) + 1, _step(largest))]
    return {"width": WIDTH, "height": plot_bottom + AXIS, "label_width": LABEL, "left": LABEL,
            "right": WIDTH - VALUE, "value_x": WIDTH - VALUE + 10, "bar": BAR, "axis_y": plot_bottom,
            "bars": bars, "ticks": ticks}


def _step(largest: Decimal) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100):
        if largest / step <= 8:
            return step
    return int(largest / 8) or 1


def _px(value) -> float:
    return float(round(Decimal(value), 1))
