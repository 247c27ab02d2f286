"""`evalrun serve` through Starlette's TestClient: what a reviewer sees and can do, and what the page refuses.

Each test gets its own copy of the workspace (the bundled 2025 projects plus
a third one graded 良) and its own results store; the page is the real
application, only the HTTP is in-process.
"""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from tests.helpers import REFERENCE_PROJECT
from engine.store import schema
from engine.web.app import ServeOptions, create_app
from tests.web_support import (
    FARM, FARM_PROJECT, THIRD_PROJECT, changed_form, exported_form, reference_path, review_workspace,
)

starlette_testclient = pytest.importorskip("starlette.testclient", reason="evalrun serve needs starlette")
TestClient = starlette_testclient.TestClient


@pytest.fixture
def workspace(tmp_path) -> Path:
    return review_workspace(tmp_path / "ws")


def client_for(workspace: Path, **options) -> TestClient:
    settings = {"workspace": workspace, "db": f"sqlite:///{workspace / 'evalrun.db'}",
                "hosts": frozenset({"testserver"}), **options}
    return TestClient(create_app(ServeOptions(**settings)), raise_server_exceptions=False)


@pytest.fixture
def client(workspace) -> TestClient:
    """A page of its own, for tests that change the workspace or the store."""
    return client_for(workspace)


@pytest.fixture(scope="module")
def shared_workspace(tmp_path_factory) -> Path:
    workspace = review_workspace(tmp_path_factory.mktemp("shared") / "ws")
    outside = workspace.parent / "secret.yaml"
    outside.write_text("secret: 1\n")
    (workspace / "rulesets" / "linked.yaml").symlink_to(outside)
    return workspace


@pytest.fixture(scope="module")
def shared(shared_workspace) -> TestClient:
    """One page for the tests that only read."""
    return client_for(shared_workspace)


def csrf(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def project_url(page: str, name: str) -> str:
    return re.search(rf'href="(/y/2025/p/[0-9a-f]+)">{re.escape(name)}</a>', page).group(1)


def summary_rows(page: str) -> list[str]:
    """The project names of the 汇总 table, in order."""
    body = page.split('<table class="summary" id="summary">', 1)[1].split("</table>", 1)[0]
    return re.findall(r'href="/y/2025/p/[0-9a-f]+">([^<]+)</a>', body)


# ---------------------------------------------------------------- the year


def test_the_first_page_is_the_latest_year_with_projects(shared):
    response = shared.get("/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/y/2025/"


def test_the_year_lists_every_project_problems_first(shared):
    page = shared.get("/y/2025/").text
    assert "2025 年度项目支出绩效评价汇总" in page
    # no error-level finding here: the projects with findings no one has reviewed come first
    assert summary_rows(page)[-1] == REFERENCE_PROJECT
    assert set(summary_rows(page)) == {REFERENCE_PROJECT, FARM_PROJECT, THIRD_PROJECT}
    assert "95.53" in page and "55.32%" in page and "87.53" in page


def test_a_project_with_an_error_finding_comes_first(client, workspace):
    path = reference_path(workspace)
    path.write_text(path.read_text("utf-8").replace("executed: 547.6879", "executed: 1200"), "utf-8")
    page = client.get("/y/2025/").text  # the changed file is scored again without a restart
    assert summary_rows(page)[0] == REFERENCE_PROJECT
    assert "全年执行数 1200 万元 超过全年预算数 990 万元" in page
    assert client.get("/y/2025/?kind=error").text.count('class="has-error"') == 1


@pytest.mark.parametrize("query, expected", [
    ("grade=良", [THIRD_PROJECT]),
    (f"department={FARM}", [FARM_PROJECT]),
    ("rate_min=80&rate_max=90", [FARM_PROJECT]),
    ("rate_max=60", [REFERENCE_PROJECT, THIRD_PROJECT]),
    ("kind=qualitative_band", [FARM_PROJECT]),
    ("reviewed=none", [REFERENCE_PROJECT]),
    ("reviewed=open", [FARM_PROJECT, THIRD_PROJECT]),
    ("sort=total", [THIRD_PROJECT, FARM_PROJECT, REFERENCE_PROJECT]),
    ("sort=total&order=desc", [REFERENCE_PROJECT, FARM_PROJECT, THIRD_PROJECT]),
])
def test_filters_and_sorting(shared, query, expected):
    page = shared.get(f"/y/2025/?{query}").text
    rows = summary_rows(page)
    assert (sorted(rows) if not query.startswith("sort") else rows) == \
        (sorted(expected) if not query.startswith("sort") else expected)


def test_a_filter_that_cannot_be_read_is_ignored_and_said(shared):
    response = shared.get("/y/2025/?rate_min=abc&sort=nonsense&page=x")
    assert response.status_code == 200
    assert len(summary_rows(response.text)) == 3
    assert "筛选条件有一项无法读取，已忽略" in response.text


def test_the_charts_count_the_projects_shown(shared):
    page = shared.get("/y/2025/?grade=优").text
    grades = page.split('id="grade-chart-title"', 1)[1].split("</svg>", 1)[0]
    assert ">2（100.0%）<" in grades and ">0（0.0%）<" in grades
    rates = page.split('id="rate-chart-title"', 1)[1].split("</svg>", 1)[0]
    assert rates.count("<rect") == 8 and ">50–60%<" in rates


def test_a_project_that_cannot_be_scored_is_listed_with_its_error(client, workspace):
    broken = workspace / "projects" / "2025" / FARM / f"{FARM_PROJECT}.yaml"
    broken.write_text(broken.read_text("utf-8").replace("executed:", "executed: [", 1), "utf-8")
    page = client.get("/y/2025/").text
    assert "未能评价" in page and f"projects/2025/{FARM}/{FARM_PROJECT}.yaml:" in page
    key = re.search(r'href="(/y/2025/p/[0-9a-f]+)">' + FARM_PROJECT, page).group(1)
    project = client.get(key)
    assert project.status_code == 200 and "无法评分" in project.text


def test_a_broken_ruleset_is_shown_with_its_line(client, workspace):
    ruleset = workspace / "rulesets" / "2025" / "ruleset.yaml"
    ruleset.write_text(ruleset.read_text("utf-8").replace("weight * min(rate, 1)", "weight * min(rate, 1"), "utf-8")
    page = client.get("/y/2025/")
    assert page.status_code == 200 and "评分规则有误" in page.text and "rulesets/2025/ruleset.yaml:" in page.text


# ---------------------------------------------------------------- a project


def test_every_score_links_to_its_trace_with_formula_and_sources(shared):
    page = shared.get(project_url(shared.get("/y/2025/").text, REFERENCE_PROJECT)).text
    block = page.split('<div class="form-block', 1)[1]
    table = "</table>".join(block.split("</table>", 2)[:2])  # the form's two tables: the budget, the indicators
    assert '<a class="trace-link" href="#trace-0">5.53</a>' in table
    assert len(re.findall(r'class="trace-link" href="#trace-\d+"', table)) == 13  # 预算执行率 and 12 rows
    trace = page.split('id="trace-0"', 1)[1].split("</section>", 1)[0]
    assert '<span class="score">5.53</span>' in trace
    assert "weight * min(rate, 1)" in trace and "rulesets/2025/ruleset.yaml:33:10" in trace
    assert f"projects/2025/益阳市商务局/{REFERENCE_PROJECT}.yaml:20:13" in trace  # executed, its file and line
    assert "四舍五入保留 2 位小数" in trace
    assert "总分 = 预算执行率 5.53 + 产出指标 65 + 效益指标 15 + 满意度指标 10 = 95.53（各项得分相加）" in page


def test_a_department_variant_shows_its_lines_and_the_lines_they_override(client, workspace):
    page = client.get(project_url(client.get("/y/2025/").text, FARM_PROJECT)).text
    assert "的部门变体" in page and "rulesets/2025/departments/益阳市农业农村局.yaml:" in page  # its own method
    variant = workspace / "rulesets" / "2025" / "departments" / "益阳市财政局.yaml"
    variant.write_text("budget_execution:\n  score: weight * min(rate, 1) * 1\n", "utf-8")
    page = client.get(project_url(client.get("/y/2025/").text, THIRD_PROJECT)).text
    trace = page.split('id="trace-0"', 1)[1].split("</section>", 1)[0]
    assert "weight * min(rate, 1) * 1" in trace
    assert re.search(r"rulesets/2025/departments/益阳市财政局.yaml:2:\d+</a><span class=\"override\">，覆盖继承的 "
                     r"<a [^>]+>rulesets/2025/ruleset.yaml:33:10</a>", trace)


def test_the_report_is_the_html_output_in_a_sandboxed_frame(shared):
    url = project_url(shared.get("/y/2025/").text, REFERENCE_PROJECT)
    assert f'<iframe class="report" src="{url}/report" title="评价报告" sandbox' in shared.get(url).text
    report = shared.get(f"{url}/report")
    assert report.status_code == 200 and "2025 年度开放型经济发展与三产业发展引导资金项目支出绩效部门评价报告" in report.text
    assert "sandbox" in report.headers["content-security-policy"]
    assert "default-src 'none'" in report.headers["content-security-policy"]


@pytest.mark.parametrize("url", ["/y/2025/p/0123456789abcdef", "/y/2025/p/..%2F..%2Fetc%2Fpasswd", "/y/2099/",
                                 "/y/..%2F..%2Fetc/", "/nothing", "/y/2025/p/0123456789abcdef/report"])
def test_an_unknown_page_is_a_clear_404(shared, url):
    response = shared.get(url)
    assert response.status_code == 404
    assert "找不到页面" in response.text and "Traceback" not in response.text


# ---------------------------------------------------------------- review


def review(client, url: str, page: str, index: int, state: str, comment: str, reviewer: str = "李审核"):
    finding = re.findall(r'name="finding" value="([0-9a-f]+)"', page)[index]
    return client.post(f"{url}/review", data={"csrf": csrf(page), "finding": finding, "state": state,
                                              "comment": comment, "reviewer": reviewer}, follow_redirects=False)


def test_a_review_is_kept_with_its_history_and_changes_no_project_file(client, workspace):
    before = {p: p.read_bytes() for p in (workspace / "projects").rglob("*.yaml")}
    url = project_url(client.get("/y/2025/").text, FARM_PROJECT)
    page = client.get(url).text
    answer = review(client, url, page, 0, "需整改", "请补充档次依据")
    assert answer.status_code == 303 and answer.headers["location"].startswith(f"{url}#finding-")
    page = client.get(url).text
    assert "已保存审核结论：需整改（李审核）" in page
    answer = review(client, url, page, 0, "已核实", "已补充，核实无误", "王复核")
    page = client.get(url).text
    history = page.split('<ol class="history"', 1)[1].split("</ol>", 1)[0]
    assert history.index("王复核") < history.index("李审核")  # newest first
    assert "已核实" in history and "需整改" in history and "请补充档次依据" in history
    summary = client.get("/y/2025/").text
    assert '<span class="state state-verified">已核实</span>' in summary and "王复核：已补充，核实无误" in summary
    assert {p: p.read_bytes() for p in (workspace / "projects").rglob("*.yaml")} == before
    assert client.get("/y/2025/?reviewed=open").text.count(FARM_PROJECT) >= 1  # three findings still undecided


def test_reviews_live_in_the_results_store(client, workspace):
    url = project_url(client.get("/y/2025/").text, FARM_PROJECT)
    review(client, url, client.get(url).text, 1, "不适用", "总分按规则计")
    engine = create_engine(f"sqlite:///{workspace / 'evalrun.db'}")
    with engine.connect() as connection:
        rows = connection.execute(select(schema.review)).all()
    engine.dispose()
    assert [(r.project, r.state, r.comment, r.reviewer, r.check) for r in rows] == \
        [(FARM_PROJECT, "不适用", "总分按规则计", "李审核", "reported_rows_sum")]
    again = client_for(workspace)  # another server on the same store
    assert "不适用" in again.get(url).text.split('id="findings"', 1)[1]


def test_the_summary_export_carries_the_review_states(client):
    url = project_url(client.get("/y/2025/").text, FARM_PROJECT)
    review(client, url, client.get(url).text, 0, "已核实", "=1+1 看过")
    response = client.get("/y/2025/summary.csv?department=" + FARM)
    assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 4 and {r["项目"] for r in rows} == {FARM_PROJECT}
    assert [r["审核状态"] for r in rows] == ["已核实", "未审核", "未审核", "未审核"]
    assert rows[0]["审核意见"] == "'=1+1 看过" and rows[0]["审核人"] == "李审核"  # never a formula in Excel


def test_a_review_needs_a_known_state_and_a_name(client):
    url = project_url(client.get("/y/2025/").text, FARM_PROJECT)
    page = client.get(url).text
    wrong = review(client, url, page, 0, "随便", "")
    assert wrong.status_code == 400 and "未知的审核状态 `随便`" in wrong.text  # the page's language, Chinese
    nameless = review(client, url, page, 0, "已核实", "", reviewer="  ")
    assert nameless.status_code == 400 and "审核人姓名为空" in nameless.text


def test_a_finding_gone_since_the_page_was_shown_is_said(client, workspace):
    url = project_url(client.get("/y/2025/").text, FARM_PROJECT)
    page = client.get(url).text
    path = workspace / "projects" / "2025" / FARM / f"{FARM_PROJECT}.yaml"
    path.write_text(path.read_text("utf-8").replace("reported_total: 95", "reported_total: 95.89"), "utf-8")
    answer = review(client, url, page, 1, "已核实", "")
    assert answer.status_code == 303
    assert "这条审核提示已不存在" in client.get(url).text


def test_without_a_store_the_page_works_and_says_reviews_cannot_be_kept(workspace):
    client = client_for(workspace, db=None)
    page = client.get("/y/2025/").text
    assert "未使用结果数据库" in page and not (workspace / "evalrun.db").exists()
    assert 'class="review"' not in client.get(project_url(page, FARM_PROJECT)).text


# ---------------------------------------------------------------- a returned form


@pytest.fixture(scope="module")
def form(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("forms")
    return exported_form(review_workspace(folder / "ws"), folder / "out")


def upload(client, data: bytes, name: str = "returned.xlsx", accept: bool = False):
    page = client.get("/y/2025/import").text
    fields = {"csrf": csrf(page)} | ({"accept_changes": "on"} if accept else {})
    return client.post("/y/2025/import/preview", data=fields, files={"form": (name, data, "application/octet-stream")})


def test_an_uploaded_form_is_previewed_and_written_only_when_confirmed(client, workspace, form):
    path = reference_path(workspace)
    before = path.read_bytes()
    preview = upload(client, changed_form(form, {"F13": "15 家"}))
    assert preview.status_code == 200
    change = preview.text.split('<table class="changes">', 1)[1].split("</table>", 1)[0]
    assert f"returned.xlsx!{REFERENCE_PROJECT}!F13" in change and "三级指标 引进 500 强企业 实际完成值" in change
    assert "12 家" in change and "15 家" in change
    assert path.read_bytes() == before  # nothing written by the preview
    upload_id = re.search(r'name="upload" value="([^"]+)"', preview.text).group(1)
    done = client.post("/y/2025/import/confirm", data={"csrf": csrf(preview.text), "upload": upload_id})
    assert done.status_code == 200 and "已写入" in done.text and "重新评分" in done.text
    assert "    actual: 15 家\n" in path.read_text("utf-8")
    again = client.post("/y/2025/import/confirm", data={"csrf": csrf(preview.text), "upload": upload_id})
    assert "这次上传已过期或已经导入" in again.text  # the redirect, followed


def test_a_form_changed_on_disk_after_the_preview_is_previewed_again(client, workspace, form):
    preview = upload(client, changed_form(form, {"F13": "15 家"}))
    upload_id = re.search(r'name="upload" value="([^"]+)"', preview.text).group(1)
    path = reference_path(workspace)
    path.write_text(path.read_text("utf-8").replace("executed: 547.6879", "executed: 547.7"), "utf-8")
    answer = client.post("/y/2025/import/confirm", data={"csrf": csrf(preview.text), "upload": upload_id})
    assert "项目文件在预览之后有了变化" in answer.text
    assert "    actual: 12 家\n" in path.read_text("utf-8")  # not written


def test_a_changed_approved_value_is_refused_with_its_cell(client, workspace, form):
    before = reference_path(workspace).read_bytes()
    preview = upload(client, changed_form(form, {"E13": "≥3 家", "F14": "两个"}))
    assert f"returned.xlsx!{REFERENCE_PROJECT}!E13</code> 年度指标值由 `≥5 家` 改为 `≥3 家`" in preview.text
    assert 'name="upload"' not in preview.text and "什么都没有写入" in preview.text
    assert "已批准数值，被拒绝" in preview.text and "请勾选“接受对已批准数值的修改”后重新上传" in preview.text
    assert reference_path(workspace).read_bytes() == before
    accepted = upload(client, changed_form(form, {"E13": "≥3 家"}), accept=True)
    assert "将被接受" in accepted.text and 'name="upload"' in accepted.text


@pytest.mark.parametrize("data, message", [
    (b"department,project\n", "这不是 Excel 工作簿（.xlsx）"),
    (b"\xd0\xcf\x11\xe0" + b"\0" * 100, "旧版 Excel 97-2003 工作簿"),
    (b"PK\x03\x04 broken", "文件已损坏"),
])
def test_a_file_that_is_not_a_form_is_refused_with_its_name(shared, data, message):
    page = upload(shared, data, name="../../自评表.xlsx").text
    assert "无法读取这个文件" in page and message in page
    assert "<code class=\"cell\">自评表.xlsx</code>" in page  # the name only, never the path the browser sent


def test_an_upload_over_the_limit_is_a_clear_413(workspace, form):
    client = client_for(workspace, max_upload=2000)
    response = upload(client, form.read_bytes() + b"\0" * 100_000)
    assert response.status_code == 413 and "文件太大" in response.text


# ---------------------------------------------------------------- rules


def test_the_rules_page_shows_the_diff_and_its_impact(shared):
    page = shared.get("/y/2025/rules").text
    assert "2024 → 2025：" in page and "处变化" in page
    assert "rulesets/2024/ruleset.yaml:" in page and "rulesets/2025/ruleset.yaml:" in page
    assert REFERENCE_PROJECT in page and "总分" in page
    same = shared.get("/y/2025/rules?old=2025&new=2025").text
    assert "请选择两套不同的评分规则" in same
    assert shared.get("/y/2025/rules?old=../x&new=2025").status_code == 404


# ---------------------------------------------------------------- safety


def test_the_source_view_shows_a_workspace_file_with_its_line(shared):
    page = shared.get("/y/2025/source?file=rulesets/2025/ruleset.yaml&line=33")
    assert page.status_code == 200 and '<tr id="L33" class="marked">' in page.text
    assert "weight * min(rate, 1)" in page.text


@pytest.mark.parametrize("wanted", [
    "../../../etc/passwd", "/etc/passwd", "rulesets/../../secret.yaml", "reports/templates/report.html.j2",
    "rulesets/2025/./ruleset.yaml", "rulesets\\2025\\ruleset.yaml", "C:/x.yaml", "projects/2025/.hidden.yaml",
    "evalrun.db", "rulesets/linked.yaml", "rulesets/2025",
])
def test_the_source_view_reaches_nothing_else(shared, wanted):
    response = shared.get("/y/2025/source", params={"file": wanted})
    assert response.status_code == 404 and "secret" not in response.text


def test_static_files_are_a_fixed_list(shared):
    assert shared.get("/static/style.css").headers["content-type"].startswith("text/css")
    for url in ("/static/", "/static/..%2F..%2Fpyproject.toml", "/static/app.py", "/y/", "/y/2025/p/"):
        response = shared.get(url)
        assert response.status_code == 404, url


def test_every_post_needs_the_session_token(shared):
    routes = [r.path for r in shared.app.app.routes if "POST" in (getattr(r, "methods", None) or ())]
    assert len(routes) == 3
    url = project_url(shared.get("/y/2025/").text, FARM_PROJECT)
    for path in routes:
        path = path.replace("{ruleset}", "2025").replace("{key}", url.rsplit("/", 1)[1])
        for data in ({}, {"csrf": "forged"}):
            response = shared.post(path, data=data)
            assert response.status_code == 403 and "安全校验未通过" in response.text, path
    other_site = shared.post(f"{url}/review", data={"csrf": csrf(shared.get(url).text)},
                             headers={"origin": "http://evil.example"})
    assert other_site.status_code == 403


def test_another_host_name_is_refused(shared):
    response = shared.get("/y/2025/", headers={"host": "evil.example"})
    assert response.status_code == 400 and "Traceback" not in response.text


def test_security_headers_and_the_session_cookie(shared):
    response = TestClient(shared.app).get("/y/2025/")  # a browser that has no session yet
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "SAMEORIGIN"
    assert response.headers["x-content-type-options"] == "nosniff"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie


def test_an_internal_error_is_a_page_not_a_traceback(shared, monkeypatch):
    from engine.web import yearview

    def broken(*args, **kwargs):
        raise RuntimeError("secret detail")

    monkeypatch.setattr(yearview, "select", broken)
    response = shared.get("/y/2025/")
    assert response.status_code == 500 and "内部错误" in response.text
    assert "secret detail" not in response.text and "Traceback" not in response.text


def test_the_page_in_english(shared_workspace):
    page = client_for(shared_workspace, lang="en").get("/y/2025/").text
    assert '<html lang="en">' in page and ">Summary<" in page and "Import a form" in page
    assert "Grade distribution" in page


def test_the_rules_page_in_english_says_each_change_in_english(shared_workspace):
    page = client_for(shared_workspace, lang="en").get("/y/2025/rules").text
    assert "lowest total of grade 优: 80 → 90" in page and "rounding: truncated → rounded half up" in page
    assert "the weight of first-level indicator 产出指标: 45 → 65" in page
    assert "等级 优 的最低分" not in page and "舍入方式" not in page


def test_every_word_of_the_page_has_its_english(monkeypatch):
    from engine.web import i18n

    root = Path(i18n.__file__).parent
    used = set()
    for path in list((root / "templates").glob("*.j2")) + list(root.glob("*.py")):
        text = path.read_text("utf-8")
        used |= set(re.findall(r"""_\(\s*"([^"]+)"\s*\)""", text)) | set(re.findall(r"""_\(\s*'([^']+)'\s*\)""", text))
        used |= set(re.findall(r"""self\._\(\s*"([^"]+)"\s*\)""", text))
    used |= set(i18n.CHECK_LABELS.values()) | set(i18n.STATE_CLASSES)
    from engine.web.pages import ERRORS
    from engine.web.yearview import REVIEW_LABELS

    used |= {t for pair in ERRORS.values() for t in pair} | set(REVIEW_LABELS.values())
    missing = sorted(t for t in used if re.search(r"[\u4e00-\u9fff]", t) and t not in i18n.EN)
    assert not missing, missing


def test_a_year_without_projects_is_an_empty_table(shared):
    page = shared.get("/y/2024/")
    assert page.status_code == 200 and summary_rows(page.text) == [] and "0 个项目" in page.text


# ---------------------------------------------------------------- the command


def test_serve_refuses_an_unknown_ruleset_and_a_taken_port(run_cli, workspace):
    import socket

    unknown = run_cli("serve", "--no-browser", "--ruleset", "2099", workspace=workspace)
    assert unknown.exit_code == 2 and "没有规则 `2099`" in unknown.stderr
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        busy = run_cli("serve", "--no-browser", "--port", str(port), workspace=workspace)
    assert busy.exit_code == 2 and f"无法在 127.0.0.1:{port} 上监听" in busy.stderr
    assert "Traceback" not in busy.output


def test_serve_on_another_address_says_who_can_reach_it(workspace):
    import subprocess
    import sys

    from tests.helpers import REPO

    process = subprocess.Popen([sys.executable, "-m", "engine.cli", "serve", "--no-browser", "--no-db", "--host",
                                "0.0.0.0", "--workspace", str(workspace)], cwd=REPO, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, encoding="utf-8")
    try:
        address = process.stdout.readline()
        warning = process.stderr.readline()
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert re.match(r"evalrun serve: http://127\.0\.0\.1:\d+/ ", address)
    assert warning.startswith("警告：正在 0.0.0.0 上提供服务，不只是本机") and "没有登录" in warning
