"""What a kind of ruleset changes in the outputs: its templates, and its measures as plain data.

A ruleset of kind ``monitoring`` (or any kind but the self-evaluation) is
rendered with the templates named after it: ``monitoring.report.md.j2``,
``monitoring.report.html.j2``, ``monitoring.summary.md.j2``... looked up as
every template is (a department's own folder first, then the workspace's,
then the defaults). A kind without its own template of a name uses the
self-evaluation's.
"""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from engine.files.resources import data_dir
from engine.rules.targets import format_number

DEFAULT_KIND = "self-evaluation"
_INPUT_PLACES = Decimal("0.0001")  # a level table's input, as shown beside the level


def template_for(workspace: Path, kind: str, name: str) -> str:
    """The template a kind renders for ``name`` (``report.md.j2``): its own when one exists."""
    if not kind or kind == DEFAULT_KIND:
        return name
    own = f"{kind}.{name}"
    for folder in (workspace / "reports" / "templates", data_dir("templates")):
        if (folder / own).is_file():
            return own
    return name


def measures_view(result) -> dict | None:
    """The ruleset's measures for one project (engine.scoring.measures), with each indicator's stage columns."""
    measures = result.measures
    if measures is None:
        return None
    rounding = result.ruleset.rounding

    def shown(item: dict) -> dict:
        value = item["value"]
        if value is None:
            return {**item, "text": "—"}
        if item.get("format") == "percent":
            return {**item, "text": f"{format_number(rounding.apply(value * 100))}%"}
        return {**item, "text": format_number(rounding.apply(value))}

    def level(item: dict) -> dict:
        value = item["input"]
        text = "—" if value is None else format_number(value.quantize(_INPUT_PLACES) if abs(value) < 10**9 else value)
        return {**item, "input_text": text}

    stage = result.project.stage or {}
    columns = stage.get("indicators", {})
    indicators = []
    for ind, row in zip(result.project.indicators, measures.indicators):
        row = {**row, "values": {v["name"]: shown(v) for v in row["values"]},
               "levels": {lv["table"]: level(lv) for lv in row["levels"]}}
        indicators.append({**row, "name": ind.name, **{k: columns.get(ind.name, {}).get(k, "")
                                                       for k in ("likelihood", "reason", "forecast")}})
    warned = [level(lv) for lv in measures.levels if lv["level"]]
    return {
        "as_of": measures.as_of.isoformat() if measures.as_of else "",
        "time_progress": measures.time_progress,
        "time_progress_text": shown({"value": measures.time_progress, "format": "percent"})["text"],
        "values": {v["name"]: shown(v) for v in measures.values},
        "value_list": [shown(v) for v in measures.values],
        "levels": {lv["table"]: level(lv) for lv in measures.levels},
        "level_list": warned,
        "indicators": indicators,
        "explanation": stage.get("explanation", ""),
    }
