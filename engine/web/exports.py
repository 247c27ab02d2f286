"""The 汇总 as a CSV file, with the review state of every finding: one line per finding (one per project
without findings), in the order and with the filters of the page. UTF-8 with a BOM, so that Excel opens
the Chinese text as such; a text Excel would run as a formula is written with a leading ``'``.
"""
from __future__ import annotations

import csv
import io
import re

from engine.outputs.summary import FAILED
from engine.rules.targets import format_number

HEADER = ["部门", "项目", "项目文件", "执行率", "总分", "等级", "上年得分", "预算建议", "审核提示级别", "检查",
          "审核提示", "位置", "审核状态", "审核意见", "审核人", "审核时间", "审核记录条数"]
_NUMBER = re.compile(r"^-?\d+(\.\d+)?%?$")


def cell(value) -> str:
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "@", "\t", "\r") or (text[:1] == "-" and not _NUMBER.match(text)):
        return "'" + text
    return text


def summary_csv(rows, history: dict, previous: dict) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for row in rows:
        e = row.entry
        before = previous.get((e.department, e.project))
        head = [e.department, e.project, e.file, e.rate_text, format_number(e.total) if e.total is not None else "",
                FAILED if e.failed else e.grade, format_number(before.total) if before else "", e.advice]
        if e.failed:
            for error in e.errors:
                writer.writerow([cell(v) for v in head + ["error", "", error, "", "", "", "", "", ""]])
            continue
        if not e.findings:
            writer.writerow([cell(v) for v in head + [""] * 9])
        for ref in e.findings:
            reviews = history.get(ref.key, [])
            last = reviews[-1] if reviews else None
            where = f"{ref.file}:{ref.line}" if ref.line else ref.file
            writer.writerow([cell(v) for v in head + [
                ref.severity, ref.check, ref.message, where, last.state if last else "未审核",
                last.comment if last else "", last.reviewer if last else "",
                last.when.strftime("%Y-%m-%d %H:%M") if last else "", len(reviews)]])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
