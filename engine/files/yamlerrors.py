"""yamlerrors: PyYAML's syntax errors, reworded as one line a finance officer can act on.

A tab in the indentation, an unclosed bracket or quote, a `key: value`
at the wrong indentation, a recursive alias or a tag are named for what
they are, at the line (and, for something left open, the place it opened).
"""
from __future__ import annotations

import re

import yaml

from engine.errors import EvalrunError, Source
from engine.i18n import tr


# PyYAML's wording of common mistakes -> what a non-programmer can act on.
# "opened" problems point at where the unclosed thing starts (the context mark).
_YAML_HINTS = (
    ("mapping values are not allowed", False, lambda: tr("yaml.mapping_not_allowed")),
    ("did not find expected key", False, lambda: tr("yaml.expected_key")),
    ("could not find expected ':'", False, lambda: tr("yaml.missing_colon")),
    ("did not find expected ',' or '}'", True, lambda: tr("yaml.unclosed_brace")),
    ("did not find expected ',' or ']'", True, lambda: tr("yaml.unclosed_bracket")),
    ("found unexpected end of stream", True, lambda: tr("yaml.unclosed_quote")),
    ("but found another document", False, lambda: tr("yaml.second_document")),
    ("found undefined alias", False, lambda: tr("yaml.undefined_alias")),
    ("found duplicate anchor", False, lambda: tr("yaml.duplicate_anchor")),
    ("cannot start any token", False, lambda: tr("yaml.bad_start")),
)


def _line_at(text: str, mark) -> str:
    """The line of ``mark`` as YAML counts lines, or ''."""
    if mark is None or not text:
        return ""
    lines = re.split("\r\n|[\r\n\x85\u2028\u2029]", text)
    return lines[mark.line] if 0 <= mark.line < len(lines) else ""


def _tab_column(text: str, mark) -> int:
    """The 1-based column of a tab in the indentation of ``mark``'s line, or 0."""
    line = _line_at(text, mark)
    indent = line[: len(line) - len(line.lstrip(" \t"))]
    return indent.index("\t") + 1 if "\t" in indent else 0


def _char_at(text: str, mark) -> str:
    line = _line_at(text, mark)
    return line[mark.column] if mark is not None and 0 <= mark.column < len(line) else ""


def yaml_error(exc: yaml.MarkedYAMLError, filename: str, text: str = "") -> EvalrunError:
    problem = exc.problem or tr("yaml.cannot_read")
    mark = exc.problem_mark or exc.context_mark
    recursive = "recursive" in problem  # PyYAML's "unconstructable recursive node": no tab problem
    tab = 0 if recursive else _tab_column(text, exc.problem_mark)
    if tab:  # PyYAML words a tab in the indentation in several ways, some of them misleading
        return EvalrunError(tr("yaml.tab"), Source(filename, exc.problem_mark.line + 1, tab))
    if recursive:
        anchor = _anchor_at(text, mark)
        message = tr("yaml.recursive_alias", anchor=anchor) if anchor else tr("yaml.recursive_alias_unnamed")
    elif ("'\\t'" in problem or "\\t" in problem or "tab character" in problem.lower()
          or _char_at(text, exc.problem_mark) == "\t"):
        message = tr("yaml.tab")
    elif "cannot start any token" in problem and _char_at(text, exc.problem_mark) in ("@", "`", "%"):
        message = tr("yaml.syntax_bad_start", char=_char_at(text, exc.problem_mark))
    elif "could not determine a constructor" in problem:
        tag = problem.rsplit(" ", 1)[-1].strip("'").replace("tag:yaml.org,2002:", "!!")
        message = tr("yaml.tag_refused", tag=tag)
    else:
        for words, at_opening, hint in _YAML_HINTS:
            if words in problem or words in (exc.context or ""):
                message = tr("yaml.syntax", hint=hint())
                if at_opening and exc.context_mark:
                    mark = exc.context_mark
                break
        else:
            message = tr("yaml.syntax_other", problem=problem, context=f" ({exc.context})" if exc.context else "")
    line = mark.line + 1 if mark else 0
    column = mark.column + 1 if mark else 0
    return EvalrunError(" ".join(message.split()), Source(filename, line, column))


def _anchor_at(text: str, mark) -> str:
    """The anchor name written at ``mark`` (`&name`), if any."""
    if not mark or not text:
        return ""
    lines = text.splitlines()
    if mark.line >= len(lines):
        return ""
    found = re.match(r"&([^\s,\[\]{}]+)", lines[mark.line][mark.column:])
    return found.group(1) if found else ""
