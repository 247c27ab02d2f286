"""The page's words: Chinese by default, English with `--lang en`.

A small dictionary until the messages move to gettext catalogs (another
issue): the Chinese text is the key, as a catalog's msgid would be.
Templates call ``_("汇总")``. Data (project names, findings, the terms of
the 自评表) is shown as the files and the engine write it.
"""
from __future__ import annotations

LANGUAGES = ("zh", "en")

# The checks of engine/check.py in words (a check the page does not know is shown by its name).
CHECK_LABELS = {
    "spending_total": "支出明细合计不符", "execution_over_budget": "执行数超过预算", "group_weights": "一级指标分值不符",
    "total_weight": "分值合计不符", "stated_weights": "填报的分值不符", "reported_score": "自评得分与规则得分不一致",
    "reported_total": "自评总分与规则总分不一致", "reported_rows_sum": "各行得分合计与总分不符",
    "qualitative_band": "定性得分超出档次", "explanation_required": "缺少偏差原因分析",
}
STATE_CLASSES = {"已核实": "verified", "需整改": "rectify", "不适用": "na"}

EN = {
}


def state_class(review) -> str:
    """The CSS class of a finding's review state (``open`` when no one has decided)."""
    return STATE_CLASSES.get(review.state, "open") if review is not None else "open"


def translator(lang: str):
    """``_(text)``: the text in ``lang`` (the Chinese itself when there is no English for it)."""
    if lang != "en":
        return lambda text: text
    return lambda text: EN.get(text, text)
