"""Bounded resources: templates that would write hundreds of megabytes or run for minutes, zip-bomb
workbooks and Word templates. Each is refused with one file:line line, quickly, and (in the last
tests) inside a process whose memory is capped at 500 MB and whose time is capped at 20 s.
"""
from __future__ import annotations

import io
import json
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import docx
import pytest

from tests.helpers import REFERENCE_PROJECT, REPO, copy_workspace, problem_lines
import engine.files.load as load
from engine.forms.import_forms import MAX_WORKBOOK_BYTES
from engine.outputs.ooxml import WORD_TEMPLATE_LIMITS, WORKBOOK_LIMITS
from engine.outputs.sandbox import BoundedSandbox
from engine.outputs.sandbox_bounds import (MAX_LIPSUM_PARAGRAPHS, MAX_LIPSUM_WORDS, MAX_NUMBER_DIGITS, MAX_POWER,
                                           MAX_TEMPLATE_BYTES, MAX_WIDTH, Bounds, TemplateLimit, budget)

# These tests read evalrun's English messages (--lang en); tests/test_language.py and test_bad_inputs.py check the Chinese default.
pytestmark = pytest.mark.usefixtures("english")

DEPARTMENT = "益阳市商务局"
MB = 1024 * 1024
WORKBOOK_LIMITS_FILE_MB = MAX_WORKBOOK_BYTES // MB


@pytest.fixture
def workspace(tmp_path) -> Path:
    return copy_workspace(tmp_path / "ws", reference_only=True)


def markdown_template(workspace: Path, body: str) -> None:
    (workspace / "reports" / "templates" / "report.md.j2").write_text("# 报告\n\n" + body + "\n", encoding="utf-8")


def word_template(workspace: Path, *paragraphs: str) -> None:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    document.save(str(workspace / "reports" / "templates" / "report.docx"))


def one_line(result) -> str:
    assert "Traceback" not in result.output and "internal error" not in result.output
    assert result.exit_code == 1, result.output
    lines = problem_lines(result.stderr)
    assert len(lines) == 1, lines
    return lines[0]


# ---------------------------------------------------------------- templates

HOSTILE_TEMPLATES = {
    "format width": ("{{ '{:>30000000}'.format(project.name) }}", "a format's width or precision 30000000"),
    "nested format width": ("{{ '{0:{1}}'.format('x', 30000000) }}", "a format's width or precision 30000000"),
    "printf width": ("{{ '%30000000s'|format(project.name) }}", "a `%` format's width 30000000"),
    "printf width by name": ("{{ '%(a)30000000s' % {'a': 1} }}", "a `%` format's width 30000000"),
    "printf star": ("{{ '%*s' % (30000000, 'x') }}", "`*` for its width"),
    "center": ("{{ project.name.center(30000000) }}", "`center` with a width of 30000000"),
    "center filter": ("{{ project.name|center(30000000) }}", "`center` with a width of 30000000"),
    "ljust": ("{{ 'x'.ljust(30000000) }}", "`ljust` with a width of 30000000"),
    "zfill": ("{{ '1'.zfill(30000000) }}", "`zfill` with a width of 30000000"),
    "indent": ("{{ 'x'|indent(30000000) }}", "`indent` by 30000000"),
    "lipsum": ("{{ lipsum(1000000) }}", "`lipsum` of 1000000 paragraphs"),
    "lipsum words": ("{{ lipsum(1, max=100000000) }}", "`lipsum` of up to 100000000 words"),
    "nested loops": ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
                     "loops ran more than 1,000,000 times"),
    "loops over text": ("{% for c in 'x' * 1000000 %}{% for d in 'x' * 1000000 %}{% endfor %}{% endfor %}",
                        "loops ran more than 1,000,000 times"),
    "output": ("{% for i in range(100) %}{{ 'x' * 1000000 }}{% endfor %}", "larger than 10,000,000 characters"),
    "doubling": ("{% macro d(s, n) %}{% if n %}{{ d(s ~ s, n - 1) }}{% else %}{{ s|length }}{% endif %}"
                 "{% endmacro %}{{ d('x', 60) }}", "`~` would build a text of"),
    "shared parts": ("{% set ns = namespace(l=[1]) %}{% for i in range(80) %}{% set ns.l = [ns.l, ns.l] %}"
                     "{% endfor %}{{ ns.l }}", "a list would build a value of more than 1,000,000 items"),
    "join": ("{{ (['x' * 50000] * 10)|join('y' * 100000) }}", "`join` would build"),
    "join method": ("{{ ('y' * 100000).join(['x' * 50000] * 10) }}", "`join` would build"),
    "replace": ("{{ ('x' * 100000).replace('x', 'y' * 1000) }}", "`replace` would build"),
    "power": ("{{ 2 ** 1000000 }}", "a power above 100"),
    "power of a power": ("{{ (10 ** 100) ** 100 }}", "a power of more than 1,000 digits"),
    "multiplied": ("{% set ns = namespace(n=10 ** 99) %}{% for i in range(40) %}{% set ns.n = ns.n * ns.n %}"
                   "{% endfor %}{{ ns.n }}", "a number of more than 1,000 digits"),
    "batch": ("{{ [1]|batch(1000000000, 0)|list }}", "`batch` with batches of 1000000000"),
    "translate": ("{{ 'ab'.translate({97: 'x' * 1000000}) }}", "sandbox refuses"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE_TEMPLATES))
def test_a_template_that_would_grow_without_bound_is_a_file_line_error(workspace, run_cli, name):
    body, words = HOSTILE_TEMPLATES[name]
    markdown_template(workspace, body)
    started = time.monotonic()
    result = run_cli("--ruleset", "2025", "--format", "md", workspace=workspace)
    line = one_line(result)
    assert line.startswith("reports/templates/report.md.j2:3: the template tried something the sandbox refuses: "), \
        line
    assert words in line
    assert time.monotonic() - started < 10
    assert not (workspace / "reports" / "out" / "2025" / DEPARTMENT).exists()


def test_bounded_operations_still_work_as_usual(workspace, run_cli):
    markdown_template(workspace, "{{ '%5.2f' % 3.14159 }}|{{ 'a'.center(5) }}|{{ [1, 2]|join(',') }}|"
                                 "{{ '{:>4}'.format(7) }}|{{ 'x' * 3 }}|{% for i in range(3) %}{{ loop.length }}"
                                 "{% endfor %}|{{ 2 ** 10 }}|{{ lipsum(1, html=False, min=20, max=21)|wordcount >= 20 }}|"
                                 "{{ ', '.join([1, 2]|map('string')) }}")
    result = run_cli("--ruleset", "2025", "--format", "md", workspace=workspace)
    assert result.exit_code == 0, result.output
    text = (workspace / "reports/out/2025" / DEPARTMENT / f"{REFERENCE_PROJECT}.md").read_text(encoding="utf-8")
    assert " 3.14|  a  |1,2|   7|xxx|333|1024|True|1, 2" in text


def test_a_render_past_its_time_budget_stops_at_the_template_line(workspace):
    env = BoundedSandbox()
    template = env.from_string("line one\n{% for i in range(100000) %}{{ i|string|wordwrap(3) }}{% endfor %}")
    started = time.monotonic()
    with pytest.raises(TemplateLimit, match="ran for more than 0.2 seconds") as caught:
        with budget(Bounds(seconds=0.2, iterations=10**9)):
            template.render()
    assert time.monotonic() - started < 2
    assert any(tb.tb_frame.f_code.co_filename == "<template>" and tb.tb_lineno == 2
               for tb in _traceback(caught.value))


def _traceback(exc):
    tb = exc.__traceback__
    while tb is not None:
        yield tb
        tb = tb.tb_next


def test_the_year_summary_bounds_grow_with_its_rows():
    bounds = Bounds().for_rows(100_000)
    assert bounds.output >= 100_000 * 4000 and bounds.iterations >= 100_000 * 100 and bounds.seconds > 100


def test_word_templates_run_in_the_same_bounded_sandbox(workspace, run_cli):
    word_template(workspace, "评价报告", "{{ 2 ** 1000000 }}")
    line = one_line(run_cli("--ruleset", "2025", "--format", "docx", workspace=workspace))
    assert line.startswith("reports/templates/report.docx:2: the template tried something the sandbox refuses: "
                           "a power above 100"), line
    for body, words in ((["{{ '{:>30000000}'.format(1) }}"], "30000000"), (["{{ lipsum(1000000) }}"], "lipsum"),
                        (["{{ 'x'.center(30000000) }}"], "center"),
                        (["{%p for i in range(100000) %}", "{%p for j in range(100000) %}", "x", "{%p endfor %}",
                          "{%p endfor %}"], "the sandbox refuses")):
        word_template(workspace, "评价报告", *body)
        line = one_line(run_cli("--ruleset", "2025", "--format", "docx", workspace=workspace))
        assert line.startswith("reports/templates/report.docx:") and words in line, line


def test_template_errors_name_the_same_place_with_a_relative_workspace(workspace, monkeypatch, run_cli):
    markdown_template(workspace, "{{ 1 / 0 }}")
    absolute = one_line(run_cli("--ruleset", "2025", "--format", "md", workspace=workspace))
    monkeypatch.chdir(workspace)
    relative = one_line(run_cli("--ruleset", "2025", "--format", "md"))
    dotted = one_line(run_cli("--ruleset", "2025", "--format", "md", "--workspace", "."))
    monkeypatch.chdir(workspace.parent)
    parent = one_line(run_cli("--ruleset", "2025", "--format", "md", "--workspace", workspace.name))
    assert absolute == relative == dotted == parent == \
        "reports/templates/report.md.j2:3: the template failed: ZeroDivisionError: division by zero"


def test_a_huge_template_file_is_refused(workspace, run_cli):
    markdown_template(workspace, "x" * (3 * MB))
    line = one_line(run_cli("--ruleset", "2025", "--format", "md", workspace=workspace))
    assert line.startswith("reports/templates/report.md.j2: the template is 3.0 MB; templates of at most 2 MB")


# ---------------------------------------------------------------- Office packages built by the tests

CONTENT_TYPES = ('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                 '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                 '<Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
                 'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                 '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
                 'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
SHEET_HEAD = (b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
              b'<sheetData>')


def workbook(sheet_parts, tail: bytes = b"</sheetData></worksheet>", extra: dict | None = None) -> bytes:
    """A minimal .xlsx whose one sheet is written from ``sheet_parts`` (bytes, streamed into the zip)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                         'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                         'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        archive.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/'
                         'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
                         'relationships"><sheets><sheet name="自评表" sheetId="1" r:id="rId1"/></sheets></workbook>')
        archive.writestr("xl/_rels/workbook.xml.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.'
                         'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
                         'openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
                         '</Relationships>')
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(SHEET_HEAD)
            for part in sheet_parts:
                sheet.write(part)
            sheet.write(tail)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return out.getvalue()


def ten_million_rows():
    chunk = b"<row></row>" * 100_000
    for _ in range(100):
        yield chunk


def rows(count: int):
    yield b"".join(b'<row r="%d" ht="15" customHeight="1"/>' % r for r in range(1, count + 1))


def cells(count: int):
    yield b"".join(b'<row r="%d">' % r + b"".join(b'<c r="%s%d"><v>1</v></c>' % (c, r) for c in
                                                  (b"A", b"B", b"C", b"D", b"E", b"F", b"G", b"H", b"I", b"J"))
                   + b"</row>" for r in range(1, count // 10 + 1))


BOMBS = {
    "ten million rows": (lambda: workbook(ten_million_rows()), "the workbook unpacks to 104.9 MB"),
    "rows": (lambda: workbook(rows(WORKBOOK_LIMITS.worksheets_rows + 1)), "rows; a 自评表 workbook"),
    "cells": (lambda: workbook(cells(WORKBOOK_LIMITS.worksheets_cells + 10)), "cells; a 自评表 workbook"),
    "columns": (lambda: workbook([b'<row r="1"><c r="ZZZ1"><v>1</v></c></row>']), "a cell in column ZZZ1"),
    "whole-sheet merge": (lambda: workbook([b'<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'],
                                           b'</sheetData><mergeCells count="1"><mergeCell ref="A1:XFD1048576"/>'
                                           b'</mergeCells></worksheet>'), "merged ranges cover more than"),
    "whole-column merge": (lambda: workbook([], b'</sheetData><mergeCells count="1"><mergeCell ref="A:C"/>'
                                                b'</mergeCells></worksheet>'), "merged ranges cover more than"),
    "many merges": (lambda: workbook([], b'</sheetData><mergeCells>' + b"".join(
        b'<mergeCell ref="A%d:B%d"/>' % (r, r) for r in range(1, WORKBOOK_LIMITS.merged_ranges + 2))
        + b'</mergeCells></worksheet>'), "merged ranges; a 自评表 workbook"),
    "entities": (lambda: _entity_bomb(), "declares a DTD or entities"),
    "styles": (lambda: workbook([], extra={"xl/styles.xml": b"<styleSheet>" + b" " * (5 * MB) + b"</styleSheet>"}),
               "styles (xl/styles.xml) unpack to"),
    "texts": (lambda: workbook([], extra={"xl/sharedStrings.xml": b"<sst>" + b"<si><t>x</t></si>" * MB + b"</sst>"}),
              "texts (xl/sharedStrings.xml) unpack to 17.0 MB"),
    "many texts": (lambda: workbook([], extra={"xl/sharedStrings.xml": b"<sst>" + b"<si><t>x</t></si>" * 50_001
                                               + b"</sst>"}), "more than 50,000 different texts"),
    "parts": (lambda: workbook([], extra={f"xl/media/{i}.bin": b"" for i in range(2_001)}), "parts; at most 2,000"),
}


def _entity_bomb() -> bytes:
    lol = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
           + b"".join(b'<!ENTITY lol%d "%s">' % (i, b"&lol%d;" % (i - 1) * 10 if i > 1 else b"&lol;" * 10)
                      for i in range(1, 10)) + b"]>")
    data = workbook([])
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            part = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                part = part.replace(b'<?xml version="1.0"?>', lol).replace(b"<sheetData>", b"<sheetData>&lol9;")
            archive.writestr(info, part)
    return out.getvalue()


@pytest.mark.parametrize("name", sorted(BOMBS))
def test_a_workbook_past_a_limit_is_refused_before_it_is_opened(workspace, run_cli, tmp_path, name):
    build, words = BOMBS[name]
    form = tmp_path / "form.xlsx"
    form.write_bytes(build())
    assert form.stat().st_size < 20 * MB
    started = time.monotonic()
    line = one_line(run_cli("import", str(form), "--year", "2025", workspace=workspace))
    assert line.startswith("form.xlsx: ") and words in line, line
    assert time.monotonic() - started < 10


def test_a_real_form_is_well_inside_the_limits(workspace, run_cli, tmp_path):
    assert run_cli("export", "--ruleset", "2025", workspace=workspace).exit_code == 0
    form = tmp_path / "form.xlsx"
    form.write_bytes((workspace / "reports/out/2025/forms" / f"{DEPARTMENT}.xlsx").read_bytes())
    (workspace / "projects" / "2025" / DEPARTMENT / f"{REFERENCE_PROJECT}.yaml").unlink()
    result = run_cli("import", str(form), "--year", "2025", workspace=workspace)
    assert result.exit_code == 0, result.output


def word_bomb(document_xml_size: int) -> bytes:
    source = zipfile.ZipFile(REPO / "reports" / "templates" / "report.docx")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            if info.filename == "word/document.xml":
                body = source.read(info)
                with archive.open(info.filename, "w", force_zip64=True) as part:
                    head, tail = body.split(b"<w:body>", 1)
                    part.write(head + b"<w:body>")
                    for _ in range(document_xml_size // MB):
                        part.write(b" " * MB)
                    part.write(tail)
            else:
                archive.writestr(info, source.read(info))
    return out.getvalue()


def test_a_word_template_that_inflates_is_refused(workspace, run_cli):
    (workspace / "reports" / "templates" / "report.docx").write_bytes(word_bomb(200 * MB))
    line = one_line(run_cli("--ruleset", "2025", "--format", "docx", workspace=workspace))
    assert line.startswith("reports/templates/report.docx: the Word template unpacks to 200."), line
    (workspace / "reports" / "templates" / "report.docx").write_bytes(word_bomb(6 * MB))
    line = one_line(run_cli("--ruleset", "2025", "--format", "docx", workspace=workspace))
    assert "text (body, headers, footers) unpacks to 6.0 MB of XML; at most 4.0 MB" in line, line


def test_the_limits_are_stated_in_the_readme():
    readme = (REPO / "README.en.md").read_text(encoding="utf-8")  # the English README, kept in step with README.md
    section = readme[readme.index("## What evalrun refuses, and why"):readme.index("## For developers")]
    section = " ".join(section.split())
    limits = WORKBOOK_LIMITS
    for stated in (f"{limits.unpacked // MB} MB", f"{limits.xml // MB} MB", f"{limits.worksheets_cells:,} cells",
                   f"{limits.worksheets_rows:,} rows", f"columns up to {limits.columns:,}", f"{limits.entries:,} parts",
                   f"{limits.merged_ranges:,} merged ranges", f"{limits.merged_cells:,} cells",
                   f"{limits.styles // MB} MB", f"{limits.shared_strings // MB} MB", f"{limits.texts:,} different texts", f"{WORD_TEMPLATE_LIMITS.xml // MB} MB",
                   f"{WORD_TEMPLATE_LIMITS.template_xml // MB} MB", f"{MAX_WIDTH:,}",
                   f"{Bounds().output:,} characters", f"{Bounds().iterations:,}", f"{Bounds().seconds:g} seconds",
                   f"{Bounds().value:,} characters or", f"exponents at most {MAX_POWER}",
                   f"longer than {MAX_NUMBER_DIGITS:,} digits", f"at most {MAX_LIPSUM_PARAGRAPHS} paragraphs",
                   f"most {MAX_LIPSUM_WORDS:,} words", f"at most {MAX_TEMPLATE_BYTES // MB} MB",
                   f"at most {load.MAX_DIGITS} digits before the decimal point and at most {load.MAX_PLACES} after",
                   f"at most {WORKBOOK_LIMITS_FILE_MB} MB as a file"):
        assert stated in section, stated


# ---------------------------------------------------------------- in a process capped at 500 MB and 20 s

CAPPED = """
import json, os, resource, shutil, signal, sys, time
from engine.cli import main
limit = 500 * 1024 * 1024
finished = []
for args, files, stderr in json.loads(sys.argv[1]):
    for target, source in files.items():
        shutil.copyfile(source, target)
    started = time.monotonic()
    child = os.fork()
    if child == 0:  # each case in its own process, capped as a whole run is; evalrun is imported once
        os.dup2(os.open(stderr, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), 2)
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        signal.alarm(20)
        sys.argv = ["evalrun", *args]
        code = 0
        try:
            main()
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)
    _, status = os.waitpid(child, 0)
    finished.append([os.waitstatus_to_exitcode(status), time.monotonic() - started])
print(json.dumps(finished))
"""


class Capped:
    """One case's end in a process capped at 500 MB and 20 seconds: its exit code, what it printed to stderr."""

    def __init__(self, returncode: int, seconds: float, stderr: str):
        self.returncode, self.seconds, self.stderr = returncode, seconds, stderr


def capped_runs(cases: list, *, cwd: Path) -> list[Capped]:
    """Run each case (its arguments, and the files copied into place before it) as evalrun in its own
    capped process, forked from one that has imported evalrun: the cap is the one a whole run gets."""
    plan = [[list(args), {str(k): str(v) for k, v in files.items()}, str(cwd / f".case{n}.err")]
            for n, (args, files) in enumerate(cases)]
    done = subprocess.run([sys.executable, "-c", CAPPED, json.dumps(plan)], cwd=cwd, capture_output=True, text=True,
                          timeout=20 * len(cases) + 10,
                          env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", "LANG": "en_US.UTF-8"})
    assert done.returncode == 0, done.stderr
    ends = json.loads(done.stdout.splitlines()[-1])
    return [Capped(code, seconds, Path(err).read_text(encoding="utf-8")) for (code, seconds), (_, _, err) in zip(ends, plan)]


def capped(*args, cwd: Path) -> Capped:
    return capped_runs([(args, {})], cwd=cwd)[0]


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS caps memory as the test means only on Linux")
def test_hostile_inputs_stay_under_500_mb_and_20_seconds(tmp_path):
    workspace = copy_workspace(tmp_path / "ws", reference_only=True)
    templates = workspace / "reports" / "templates"
    (tmp_path / "reports" / "templates").mkdir(parents=True)  # each case's template is made here, then moved
    cases, expected = [], []
    for name in ("format width", "printf width", "center", "lipsum", "nested loops", "output", "doubling",
                 "shared parts", "multiplied"):
        markdown_template(tmp_path, HOSTILE_TEMPLATES[name][0])
        source = (tmp_path / "reports/templates/report.md.j2").rename(tmp_path / f"{len(cases)}.md.j2")
        cases.append((("--ruleset", "2025", "--format", "md", "--quiet"), {templates / "report.md.j2": source}))
        expected.append((1, "the sandbox refuses"))
    word_template(tmp_path, "评价报告", "{{ (10 ** 100) ** 100 }}")
    source = (tmp_path / "reports/templates/report.docx").rename(tmp_path / "power.docx")
    cases.append((("--ruleset", "2025", "--format", "docx", "--quiet"), {templates / "report.docx": source}))
    expected.append((1, "the sandbox refuses"))
    (tmp_path / "bomb.docx").write_bytes(word_bomb(200 * MB))
    cases.append((("--ruleset", "2025", "--format", "docx", "--quiet"), {templates / "report.docx": tmp_path / "bomb.docx"}))
    expected.append((1, "the Word template unpacks to 200."))
    for name in ("ten million rows", "cells", "whole-sheet merge", "entities"):
        form = tmp_path / f"{name}.xlsx"
        form.write_bytes(BOMBS[name][0]())
        cases.append((("import", str(form), "--year", "2025"), {}))
        expected.append((1, BOMBS[name][1]))
    for (args, _), (code, message), done in zip(cases, expected, capped_runs(cases, cwd=workspace)):
        assert done.returncode == code, (args, done.stderr)
        assert "Traceback" not in done.stderr and "MemoryError" not in done.stderr, (args, done.stderr)
        assert message in done.stderr and done.seconds < 20, (args, done.stderr)


def largest_workbook() -> bytes:
    """A workbook just inside every limit at once: cells, merged cells, styles and texts."""
    limits = WORKBOOK_LIMITS
    styles_head = (b'<?xml version="1.0"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                   b'<fonts count="1"><font><sz val="11"/></font></fonts><fills count="1"><fill><patternFill '
                   b'patternType="none"/></fill></fills><borders count="1"><border/></borders><cellStyleXfs count="1">'
                   b'<xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs>')
    xf = b'<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    styles = styles_head + xf * ((limits.styles - len(styles_head) - 100) // len(xf)) + b"</cellXfs></styleSheet>"
    texts = [b"<si><t>%d</t></si>" % i for i in range(limits.texts)]
    sst = (b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           + b"".join(texts)[:limits.shared_strings - 200].rsplit(b"<si>", 1)[0] + b"</sst>")
    merged_rows = limits.merged_cells // 10 - 1
    data = workbook(cells(limits.worksheets_cells - 100),
                    b'</sheetData><mergeCells count="1"><mergeCell ref="K1:T%d"/></mergeCells></worksheet>' % merged_rows)
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            part = source.read(info)
            if info.filename == "[Content_Types].xml":
                part = part.replace(b"</Types>", b'<Override PartName="/xl/styles.xml" ContentType="application/vnd.'
                                    b'openxmlformats-officedocument.spreadsheetml.styles+xml"/><Override PartName='
                                    b'"/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
                                    b'officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
            if info.filename == "xl/_rels/workbook.xml.rels":
                part = part.replace(b"</Relationships>", b'<Relationship Id="rId9" Type="http://schemas.openxmlformats.'
                                    b'org/officeDocument/2006/relationships/styles" Target="styles.xml"/><Relationship '
                                    b'Id="rId8" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                                    b'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
            archive.writestr(info, part)
        archive.writestr("xl/styles.xml", styles)
        archive.writestr("xl/sharedStrings.xml", sst)
    return out.getvalue()


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS caps memory as the test means only on Linux")
def test_the_largest_workbook_the_limits_let_through_loads_under_500_mb_and_20_seconds(tmp_path):
    workspace = copy_workspace(tmp_path / "ws", reference_only=True)
    form = tmp_path / "big.xlsx"
    form.write_bytes(largest_workbook())
    done = capped("import", str(form), "--year", "2025", cwd=workspace)
    assert "MemoryError" not in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 1  # it is no 自评表: refused for that, after being read whole
    assert "no sheet looks like a 项目支出绩效自评表" in done.stderr, done.stderr
