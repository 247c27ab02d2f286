"""projectedit: a project file edited in place, for `evalrun import` into a file that exists.

`evalrun import` into an existing project file changes only the values the
form carries. The file is not rendered again: each change is made in the
file's own text, at the place the YAML parser reports for the value, so the
rest of the file (comments, blank lines, key order, quoting, the narrative)
stays byte for byte. The edited text is then loaded again and must give
exactly the data expected, or nothing is written.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from engine.errors import EvalrunError, InternalError, Source
from engine.files.load import load_text
from engine.files.validate import schema_errors
from engine.forms.projectfile import _check, flow_value, scalar
from engine.i18n import tr

ORDERS = {  # where a key the file lacks is added: after the last key it follows in this order
    (): ("project", "department", "implementing_unit", "fiscal_year", "illustrative", "report", "budget", "spending",
         "goals", "stated_weights", "indicators", "reported_total", "reported_grade", "reported_subtotals",
         "stated_total", "deductions", "narrative"),
    ("budget",): ("unit", "initial", "full_year", "adjusted", "executed", "current_appropriation",
                  "carried_over", "other", "explanation", "reported_score", "reported_rate"),
    **{("budget", part): ("initial", "full_year", "executed") for part in ("current_appropriation", "carried_over",
                                                                          "other")},
    ("indicators", "*"): ("level1", "level2", "name", "applicable", "note", "method", "target", "actual", "level",
                          "weight", "reported_score", "explanation", "parts"),
    ("indicators", "*", "parts", "*"): ("name", "target", "actual", "weight"),
    ("goals", "*"): ("expected", "achieved"),
}


class NotEditable(EvalrunError):
    """A value the file does not write out itself (an alias `*name`, a `<<` merge, an anchor `&name`
    others refer to), which an edit in place would change elsewhere too, or not at all."""


@dataclass(frozen=True)
class Edit:
    """One change to a project file.

    ``set``: the value at ``path`` becomes ``value`` (the key is added when the
    mapping lacks it). ``remove``: the key or list item at ``path`` goes.
    ``append``: ``value`` is added at the end of the list at ``path``.
    """

    kind: str
    path: tuple
    value: object = None


def edit(text: str, edits: list, filename: str = "<project file>") -> str:
    """``text`` with ``edits`` made in place; raises InternalError if the result does not read back as meant."""
    if not edits:
        return text
    if text.startswith("\ufeff"):  # a BOM is kept, but the parser's positions do not count it
        return "\ufeff" + edit(text[1:], edits, filename)
    original = load_text(text, filename)
    editor = _Editor(text, filename)
    for change in edits:
        editor.apply(change)
    result = editor.result()
    expected = _plain(original)
    for change in _data_order(edits):
        _apply_to_data(expected, change)
    try:
        _check(result, expected, schema=not schema_errors(original, "project", filename))
    except (EvalrunError, InternalError):
        if re.search(r"(^|[\s:,\[{-])[&*]\S|<<\s*:", text):  # anchors, aliases or merges the edit disturbed
            raise NotEditable(tr("edit.anchors"), Source(filename, 1)) from None
        raise
    return result


def _data_order(edits: list) -> list:
    """Values set first, then list items removed from the last, then items appended: the indices of
    an edit are those of the file as it was."""
    sets = [e for e in edits if e.kind == "set"]
    removals = sorted((e for e in edits if e.kind == "remove"), reverse=True, key=lambda e: (
        tuple(str(p) for p in e.path[:-1]), e.path[-1] if isinstance(e.path[-1], int) else -1))
    return sets + removals + [e for e in edits if e.kind == "append"]


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _apply_to_data(data, change: Edit) -> None:
    *parents, last = change.path
    node = data
    for part in parents:
        node = node[part]
    if change.kind == "set":
        node[last] = _plain(change.value)
    elif change.kind == "remove":
        del node[last]
        if isinstance(node, dict) and not node and parents:  # an emptied mapping goes with its key
            _apply_to_data(data, Edit("remove", tuple(parents)))
    elif change.kind == "append":
        node[last].append(_plain(change.value))
    else:
        raise InternalError(f"unknown edit {change.kind}")


def _order(path: tuple) -> tuple:
    generic = tuple("*" if isinstance(p, int) else p for p in path)
    return ORDERS.get(generic, ())


class _Editor:
    """Replacements of spans of the original text, collected and made at the end."""

    def __init__(self, text: str, filename: str = "<project file>"):
        self.text, self.filename = text, filename
        self.root = yaml.compose(text, Loader=yaml.SafeLoader)
        self.sep = "\r\n" if "\r\n" in text else "\n"
        self.spans: list = []  # (start, end, replacement, sequence)

    # ---- finding nodes

    def node(self, path: tuple):
        """The node at ``path`` and whether it is inside `{ }` or `[ ]`; NotEditable when the file does
        not write it out where it is used."""
        node, flow = self.root, False
        for depth, part in enumerate(path):
            flow = flow or bool(getattr(node, "flow_style", False))
            parent = node
            if isinstance(node, yaml.MappingNode):
                found = [(k, v) for k, v in node.value if k.value == part]
                if not found:
                    self.refuse(parent, path[: depth + 1], tr("edit.from_merge"))
                key, node = found[0]
                if node.start_mark.index < key.end_mark.index:
                    self.refuse(key, path[: depth + 1], tr("edit.is_alias"))
            else:
                node = node.value[part]
                if node.start_mark.index < parent.start_mark.index:
                    self.refuse(parent, path[: depth + 1], tr("edit.is_alias"))
            if self.text.startswith("&", node.start_mark.index):
                self.refuse(node, path[: depth + 1], tr("edit.has_anchor"))
        return node, flow or bool(getattr(node, "flow_style", False))

    def refuse(self, node, path: tuple, why: str):
        where = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in path).replace(".[", "[")
        raise NotEditable(tr("edit.refused", where=where, why=why),
                          Source(self.filename, node.start_mark.line + 1, node.start_mark.column + 1))

    def entry(self, mapping, key: str):
        for index, (k, v) in enumerate(mapping.value):
            if k.value == key:
                return index, k, v
        return None

    def end(self, node) -> int:
        """Where the node's own text ends: a block scalar without its trailing line breaks,
        a block collection where its last value ends."""
        if isinstance(node, yaml.ScalarNode):
            if node.style in ("|", ">"):
                return node.start_mark.index + len(self.text[node.start_mark.index:node.end_mark.index].rstrip())
            return node.end_mark.index
        if getattr(node, "flow_style", False) or not node.value:
            return node.end_mark.index
        last = node.value[-1]
        return self.end(last[1] if isinstance(node, yaml.MappingNode) else last)

    def line_start(self, index: int) -> int:
        return self.text.rfind("\n", 0, index) + 1

    def line_end(self, index: int) -> int:
        """The index just past the line break of the line holding ``index`` (its comment included)."""
        found = self.text.find("\n", index)
        return len(self.text) if found < 0 else found + 1

    def starts_line(self, index: int) -> bool:
        return not self.text[self.line_start(index):index].strip()

    def _blank_before(self, index: int) -> bool:
        return index == 0 or not self.text[self.line_start(index - 1):index].strip()

    def _blank_at(self, index: int) -> bool:
        return index >= len(self.text) or not self.text[index:self.line_end(index)].strip()

    def column(self, index: int) -> int:
        return index - self.line_start(index)

    # ---- edits

    def put(self, start: int, end: int, replacement: str) -> None:
        self.spans.append((start, end, replacement, len(self.spans)))

    def apply(self, change: Edit) -> None:
        if change.kind == "set":
            parent, _ = self.node(change.path[:-1])
            if isinstance(parent, yaml.MappingNode) and self.entry(parent, change.path[-1]) is None:
                self.add(change.path, change.value)
            else:
                self.replace(change.path, change.value)
        elif change.kind == "remove":
            self.remove(change.path)
        elif change.kind == "append":
            self.append(change.path, change.value)
        else:
            raise InternalError(f"unknown edit {change.kind}")

    def replace(self, path: tuple, value) -> None:
        node, flow = self.node(path)
        if not isinstance(node, yaml.ScalarNode):
            raise InternalError(f"only single values are replaced in place ({'/'.join(map(str, path))})")
        start, end = node.start_mark.index, self.end(node)
        new = flow_value(value, flow)  # a number that becomes a mapping (a fund part given more columns) goes in { }
        # keep a comment after the value in its column: `initial: 990          # 年初预算数`
        gap = re.match(r"( +)#", self.text[end:self.line_end(end)])
        if gap and not flow:
            spaces = max(1, len(gap[1]) - (len(new) - (end - start)))
            self.put(start, end + len(gap[1]), new + " " * spaces)
        else:
            self.put(start, end, new)

    def add(self, path: tuple, value) -> None:
        *parents, key = path
        mapping, flow = self.node(tuple(parents))
        order = _order(tuple(parents))
        before = order[: order.index(key)] if key in order else tuple(k.value for k, _ in mapping.value)
        anchor = None
        for index, (k, v) in enumerate(mapping.value):
            if k.value in before:
                anchor = index
        if anchor is None:
            anchor = len(mapping.value) - 1
        _, last_value = mapping.value[anchor]
        if flow or not mapping.value:
            if not mapping.value:
                raise InternalError(f"cannot add `{key}` to a mapping written in {{ }}")
            self.put(self.end(last_value), self.end(last_value), f", {scalar(key, True)}: {flow_value(value, True)}")
            return
        indent = self.column(mapping.value[0][0].start_mark.index)
        at = self.line_end(self.end(last_value))
        lines = _block_lines(key, value, indent)
        if not parents and (isinstance(value, (dict, list)) or not isinstance(last_value, yaml.ScalarNode)):
            lines.insert(0, "")  # a top-level section starts after a blank line, as the file's others do
        prefix = "" if self.text[:at].endswith("\n") else self.sep
        self.put(at, at, prefix + self.sep.join(lines) + self.sep)

    def remove(self, path: tuple) -> None:
        *parents, key = path
        parent, flow = self.node(tuple(parents))
        if isinstance(parent, yaml.SequenceNode):
            self.remove_item(parent, key, flow)
            return
        index, key_node, value_node = self.entry(parent, key)
        if len(parent.value) == 1 and parents:
            self.remove(tuple(parents))  # the mapping would be empty: its key goes too
            return
        if flow:
            if index + 1 < len(parent.value):
                self.put(key_node.start_mark.index, parent.value[index + 1][0].start_mark.index, "")
            else:
                self.put(self.end(parent.value[index - 1][1]), self.end(value_node), "")
        elif self.starts_line(key_node.start_mark.index):
            start, end = self.line_start(key_node.start_mark.index), self.line_end(self.end(value_node))
            if not parents and self._blank_before(start) and self._blank_at(end):
                end = self.line_end(end)  # a section between blank lines: one blank line stays
            self.put(start, end, "")
        else:  # the first key of a `- key: value` item: the next key moves up to its place
            self.put(key_node.start_mark.index, parent.value[index + 1][0].start_mark.index, "")

    def remove_item(self, sequence, index: int, flow: bool) -> None:
        items = sequence.value
        item = items[index]
        if len(items) == 1:
            raise InternalError("cannot remove the only item of a list")
        if flow:
            if index + 1 < len(items):
                self.put(item.start_mark.index, items[index + 1].start_mark.index, "")
            else:
                self.put(self.end(items[index - 1]), self.end(item), "")
            return
        dash = self.text.rfind("-", 0, item.start_mark.index)
        self.put(self.line_start(dash), self.line_end(self.end(item)), "")

    def append(self, path: tuple, value) -> None:
        sequence, flow = self.node(path)
        if flow or not sequence.value:
            raise InternalError("cannot add an item to a list written in [ ]")
        last = sequence.value[-1]
        dash = self.text.rfind("-", 0, last.start_mark.index)
        at = self.line_end(self.end(last))
        lines = _item_lines(value, self.column(dash))
        prefix = "" if self.text[:at].endswith("\n") else self.sep
        self.put(at, at, prefix + self.sep.join(lines) + self.sep)

    def result(self) -> str:
        out, position = [], 0
        # at one place, additions come before a removal or replacement that starts there
        for start, end, replacement, _ in sorted(self.spans, key=lambda s: (s[0], s[1] > s[0], s[3])):
            if start < position:
                raise InternalError("two edits of the project file overlap")
            out.append(self.text[position:start])
            out.append(replacement)
            position = end
        out.append(self.text[position:])
        return "".join(out)


def _block_lines(key: str, value, indent: int) -> list:
    pad = " " * indent
    if isinstance(value, dict):
        return [f"{pad}{scalar(key)}:"] + [line for k, v in value.items() for line in _block_lines(k, v, indent + 2)]
    if isinstance(value, list):
        return [f"{pad}{scalar(key)}:"] + [line for item in value for line in _item_lines(item, indent + 2)]
    return [f"{pad}{scalar(key)}: {scalar(value)}"]


def _item_lines(value, indent: int) -> list:
    pad = " " * indent
    if isinstance(value, dict):
        lines = [line for k, v in value.items() for line in _block_lines(k, v, indent + 2)]
        return [f"{pad}- {lines[0].lstrip()}"] + lines[1:] if lines else [f"{pad}- {{}}"]
    return [f"{pad}- {scalar(value)}"]
