"""Dates in reports as the forms print them (2025年6月30日), whatever way the file wrote them."""
from __future__ import annotations

import datetime

import pytest

from engine.outputs.render import chinese_date


@pytest.mark.parametrize("value, shown", [
    (datetime.date(2025, 6, 30), "2025年6月30日"),
    ("2025-06-30", "2025年6月30日"),
    ("2026-5-2", "2026年5月2日"),
    ("2026 年 4 月 27 日", "2026 年 4 月 27 日"),  # already the forms' way: as written
    ("2025年底", "2025年底"),
    ("", ""),
    (None, ""),
])
def test_a_date_reads_the_chinese_way(value, shown):
    assert chinese_date(value) == shown


def test_the_monitoring_report_gives_its_date_the_chinese_way(reference_workspace, run_cli):
    result = run_cli("--ruleset", "monitoring-2025", "--format", "md", "--no-db", workspace=reference_workspace)
    assert result.exit_code == 0, result.output
    report = next((reference_workspace / "reports" / "out" / "monitoring-2025" / "益阳市商务局").glob("*.md"))
    text = report.read_text(encoding="utf-8")
    assert "| 监控日期 | 2025年6月30日" in text and "2025-06-30" not in text
