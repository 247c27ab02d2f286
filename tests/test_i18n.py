"""The message catalogs: every id the code uses is in both languages, every id in a catalog is used.

Messages are looked up by id (``tr("schema.missing_key", ...)``); the ids
are read from the code's syntax tree, so a call with an id that is not a
literal string fails here too (its completeness could not be checked).
Babel, the maintained gettext library, reads the same catalogs as evalrun's
own quick reader, and must find the same messages.
"""
from __future__ import annotations

import ast
import functools
import re
import string
from pathlib import Path

import pytest

from engine import i18n
from engine.i18n.catalog import read_po
from engine.i18n.width import display_width, pad, table
from tests.helpers import REPO

ENGINE = REPO / "engine"
LOOKUPS = {"tr": 0, "lazy": 0, "tr_in": 1, "add": 1}  # add: a finding, found.add(check, key, source, **fields)


@functools.lru_cache(maxsize=None)
def used_ids() -> dict[str, list[str]]:
    """id -> the places that use it; a non-literal id is listed under '<not a literal>'."""
    found: dict[str, list[str]] = {}
    for path in sorted(ENGINE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else (
                node.func.attr if isinstance(node.func, ast.Attribute) else None)
            if name not in LOOKUPS or len(node.args) <= LOOKUPS[name]:
                continue
            arg = node.args[LOOKUPS[name]]
            if name == "add" and not (isinstance(arg, ast.Constant) and str(arg.value).startswith("finding.")):
                continue  # another add() (a set's): a finding's key starts with `finding.`
            place = f"{path.relative_to(REPO)}:{node.lineno}"
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.setdefault(arg.value, []).append(place)
            elif not (isinstance(arg, ast.Name) and arg.id == "key" or isinstance(arg, ast.Attribute) and arg.attr == "key"):
                # `key` passes on a finding's id, checked where the finding is added
                found.setdefault("<not a literal>", []).append(place)
    return found


def catalog_ids(language: str) -> set[str]:
    return set(i18n.catalog(language).messages)


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_id_is_a_literal():
    assert "<not a literal>" not in used_ids(), used_ids().get("<not a literal>")


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_id_used_in_the_code_is_in_the_catalog(language):
    missing = {k: v for k, v in used_ids().items() if k not in catalog_ids(language) and k != "<not a literal>"}
    assert not missing, f"not in {language}/evalrun.po: {missing}"


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_id_in_the_catalog_is_used(language):
    unused = catalog_ids(language) - set(used_ids())
    assert not unused, f"in {language}/evalrun.po but used nowhere: {sorted(unused)}"


def test_both_languages_have_the_same_messages_with_the_same_placeholders():
    chinese, english = i18n.catalog("zh_CN").messages, i18n.catalog("en").messages
    assert set(chinese) == set(english)
    for msg_id, text in chinese.items():
        zh_forms = text if isinstance(text, tuple) else (text,)
        en_forms = english[msg_id] if isinstance(english[msg_id], tuple) else (english[msg_id],)
        assert all(zh_forms) and all(en_forms), f"{msg_id} has an empty text"
        assert len(zh_forms) == 1, f"{msg_id}: Chinese has one plural form"
        assert isinstance(text, tuple) == isinstance(english[msg_id], tuple), msg_id
        expected = fields(zh_forms[0])
        for form in en_forms:
            assert fields(form) == expected, f"{msg_id}: {form!r} has other placeholders than {zh_forms[0]!r}"
        if isinstance(text, tuple):
            assert "count" in expected, f"{msg_id}: a plural message picks its form by {{count}}"


def test_the_chinese_messages_are_chinese_and_the_english_ones_english():
    for msg_id, text in i18n.catalog("zh_CN").messages.items():
        text = text[0] if isinstance(text, tuple) else text
        bare = string.Formatter().parse(text)
        literal = "".join(part for part, *_ in bare)
        assert any(not c.isascii() for c in literal) or msg_id in SAME_IN_BOTH, (msg_id, text)
    for msg_id, text in i18n.catalog("en").messages.items():
        for form in text if isinstance(text, tuple) else (text,):
            literal = "".join(part for part, *_ in string.Formatter().parse(form))
            assert any(c.isascii() and c.isalpha() for c in literal) or msg_id in SAME_IN_BOTH, (msg_id, form)


# only punctuation around what they hold (Chinese or English punctuation: 、 or a comma), or words editors read
# (`warning:`, `true`)
SAME_IN_BOTH = {"value.bool", "finding.line", "store.detail.explained", "schema.other", "finding.reported_score.method", "api.finding_error",
                "cli.import.warning", "cli.review.finding", "cli.review.department", "cli.new.note", "run.review_join",
                "explain.total_rule_note", "diff.list_separator", "diff.part_separator", "diff.item", "diff.na.value",
                "diff.changed", "diff.list_changed", "explain.declared.row", "review_rule.describe",
                "review_rule.parts_separator", "review_rule.scope_separator", "review_rule.scope_item",
                "review_rule.texts_separator", "views.cell"}


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_babel_reads_the_catalogs_as_evalrun_does(language):
    pofile = pytest.importorskip("babel.messages.pofile")
    for domain in ("evalrun", "click"):
        path = i18n.LOCALE_DIR / language / "LC_MESSAGES" / f"{domain}.po"
        if not path.exists():
            continue
        with path.open("rb") as handle:
            parsed = pofile.read_po(handle)
        theirs = {}
        for message in parsed:
            if not message.id:
                continue
            key = message.id[0] if isinstance(message.id, tuple) else message.id
            theirs[key] = tuple(message.string) if isinstance(message.string, tuple) else message.string
        assert theirs == read_po(path).messages


def test_click_catalog_holds_only_texts_click_prints():
    import click

    source = "".join(p.read_text(encoding="utf-8") for p in Path(click.__file__).parent.glob("*.py"))
    for msg_id in i18n.catalog("zh_CN", "click").messages:
        assert repr(msg_id)[1:-1] in source or msg_id in source, f"click no longer says {msg_id!r}"


def test_plural_forms_follow_each_catalogs_header(tmp_path):
    english = tmp_path / "en.po"
    english.write_text('msgid ""\nmsgstr ""\n"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n'
                       'msgid "x.files"\nmsgid_plural "x.files"\nmsgstr[0] "{count} file"\nmsgstr[1] "{count} files"\n',
                       encoding="utf-8")
    catalog = read_po(english)
    assert catalog.messages["x.files"] == ("{count} file", "{count} files")
    assert [catalog.plural_index(n) for n in (0, 1, 2, 11)] == [1, 0, 1, 1]
    assert i18n.catalog("zh_CN").plural_index(5) == 0  # Chinese has one form
    plurals = [k for k, v in i18n.catalog("en").messages.items() if isinstance(v, tuple)]
    for msg_id in plurals:  # every plural message reads right with one and with several
        with i18n.speaking("en"):
            one, two = i18n.tr(msg_id, **_sample(msg_id, 1)), i18n.tr(msg_id, **_sample(msg_id, 2))
        assert one != two and "(s)" not in one + two, msg_id


def _sample(msg_id: str, count: int) -> dict:
    text = i18n.catalog("en").messages[msg_id][1]
    return {name: count if name == "count" else "X" for name in fields(text)}


@pytest.mark.parametrize("option, environ, expected", [
    (None, {}, "zh_CN"),
    (None, {"LANG": "C.UTF-8"}, "zh_CN"),
    (None, {"LANG": "en_US.UTF-8"}, "en"),
    (None, {"LANG": "zh_CN.UTF-8", "LC_MESSAGES": "en_GB.UTF-8"}, "en"),
    (None, {"LANG": "en_US.UTF-8", "LC_MESSAGES": "zh_CN.UTF-8"}, "zh_CN"),
    (None, {"LC_ALL": "zh_CN.GB18030", "LC_MESSAGES": "en_US.UTF-8", "LANG": "en_US.UTF-8"}, "zh_CN"),
    (None, {"LC_ALL": "", "LANG": "en_US.UTF-8"}, "en"),  # an empty variable is not set
    ("en", {"LANG": "zh_CN.UTF-8"}, "en"),
    ("zh", {"LANG": "en_US.UTF-8"}, "zh_CN"),
    ("zh-CN", {}, "zh_CN"),
    ("EN", {}, "en"),
])
def test_the_language_is_chosen_as_gettext_would(option, environ, expected):
    assert i18n.choose(option, environ) == (expected, "")


@pytest.mark.parametrize("option, environ", [("fr", {}), (None, {"LANG": "de_DE.UTF-8"})])
def test_an_unknown_language_falls_back_to_chinese_with_a_note(option, environ):
    language, note = i18n.choose(option, environ)
    assert language == "zh_CN"
    assert "\n" not in note and "中文" in note and ("fr" in note or "de_DE" in note)


def test_display_width_counts_cjk_as_two_columns():
    assert display_width("abc") == 3
    assert display_width("预算执行率") == 10
    assert display_width("１００") == 6  # full-width digits
    assert display_width("e\u0301") == 1  # a combining accent takes no column
    assert pad("分值", 6) == "分值  "
    lines = table(["项目", "总分"], [["开放型经济", "95.53"], ["abc", "7"]]).splitlines()
    assert lines[1] == "-" * 10 + "  " + "-" * 5
    columns = [display_width(line[:line.rindex(cell)]) for line, cell in zip(lines, ["总分", "-----", "95.53", "7"])]
    assert columns == [12, 12, 12, 12]


def test_catalogs_are_read_quickly():
    import time

    path = i18n.LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "evalrun.po"
    start = time.perf_counter()
    for _ in range(10):
        read_po(path)
    assert (time.perf_counter() - start) / 10 < 0.02  # about a millisecond on a laptop


def test_the_catalogs_ship_with_the_package():
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert '"engine.i18n"' in text and "locale/*/LC_MESSAGES/*.po" in text


# ---------------------------------------------------------------- the two READMEs

def _sh_blocks(text: str) -> list[list[str]]:
    """The ```sh blocks, each as its command lines without their comments (which each README words in its language)."""
    blocks = re.findall(r"```sh\n(.*?)```", text, re.S)
    return [[line.split("  #")[0].rstrip() for line in block.splitlines() if line.split("  #")[0].strip()]
            for block in blocks]


def test_the_readmes_are_chinese_first_and_english_in_step():
    chinese = (REPO / "README.md").read_text(encoding="utf-8")
    english = (REPO / "README.en.md").read_text(encoding="utf-8")
    assert "README.en.md" in chinese and "README.md" in english  # each links to the other
    zh, en = _sh_blocks(chinese), _sh_blocks(english)
    assert zh[:2] == en[:2] == [
        ["python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/evalrun --ruleset 2025"],
        ["python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/pytest"]]
    assert zh == en  # every command shown in one is shown in the other
    assert chinese.count("\n## ") == english.count("\n## ") and chinese.count("\n### ") == english.count("\n### ")
    heading = chinese[chinese.index("\n## ") + 4:].split("\n", 1)[0]
    assert any("\u4e00" <= c <= "\u9fff" for c in heading)  # README.md is the Chinese one


GLOSSARY = {
    "绩效目标": "goals[].expected", "年度指标值": "indicators[].target", "实际完成值": "indicators[].actual",
    "分值": "indicators[].weight", "得分": "indicators[].reported_score", "年初预算数": "budget.initial",
    "全年预算数": "budget.full_year", "全年执行数": "budget.executed", "执行率": "budget_execution.rate",
    "偏差原因分析及改进措施": "indicators[].explanation", "一级指标": "indicators[].level1",
    "二级指标": "indicators[].level2", "三级指标": "indicators[].name",
}


@pytest.mark.parametrize("readme", ["README.md", "README.en.md"])
def test_the_readme_glossary_maps_each_term_to_its_yaml_key(readme):
    text = (REPO / readme).read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip(): line for line in text.splitlines() if line.startswith("| ") and "`" in line}
    for term, key in GLOSSARY.items():
        assert term in rows, f"{readme}: no glossary row for {term}"
        assert f"`{key}`" in rows[term], f"{readme}: {term} is not mapped to `{key}`"
