"""Turning YAML nodes into LDict/LList quickly, for the common plain document.

PyYAML's constructor is general (aliases, merge keys, custom tags, deep
construction in generators) and that generality costs more than libyaml's
parsing. A project file is plain: mappings with text keys, lists, scalars.
``construct`` builds exactly what load.py's constructor builds for such a
document, in one direct walk over the nodes libyaml composed, and raises
``NotPlain`` at the first thing it does not handle: an alias (a node seen
twice), a merge key, an unusual tag, a duplicate or non-text key, a scalar
whose constructor refuses it, too deep or too big a document. load.py then
runs its own constructor, whose checks and messages are unchanged.
"""
from __future__ import annotations

from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from .errors import EvalrunError, Source

PREFIX = "tag:yaml.org,2002:"
STR, INT, MAP, SEQ = PREFIX + "str", PREFIX + "int", PREFIX + "map", PREFIX + "seq"
SCALAR_TAGS = frozenset(PREFIX + t for t in ("str", "int", "float", "bool", "null", "timestamp"))

_new = object.__new__
_set = object.__setattr__


class NotPlain(Exception):
    """The document needs the full constructor."""


def _source(filename: str, node) -> Source:
    mark = node.start_mark
    source = _new(Source)
    _set(source, "__dict__", {"file": filename, "line": mark.line + 1, "column": mark.column + 1, "path": ()})
    return source


def construct(loader, root, ldict, llist, max_depth: int, max_nodes: int):
    """The document under ``root`` as load.py's constructor builds it, or NotPlain."""
    filename = loader.filename
    constructors = loader.yaml_constructors
    seen: set[int] = set()
    count = 0

    def scalar(node):
        tag = node.tag
        if tag == STR:
            return node.value
        if tag not in SCALAR_TAGS:
            raise NotPlain
        try:
            return constructors[tag](loader, node)
        except EvalrunError:
            raise NotPlain from None

    def build(node, depth):
        nonlocal count
        count += 1
        if depth > max_depth or count > max_nodes:
            raise NotPlain
        kind = node.__class__
        if kind is ScalarNode:
            return scalar(node)
        if depth >= max_depth or id(node) in seen:
            raise NotPlain  # too deep for children, or an alias: load.py checks what it expands to
        seen.add(id(node))
        if kind is MappingNode:
            if node.tag != MAP:
                raise NotPlain
            result = ldict()
            result.source = _source(filename, node)
            keys = result.key_sources = {}
            values = result.value_sources = {}
            for key_node, value_node in node.value:
                if key_node.__class__ is not ScalarNode:
                    raise NotPlain
                count += 1
                tag = key_node.tag
                if tag == STR:
                    key = key_node.value
                elif tag == INT:
                    key = str(scalar(key_node))
                else:
                    raise NotPlain  # merge keys, `=`, and keys that are not text
                if key in result:
                    raise NotPlain  # load.py reports the duplicate
                keys[key] = _source(filename, key_node)
                values[key] = _source(filename, value_node)
                result[key] = build(value_node, depth + 1)
            return result
        if kind is SequenceNode:
            if node.tag != SEQ:
                raise NotPlain
            result = llist()
            result.source = _source(filename, node)
            result.item_sources = [_source(filename, child) for child in node.value]
            result.extend([build(child, depth + 1) for child in node.value])
            return result
        raise NotPlain

    return build(root, 0)
