"""projectfile: project data -> a YAML project file a person can read and edit.

Keys in the order of the bundled example, Chinese kept as written, each
budget amount with its label as a comment (comments in Chinese: the file is
the department's, whatever language the console speaks). Text is written plain where
YAML reads it back as the same text, otherwise double-quoted; ``render``
checks that the file loads back to the same data and fits the schema.
Editing a file that exists, in place: engine/forms/projectedit.py.
"""
from __future__ import annotations

from decimal import Decimal

import yaml

from engine._util import one_line
from engine.errors import InternalError
from engine.files.load import load_text
from engine.rules.targets import format_number
from engine.files.validate import schema_errors

BUDGET_COMMENTS = {
    "initial": "年初预算数", "full_year": "全年预算数", "adjusted": "调整后预算数", "executed": "全年执行数",
    "current_appropriation": "其中：当年财政拨款", "carried_over": "上年结转资金", "other": "其他资金",
    "reported_score": "表中填报的自评得分", "reported_rate": "表中填报的执行率",
}
INDICATOR_KEYS = ("level1", "level2", "name", "applicable", "note", "target", "actual", "weight",
                  "reported_score", "explanation")
PART_KEYS = ("name", "target", "actual", "weight")
TOP_KEYS = ("project", "department", "implementing_unit", "fiscal_year", "budget", "goals", "stated_weights",
            "indicators", "reported_total", "reported_grade", "stated_total")


def scalar(value, flow: bool = False) -> str:
    """One YAML scalar that the loader reads back as ``value`` (inside `{ }` or `[ ]` with ``flow``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, Decimal)):
        return format_number(Decimal(value))
    text = str(value)
    try:
        plain_ok = text == text.strip() and "\n" not in text and yaml.safe_load(text) == text
        if plain_ok and flow:
            plain_ok = yaml.safe_load(f"{{k: {text}}}") == {"k": text} and yaml.safe_load(f"[{text}]") == [text]
    except yaml.YAMLError:
        plain_ok = False
    if plain_ok and not text.startswith(("'", '"', "&", "*", "!", "|", ">", "%", "@", "`", "{", "[", "-", "?", "#")):
        return text
    return '"' + "".join(_escape(c) for c in text) + '"'


def flow_value(value, flow: bool = False) -> str:
    """``value`` as YAML on one line: a mapping or list in `{ }` or `[ ]`, a single value as ``scalar``."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{scalar(k, True)}: {flow_value(v, True)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(flow_value(v, True) for v in value) + "]"
    return scalar(value, flow)


def _escape(char: str) -> str:
    """One character inside a YAML double-quoted scalar: line breaks and other unprintables as escapes."""
    if char in '"\\':
        return "\\" + char
    if char.isprintable():
        return char
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _pair(indent: str, key: str, value, comment: str = "") -> str:
    line = f"{indent}{key}: {flow_value(value)}"
    return f"{line.ljust(24)}  # {comment}" if comment else line


def render(data: dict, header: list[str]) -> str:
    """The file's text: ``header`` lines as comments, then the data."""
    lines = [f"# {one_line(h)}" for h in header]
    for key in TOP_KEYS:
        if key not in data:
            continue
        value = data[key]
        if key == "budget":
            lines += ["", "budget:"]
            lines += [_pair("  ", k, v, BUDGET_COMMENTS.get(k, "")) for k, v in value.items()]
        elif key == "goals":
            lines += ["", "goals:                    # 年度总体目标"]
            for goal in value:
                lines.append(f"  - expected: {scalar(goal['expected'])}")
                if "achieved" in goal:
                    lines.append(f"    achieved: {scalar(goal['achieved'])}")
        elif key == "stated_weights":
            lines += ["", "stated_weights:           # 表头所列各一级指标的分值"]
            lines += [f"  {scalar(k)}: {scalar(v)}" for k, v in value.items()]
        elif key == "indicators":
            lines += ["", "indicators:               # 绩效指标：一级、二级、三级指标，年度指标值，实际完成值，分值，自评得分"]
            for row in value:
                keys = [k for k in INDICATOR_KEYS if k in row]
                lines += [f"  - {k}: {scalar(row[k])}" if i == 0 else f"    {k}: {scalar(row[k])}"
                          for i, k in enumerate(keys)]
                if row.get("parts"):  # 其中 rows, one a line
                    lines.append("    parts:")
                    lines += [f"      - {flow_value({k: p[k] for k in PART_KEYS if k in p})}" for p in row["parts"]]
        elif key == "reported_total":
            lines += ["", _pair("", key, value, "表中填报的总分")]
        elif key == "reported_grade":
            lines.append(_pair("", key, value, "表中填报的评价等级"))
        else:
            lines.append(_pair("", key, value))
    text = "\n".join(lines) + "\n"
    _check(text, data)
    return text


def _canonical(value):
    """Numbers compared by value (the loader gives int or Decimal), text as text."""
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return ("number", format_number(Decimal(value)))
    return value


def _check(text: str, data: dict, schema: bool = True) -> None:
    """The file must load back as the same data and satisfy the schema; anything else is a bug here."""
    loaded = load_text(text, "<imported project>")
    if _canonical(loaded) != _canonical(data):
        raise InternalError("the project file written does not read back as the data imported")
    problems = schema_errors(loaded, "project", "<imported project>") if schema else []
    if problems:
        raise InternalError(f"the project file written does not fit the schema: {problems[0]}")

