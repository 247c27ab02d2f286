"""load: what is accepted as it comes from Windows tools, and where refusals point."""
from __future__ import annotations

import pytest

from tests.helpers import REFERENCE_FILE
from engine.errors import EvalrunError
from engine.files.load import decode, load_text

# These tests read evalrun's English messages (--lang en); tests/test_language.py and test_bad_inputs.py check the Chinese default.
pytestmark = pytest.mark.usefixtures("english")


def reference_bytes() -> bytes:
    return REFERENCE_FILE.read_bytes()


@pytest.mark.parametrize("transform", [
    pytest.param(lambda raw: b"\xef\xbb\xbf" + raw, id="utf-8 BOM"),
    pytest.param(lambda raw: raw.replace(b"\n", b"\r\n"), id="CRLF"),
    pytest.param(lambda raw: b"\xef\xbb\xbf" + raw.replace(b"\n", b"\r\n"), id="BOM and CRLF"),
])
def test_files_saved_by_windows_tools_in_utf8_are_accepted(workspace, run_cli, transform):
    project_file = workspace / "projects" / "2025" / REFERENCE_FILE.parent.name / REFERENCE_FILE.name  # by name
    project_file.write_bytes(transform(reference_bytes()))
    result = run_cli("--ruleset", "2025", workspace=workspace)
    assert result.exit_code == 0, result.stderr
    assert "95.53" in result.stdout


def test_a_bom_does_not_shift_line_numbers():
    data = load_text(decode(b"\xef\xbb\xbfa: 1\nb: 2\n", "x.yaml"), "x.yaml")
    assert data.source_of("b").line == 2


def test_a_gbk_byte_is_reported_on_its_own_line():
    raw = "a: ok\nb: ok\nc: 培训\n".encode("gbk")
    with pytest.raises(EvalrunError) as caught:
        decode(raw, "x.yaml")
    assert caught.value.line == 3 and "GBK/GB18030" in caught.value.message


def test_bytes_that_are_neither_utf8_nor_gbk_get_no_gbk_hint():
    with pytest.raises(EvalrunError) as caught:
        decode(b"a: \xff\xff\xff\n", "x.yaml")
    assert "not UTF-8" in caught.value.message and "GBK" not in caught.value.message


@pytest.mark.parametrize("raw,words", [
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "old Excel (.xls) or Word (.doc)"),
    (b"%PDF-1.7\n", "a PDF file"),
    (b"a: 1\nb: \x00\n", "NUL bytes"),
    (b"\xfe\xff\x00a\x00:", "UTF-16"),
])
def test_files_that_are_not_text_are_named(raw, words):
    with pytest.raises(EvalrunError) as caught:
        decode(raw, "x.yaml")
    assert words in caught.value.message
