"""yamlerrors: PyYAML's syntax errors, reworded as one line a finance officer can act on.

A tab in the indentation, an unclosed bracket or quote, a `key: value`
at the wrong indentation, a recursive alias or a tag are named for what
they are, at the line (and, for something left open, the place it opened).
"""
from __future__ import annotations

import re

import yaml

from engine.errors import EvalrunError, Source


# PyYAML's wording of common mistakes -> what a non-programmer can act on.
# "opened" problems point at where the unclosed thing starts (the context mark).
_YAML_HINTS = (
    ("mapping values are not allowed", False,
     "a `key: value` is not allowed here; check this line's indentation against the lines above, "
     "or put a value that contains `: ` in quotes"),
    ("did not find expected key", False,
     "expected a `key: value` line here; check the indentation, and that a `- ` list line "
     "is not mixed into a mapping"),
    ("could not find expected ':'", False, "expected `key: value` here; a line is missing its `:`"),
    ("did not find expected ',' or '}'", True, "a `{` opened here is never closed with `}` (or its items lack commas)"),
    ("did not find expected ',' or ']'", True, "a `[` opened here is never closed with `]` (or its items lack commas)"),
    ("found unexpected end of stream", True, "a quote opened here is never closed"),
    ("but found another document", False,
     "a second YAML document starts here (a `---` line); a file holds one document: remove the line"),
    ("found undefined alias", False, "an alias `*name` refers to no anchor `&name`"),
    ("found duplicate anchor", False, "the anchor `&name` is defined twice"),
    ("cannot start any token", False,
     "a value cannot start with this character (`@`, `` ` `` or `%`); put the value in quotes"),
)
_TAB = "a tab character is used for indentation; YAML needs spaces"


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
    problem = exc.problem or "cannot read YAML"
    mark = exc.problem_mark or exc.context_mark
    recursive = "recursive" in problem  # PyYAML's "unconstructable recursive node": no tab problem
    tab = 0 if recursive else _tab_column(text, exc.problem_mark)
    if tab:  # PyYAML words a tab in the indentation in several ways, some of them misleading
        return EvalrunError(_TAB, Source(filename, exc.problem_mark.line + 1, tab))
    if recursive:
        anchor = _anchor_at(text, mark)
        message = (f"the alias `*{anchor}` is used inside the value its anchor `&{anchor}` names, so the value would "
                   "contain itself without end (a recursive alias); an alias may only repeat a value written "
                   "before it, outside it") if anchor else (
                   "an alias (*name) is used inside the value its anchor (&name) names, so the value would contain "
                   "itself without end (a recursive alias); an alias may only repeat a value written before it")
    elif ("'\\t'" in problem or "\\t" in problem or "tab character" in problem.lower()
          or _char_at(text, exc.problem_mark) == "\t"):
        message = _TAB
    elif "cannot start any token" in problem and _char_at(text, exc.problem_mark) in ("@", "`", "%"):
        message = (f"YAML syntax error: a value cannot start with `{_char_at(text, exc.problem_mark)}`; "
                   "put the value in quotes")
    elif "could not determine a constructor" in problem:
        tag = problem.rsplit(" ", 1)[-1].strip("'").replace("tag:yaml.org,2002:", "!!")
        message = f"the tag `{tag}` is not allowed; evalrun reads plain data only (text, numbers, lists, mappings)"
    else:
        for words, at_opening, hint in _YAML_HINTS:
            if words in problem or words in (exc.context or ""):
                message = f"YAML syntax error: {hint}"
                if at_opening and exc.context_mark:
                    mark = exc.context_mark
                break
        else:
            message = f"YAML syntax error: {problem}"
            if exc.context:
                message += f" ({exc.context})"
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
