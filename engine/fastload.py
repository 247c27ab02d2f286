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

import re

from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from .errors import EvalrunError, Source

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff\ud800-\udfff]")  # load.CONTROL_CHARACTERS

PREFIX = "tag:yaml.org,2002:"
STR, INT, MAP, SEQ = PREFIX + "str", PREFIX + "int", PREFIX + "map", PREFIX + "seq"
SCALAR_TAGS = frozenset(PREFIX + t for t in ("str", "int", "float", "bool", "null", "timestamp"))

_new = object.__new__
_set = object.__setattr__


class NotPlain(Exception):
    """The document needs the full constructor."""


def construct(loader, root, ldict, llist, max_depth: int, max_nodes: int):
    """The document under ``root`` as load.py's constructor builds it, or NotPlain."""
    return _Builder(loader, ldict, llist, max_depth, max_nodes).build(root, 0)


class _Builder:
    """One document's walk (a class, not closures, so that it leaves no reference cycles)."""

    def __init__(self, loader, ldict, llist, max_depth, max_nodes):
        self.loader, self.ldict, self.llist = loader, ldict, llist
        self.filename = loader.filename
        self.constructors = loader.yaml_constructors
        self.max_depth, self.max_nodes = max_depth, max_nodes
        self.seen: set[int] = set()
        self.count = 0
        self.escapes = getattr(loader, "escapes", True)

    def text(self, value: str) -> str:
        """A text, unless an escape put a control character in it: load.py's constructor says where."""
        if self.escapes and _CONTROL.search(value):
            raise NotPlain
        return value

    def place(self, node) -> Source:
        mark = node.start_mark
        source = _new(Source)
        _set(source, "__dict__", {"file": self.filename, "line": mark.line + 1, "column": mark.column + 1, "path": ()})
        return source

    def scalar(self, node):
        tag = node.tag
        if tag == STR:
            return self.text(node.value)
        if tag not in SCALAR_TAGS:
            raise NotPlain
        try:
            return self.constructors[tag](self.loader, node)
        except EvalrunError:
            raise NotPlain from None

    def build(self, node, depth):
        kind = node.__class__
        if kind is ScalarNode:
            self.count += 1
            return self.scalar(node)
        self.count += 1 + len(node.value) * (2 if kind is MappingNode else 1)
        if depth >= self.max_depth or self.count > self.max_nodes or id(node) in self.seen:
            raise NotPlain  # too deep or big, or an alias: load.py checks what it expands to
        self.seen.add(id(node))
        place = self.place
        if kind is MappingNode:
            if node.tag != MAP:
                raise NotPlain
            result = self.ldict()
            result.source = place(node)
            keys = result.key_sources = {}
            values = result.value_sources = {}
            for key_node, value_node in node.value:
                if key_node.__class__ is not ScalarNode:
                    raise NotPlain
                tag = key_node.tag
                if tag == STR:
                    key = self.text(key_node.value)
                elif tag == INT:
                    key = str(self.scalar(key_node))
                else:
                    raise NotPlain  # merge keys, `=`, and keys that are not text
                if key in result:
                    raise NotPlain  # load.py reports the duplicate
                keys[key] = place(key_node)
                values[key] = place(value_node)
                if value_node.__class__ is ScalarNode and value_node.tag == STR:
                    result[key] = self.text(value_node.value)
                else:
                    result[key] = self.build(value_node, depth + 1)
            return result
        if kind is SequenceNode:
            if node.tag != SEQ:
                raise NotPlain
            result = self.llist()
            result.source = place(node)
            result.item_sources = [place(child) for child in node.value]
            result.extend([self.build(child, depth + 1) for child in node.value])
            return result
        raise NotPlain


def cached_resolve(resolve):
    """``Resolver.resolve`` remembering the tags of short scalars: a document
    repeats the same keys and words, and libyaml asks about every one."""
    cache: dict = {}

    def cached(self, kind, value, implicit):
        if kind is not ScalarNode or self.yaml_path_resolvers:
            return resolve(self, kind, value, implicit)
        key = (value, implicit)
        tag = cache.get(key)
        if tag is None:
            tag = resolve(self, kind, value, implicit)
            if len(value) <= 64 and len(cache) < 20_000:
                cache[key] = tag
        return tag

    return cached
