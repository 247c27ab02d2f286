"""The words evalrun prints: Chinese (zh_CN) by default, English on request.

Every message has a stable id (``run.wrote_files``) with named placeholders
(``{count}``); its text in each language lives in a gettext catalog,
``engine/i18n/locale/<language>/LC_MESSAGES/evalrun.po``. ``tr(id, **fields)``
gives the text in the language in use; a message with plural forms picks
its form by the field ``count``. ``lazy(id)`` is the same text looked up
only when it is shown (click's help strings are made when the commands are
defined, before the command line says which language to use).

The language is chosen once per command, by :func:`choose`: ``--lang``,
else the environment's locale as gettext reads it (``LC_ALL``, then
``LC_MESSAGES``, then ``LANG``), else Chinese. tests/test_i18n.py checks
that every id used in the code is in both catalogs and every id in a
catalog is used.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

from engine.i18n.catalog import Catalog, read_po

LANGUAGES = ("zh_CN", "en")
DEFAULT = "zh_CN"
LOCALE_DIR = Path(__file__).parent / "locale"
_ALIASES = {"zh": "zh_CN", "zh_cn": "zh_CN", "zh_hans": "zh_CN", "zh_sg": "zh_CN", "cn": "zh_CN",
            "chinese": "zh_CN", "中文": "zh_CN", "en": "en", "english": "en"}
_NO_PREFERENCE = {"", "c", "posix"}  # the C locale says nothing about the reader's language

_state = {"language": DEFAULT}
_catalogs: dict = {}


def normalize(name: str | None) -> str | None:
    """``zh_CN`` or ``en`` for a language or locale name (``en_US.UTF-8``, ``zh-CN``, ``EN``), '' for none, None if unknown."""
    if name is None:
        return ""
    text = name.strip().split(".")[0].split("@")[0].replace("-", "_").lower()
    if text in _NO_PREFERENCE:
        return ""
    if text in _ALIASES:
        return _ALIASES[text]
    base = text.split("_")[0]
    if base == "en":
        return "en"
    if base == "zh":
        return "zh_CN"  # 繁體 (zh_TW, zh_HK) is not available: 简体 is closer than English
    return None


def from_environment(environ=None) -> tuple[str, str]:
    """(language, the locale name as written) from LC_ALL, LC_MESSAGES, LANG, the first one set, as gettext does.

    The language is '' when the locale says nothing (unset, C, POSIX) and
    None when it names a language evalrun has no messages in.
    """
    environ = os.environ if environ is None else environ
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(variable)
        if value:
            return normalize(value), value
    return "", ""


def choose(option: str | None = None, environ=None) -> tuple[str, str]:
    """(the language to use, a one-line note or ''): --lang first, then the locale, else Chinese.

    An unknown language falls back to Chinese, and the note says so.
    """
    if option is not None and option.strip():
        language, asked = normalize(option), option
    else:
        language, asked = from_environment(environ)
    if language is None:
        return DEFAULT, tr_in(DEFAULT, "lang.unknown", language=asked, languages=", ".join(LANGUAGES))
    return language or DEFAULT, ""


def use(language: str) -> None:
    """Print in ``language`` (one of LANGUAGES) from now on, in this process."""
    if language not in LANGUAGES:
        raise ValueError(f"no messages in {language!r}")
    _state["language"] = language


@contextmanager
def speaking(language: str):
    """``with speaking("en"):`` messages in ``language`` inside the block, the language in use again after it."""
    before = _state["language"]
    use(language)
    try:
        yield
    finally:
        _state["language"] = before


def language() -> str:
    return _state["language"]


def is_english() -> bool:
    return _state["language"] == "en"


def catalog(language: str, domain: str = "evalrun") -> Catalog:
    key = (language, domain)
    found = _catalogs.get(key)
    if found is None:
        path = LOCALE_DIR / language / "LC_MESSAGES" / f"{domain}.po"
        found = _catalogs[key] = read_po(path) if path.exists() else Catalog({}, {})
    return found


def _text(language: str, msg_id: str, fields: dict) -> str:
    table = catalog(language)
    text = table.messages.get(msg_id)
    if text is None or text == "":
        text = catalog("en").messages.get(msg_id) if language != "en" else None
        if not text:
            return msg_id  # a missing message shows its id; tests/test_i18n.py keeps this from happening
        table = catalog("en")
    if fields and any(isinstance(v, Lazy) for v in fields.values()):  # a part of the message, in the same language
        fields = {k: _text(language, v.msg_id, v.fields) if isinstance(v, Lazy) else v for k, v in fields.items()}
    if isinstance(text, tuple):
        count = fields.get("count", 1)
        index = table.plural_index(int(count) if isinstance(count, (int, float)) else 1)
        text = text[min(index, len(text) - 1)]
    return text.format_map(fields) if fields else text.replace("{{", "{").replace("}}", "}")


def tr(msg_id: str, /, **fields) -> str:
    """The message ``msg_id`` in the language in use, its placeholders filled from ``fields``."""
    return _text(_state["language"], msg_id, fields)


def tr_in(language: str, msg_id: str, /, **fields) -> str:
    """The message in a given language, whatever the language in use (reports keep their templates' language)."""
    return _text(language, msg_id, fields)


class Lazy:
    """A message looked up when it is shown: str(), formatting and str's methods give the text."""

    __slots__ = ("msg_id", "fields")

    def __init__(self, msg_id: str, fields: dict):
        self.msg_id, self.fields = msg_id, fields

    def __str__(self) -> str:
        return _text(_state["language"], self.msg_id, self.fields)

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __len__(self) -> int:
        return len(str(self))

    def __bool__(self) -> bool:
        return True

    def __mod__(self, values):  # click's version message: "%(prog)s, version %(version)s" % {...}
        return str(self) % values

    def __add__(self, other):
        return str(self) + str(other)

    def __radd__(self, other):
        return str(other) + str(self)

    def __eq__(self, other):
        return str(self) == str(other)

    def __hash__(self):
        return hash(self.msg_id)

    def __getattr__(self, name):  # expandtabs, partition, splitlines, ...: str's methods on the text
        if name.startswith("__"):
            raise AttributeError(name)  # pickle and copy look for __setstate__ etc. before the slots are set
        return getattr(str(self), name)

    def __reduce__(self):
        return (Lazy, (self.msg_id, self.fields))

    def __repr__(self) -> str:
        return f"lazy({self.msg_id!r})"


def lazy(msg_id: str, /, **fields) -> Lazy:
    """The message ``msg_id``, looked up when shown; as a field of another message, in that message's language."""
    return Lazy(msg_id, fields)


def label(item, field: str = "name") -> str:
    """A rule's Chinese name, or its English one (``name_en``/``label_en``) under --lang en when the rules give one."""
    chinese = getattr(item, field, None) or ""
    if _state["language"] == "en":
        english = getattr(item, f"{field}_en", None)
        if english:
            return english
    return chinese
