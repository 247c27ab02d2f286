"""Reading gettext catalogs (.po files) quickly, with the standard library only.

The catalogs ship as the .po sources themselves: reading one of a few hundred
messages takes about a millisecond, less than compiling it to .mo would save,
and it works the same from a checkout, an editable install and a wheel.
Entries marked ``#, fuzzy`` are skipped, as msgfmt skips them. A plural
entry reads as a tuple of its forms; the header's Plural-Forms expression
says which form a count takes.
"""
from __future__ import annotations

import re
from pathlib import Path

_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r"}
_ESCAPE = re.compile(r"\\(.)")


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        raise ValueError(f"not a quoted string: {text}")
    body = text[1:-1]
    return _ESCAPE.sub(lambda m: _ESCAPES.get(m.group(1), m.group(1)), body) if "\\" in body else body


class Catalog:
    """The messages of one .po file: ``messages[msgid]`` is a text, or a tuple of plural forms."""

    def __init__(self, messages: dict, headers: dict):
        self.messages, self.headers = messages, headers
        self._plural = None

    def plural_index(self, count: int) -> int:
        if self._plural is None:
            forms = self.headers.get("plural-forms", "")
            found = re.search(r"plural=([^;]+)", forms)
            if found and found.group(1).strip() not in ("0", "(0)"):
                from gettext import c2py

                self._plural = c2py(found.group(1).strip())
            else:
                self._plural = lambda n: 0
        return self._plural(count)


def read_po(path: Path) -> Catalog:
    """The messages of a .po file (a FileNotFoundError if it is missing, a ValueError if it is malformed)."""
    messages: dict = {}
    entry: dict = {}
    key = None
    fuzzy = False

    def finish():
        nonlocal entry, key, fuzzy
        if "msgid" in entry and not fuzzy:
            if "plural" in entry:
                forms = tuple(entry[i] for i in sorted(k for k in entry if isinstance(k, int)))
                messages[entry["msgid"]] = forms
            else:
                messages[entry["msgid"]] = entry.get("msgstr", "")
        entry, key, fuzzy = {}, None, False

    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        try:
            if not line.strip():
                continue
            if line[0] == "#":
                if key is not None and key != "msgid" and key != "plural":
                    finish()
                if line.startswith("#,") and "fuzzy" in line:
                    fuzzy = True
                continue
            if line[0] == '"':
                entry[key] += _unquote(line)
                continue
            word, _, rest = line.partition(" ")
            if word == "msgid":
                if key is not None:
                    finish()
                key = "msgid"
            elif word == "msgid_plural":
                key = "plural"
            elif word == "msgstr":
                key = "msgstr"
            elif word.startswith("msgstr["):
                key = int(word[7:-1])
            elif word == "msgctxt":
                raise ValueError("msgctxt is not used in evalrun's catalogs")
            else:
                raise ValueError(f"unexpected `{word}`")
            entry[key] = _unquote(rest)
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: {exc}") from None
    finish()
    header = messages.pop("", "")
    headers = {}
    for row in header.splitlines():
        name, _, value = row.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Catalog(messages, headers)
