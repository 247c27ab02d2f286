"""`evalrun serve` in a real browser: Playwright driving the machine's Chromium against `evalrun serve`.

One server (the real command, in its own process, on 127.0.0.1 and a free
port) and one browser for the module; the tests run in order, as a reviewer
would: the year, a filter, a project and a score's trace, a review, a
returned form confirmed, a broken one refused. Each step is photographed;
with EVALRUN_UPDATE_SCREENSHOTS=1 the pictures replace those in docs/ that
the README shows.

Playwright cannot download its own browsers here: it drives Debian's
`chromium` (apt-get install chromium, as .ci/run does). Without Playwright or
Chromium the tests are skipped with the reason; under CI (CI=true) they fail.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REFERENCE_PROJECT, REPO
from tests.web_support import FARM_PROJECT, THIRD_PROJECT, changed_form, exported_form, reference_path, review_workspace

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
SCREENSHOTS = REPO / "docs"
VIEWPORT = {"width": 1280, "height": 800}


def _unavailable(reason: str):
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"the browser tests of evalrun serve cannot run under CI: {reason}", pytrace=False)
    pytest.skip(f"no browser for the tests of evalrun serve: {reason}")


def _chromium() -> str | None:
    for candidate in (os.environ.get("EVALRUN_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    return review_workspace(tmp_path_factory.mktemp("browser") / "ws")


@pytest.fixture(scope="module")
def server(workspace):
    """`evalrun serve` in its own process; its address."""
    process = subprocess.Popen(
        [sys.executable, "-m", "engine.cli", "serve", "--no-browser", "--ruleset", "2025",
         "--db", str(workspace / "evalrun.db"), "--workspace", str(workspace)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
        env={k: v for k, v in os.environ.items() if not k.startswith("EVALRUN_")})
    line = process.stdout.readline()
    match = re.search(r"http://127\.0\.0\.1:\d+/", line)
    if not match:
        process.kill()
        pytest.fail(f"evalrun serve did not print its address: {line!r} {process.communicate(timeout=10)}")
    yield match.group(0)
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed (pip install playwright)")
    executable = _chromium()
    if executable is None:
        _unavailable("Chromium is not installed (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def page(browser, server):
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.base = server
    page.elsewhere, page.console_errors = [], []

    def refuse(route):  # the page must work offline: nothing may be fetched from another address
        page.elsewhere.append(route.request.url)
        route.abort()

    context.route(re.compile(r"^(?!" + re.escape(server) + ")"), refuse)
    page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text))
    yield page
    context.close()


@pytest.fixture(scope="module")
def form(workspace, tmp_path_factory) -> Path:
    return exported_form(workspace, tmp_path_factory.mktemp("forms"))


def photograph(page, name: str, tmp_path: Path, **options) -> None:
    """A picture of the page: in docs/ with EVALRUN_UPDATE_SCREENSHOTS=1, else only made (and checked)."""
    folder = SCREENSHOTS if os.environ.get("EVALRUN_UPDATE_SCREENSHOTS") == "1" else tmp_path
    path = folder / f"serve-{name}.png"
    page.screenshot(path=str(path), **options)
    assert path.stat().st_size > 10_000


def summary_projects(page) -> list[str]:
    return page.locator("#summary tbody tr td:nth-child(3) a").all_inner_texts()


def test_the_year_and_a_filter_by_grade(page, tmp_path):
    page.goto(page.base)
    assert page.url == page.base + "y/2025/"
    assert page.locator("h1").inner_text() == "2025 年度项目支出绩效评价汇总"
    assert sorted(summary_projects(page)) == sorted([REFERENCE_PROJECT, FARM_PROJECT, THIRD_PROJECT])
    photograph(page, "year", tmp_path, full_page=True)
    with page.expect_navigation():
        page.select_option("select[name=grade]", "良")  # applies at once (engine/web/static/app.js)
    assert "grade=" in page.url
    assert summary_projects(page) == [THIRD_PROJECT]
    assert page.locator("#summary tbody td.grade").all_inner_texts() == ["良"]


def test_a_score_opens_its_trace_with_its_formula(page, tmp_path):
    page.goto(page.base + "y/2025/")
    page.get_by_role("link", name=REFERENCE_PROJECT).click()
    assert page.locator("h1").inner_text() == REFERENCE_PROJECT
    trace = page.locator("#trace-0")
    assert not trace.is_visible()
    page.locator("#scores").get_by_role("link", name="预算执行率", exact=True).click()
    trace.wait_for(state="visible")
    assert trace.locator(".result .score").inner_text() == "5.53"
    assert trace.locator("code.formula").inner_text() == "weight * min(rate, 1)"
    assert "rulesets/2025/ruleset.yaml:33:10" in trace.inner_text()
    photograph(page, "trace", tmp_path)
    page.locator("#trace-0 a.close").click()
    trace.wait_for(state="hidden")
    page.locator("table.form a.trace-link", has_text="5.53").click()  # the score in the 自评表 opens it too
    trace.wait_for(state="visible")


def test_a_finding_marked_reviewed_is_in_the_summary_after_a_reload(page, tmp_path):
    page.goto(page.base + "y/2025/")
    page.get_by_role("link", name=FARM_PROJECT).click()
    first = page.locator("article.finding").first
    first.get_by_label("已核实").check()
    first.locator("textarea[name=comment]").fill("已与档次依据核对")
    first.locator("input[name=reviewer]").fill("李审核")
    with page.expect_navigation():
        first.get_by_role("button", name="保存审核结论").click()
    assert "已保存审核结论：已核实（李审核）" in page.locator("p.flash").inner_text()
    assert first.locator(".state-verified").inner_text() == "已核实"
    assert "李审核：已核实 — 已与档次依据核对" in first.locator("ol.history").inner_text()
    page.goto(page.base + "y/2025/")
    page.reload()
    row = page.locator("#summary tbody tr", has_text=FARM_PROJECT)
    assert row.locator(".state-verified").inner_text() == "已核实"
    assert "李审核：已与档次依据核对" in row.inner_text()
    assert row.locator("td.review").inner_text().startswith("1/4")
    photograph(page, "review", tmp_path)


def test_an_edited_form_is_previewed_then_confirmed_and_scored_again(page, workspace, form, tmp_path):
    page.goto(page.base + "y/2025/import")
    page.set_input_files("input[type=file]", files=[{
        "name": "商务局返回.xlsx", "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "buffer": changed_form(form, {"F13": "15 家", "I13": "多引进 3 家"})}])
    with page.expect_navigation():
        page.get_by_role("button", name="预览").click()
    changes = page.locator("table.changes")
    assert f"商务局返回.xlsx!{REFERENCE_PROJECT}!F13" in changes.inner_text()
    assert "12 家" in changes.inner_text() and "15 家" in changes.inner_text()
    assert "    actual: 12 家\n" in reference_path(workspace).read_text("utf-8")  # not yet
    photograph(page, "import", tmp_path, full_page=True)
    with page.expect_navigation():
        page.get_by_role("button", name="确认导入").click()
    assert page.locator("section.done").is_visible()
    text = reference_path(workspace).read_text("utf-8")
    assert "    actual: 15 家\n" in text and "    explanation: 多引进 3 家\n" in text
    rescored = page.locator("section.done table.summary tbody tr")
    assert rescored.count() == 1 and "95.53" in rescored.inner_text()


def test_a_broken_form_is_refused_with_its_cell(page, workspace, form, tmp_path):
    before = reference_path(workspace).read_bytes()
    page.goto(page.base + "y/2025/import")
    page.set_input_files("input[type=file]", files=[{
        "name": "改了指标值.xlsx", "mimeType": "application/octet-stream",
        "buffer": changed_form(form, {"E13": "≥3 家"})}])
    with page.expect_navigation():
        page.get_by_role("button", name="预览").click()
    refused = page.locator(".sheet-preview.refused ul.errors li")
    assert refused.count() == 1
    assert refused.locator("code.cell").inner_text() == f"改了指标值.xlsx!{REFERENCE_PROJECT}!E13"
    assert "年度指标值由 `≥5 家` 改为 `≥3 家`" in refused.inner_text()
    assert page.get_by_role("button", name="确认导入").count() == 0
    photograph(page, "refused", tmp_path, full_page=True)
    assert reference_path(workspace).read_bytes() == before


def test_nothing_was_fetched_from_elsewhere_and_no_script_failed(page):
    assert page.elsewhere == []
    assert page.console_errors == []  # a Content-Security-Policy violation would be one
