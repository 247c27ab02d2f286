"""One pass over a YAML file: LDict/LList built straight from libyaml's events.

PyYAML's way (compose a tree of nodes, then construct Python objects from
it with a general constructor) costs several times what libyaml's parsing
does. A project file is plain: mappings with text keys, lists, scalars.
``build`` reads libyaml's events once and builds exactly what load.py's
constructor builds for such a document, checking the size and nesting
limits as it goes (so a file of a million tiny values is refused without
building them), and keeping every position as plain numbers: the Source
objects are made when something asks for one (located.Places).

It raises ``NotPlain`` at the first thing it does not handle: an anchor or
alias, a merge key, a tag, a key that is not text or a whole number, a
duplicate key, a scalar its constructor refuses, a second document.
load.py then reads the file its full way (the shape check, PyYAML's
composer and its own constructor), so every message about such a file,
and which of several problems is reported, is what it always was. A
syntax error is raised by libyaml here at the same event as there.
"""
from __future__ import annotations

import re
from decimal import Decimal

from yaml.events import (
    DocumentEndEvent, MappingEndEvent, MappingStartEvent, ScalarEvent, SequenceEndEvent,
    SequenceStartEvent, StreamEndEvent,
)
from yaml.nodes import ScalarNode

from engine.errors import EvalrunError

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff\ud800-\udfff]")  # load.CONTROL_CHARACTERS

PREFIX = "tag:yaml.org,2002:"
STR, INT, FLOAT = PREFIX + "str", PREFIX + "int", PREFIX + "float"
SCALAR_TAGS = frozenset(PREFIX + t for t in ("str", "int", "float", "bool", "null", "timestamp"))
_PLAIN = (True, False)  # a plain scalar's `implicit`: its tag is resolved from its text

try:
    from yaml._yaml import CParser as _Parser  # libyaml
except ImportError:  # pragma: no cover - PyYAML without libyaml: the full path reads every file
    _Parser = None


class NotPlain(Exception):
    """The document needs load.py's full way."""


class Shape(Exception):
    """The document is too deep (``kind`` 'depth') or holds too many values ('values'), at ``mark``."""

    def __init__(self, kind: str, mark):
        super().__init__(kind)
        self.kind, self.mark = kind, mark


def build(text: str, filename: str, ldict, llist, loader, max_depth: int, max_values: int):
    """The document in ``text`` as load.py's constructor builds it, or NotPlain / Shape.

    ``loader`` is a loader of load.py, used for its tag resolution and its
    scalar constructors (numbers, true/false, null, dates as text).
    """
    if _Parser is None:
        raise NotPlain
    get = _Parser(text).get_event
    get()  # the stream starts
    event = get()
    if event.__class__ is StreamEndEvent:
        return None  # no document: an empty file
    resolve, constructors, tags = loader.resolve, loader.yaml_constructors, _TAGS
    count = depth = 0
    # The open collection, in locals (the loop's hot path reads them): ``container``, its ``places`` (None
    # for a list), the pending ``key`` of a mapping and ``key_mark`` where it was read (for a list: the
    # positions of its items). The enclosing ones wait on ``stack``.
    container = places = key = key_mark = None
    stack: list = []
    root = None
    while True:
        event = get()
        kind = event.__class__
        if kind is ScalarEvent:
            count += 1
            if count > max_values:
                raise Shape("values", event.start_mark)
            if event.anchor is not None or event.tag is not None:
                raise NotPlain
            value, style = event.value, event.style
            if style:
                if style == '"' and _CONTROL.search(value):
                    raise NotPlain  # an escape wrote a control character: load.py's constructor says where
            else:  # plain: the tag depends on the text (1, 1.5, true, ~, 2025-04-27, text)
                tag = tags.get(value)
                if tag is None:
                    tag = resolve(ScalarNode, value, _PLAIN)
                    if len(value) <= 64 and len(tags) < 4096:  # keys and words repeat; the first
                        tags[value] = tag                          # files fill it, and it stops growing
                if tag != STR:
                    if places is not None and key is None:  # a key
                        if tag != INT:
                            raise NotPlain  # true:, 1.5:, ~: and other keys that are not text
                        value = str(_scalar(loader, constructors, tag, event))
                    else:
                        value = _scalar(loader, constructors, tag, event)
            if container is None:  # the document is one scalar
                root = value
                break
            mark = event.start_mark
            if places is None:  # an item of a list
                key_mark.append((mark.line, mark.column))
                container.append(value)
            elif key is None:  # a mapping's key
                if value in container or value.__class__ is not str:
                    raise NotPlain  # a duplicate: the full way reports it
                key, key_mark = value, mark
            else:
                places[key] = (key_mark.line, key_mark.column, mark.line, mark.column)
                container[key] = value
                key = None
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            depth += 1
            if depth > max_depth:
                raise Shape("depth", event.start_mark)
            count += 1
            if count > max_values:
                raise Shape("values", event.start_mark)
            if event.anchor is not None or event.tag is not None:
                raise NotPlain
            mark = event.start_mark
            if kind is MappingStartEvent:
                value, inner = ldict(), {}
            else:
                value, inner = llist(), []
            value._at = (filename, mark.line, mark.column, inner)
            if container is None:
                root = value
            elif places is None:
                key_mark.append((mark.line, mark.column))
                container.append(value)
            elif key is None:
                raise NotPlain  # a mapping or list as a key
            else:
                places[key] = (key_mark.line, key_mark.column, mark.line, mark.column)
                container[key] = value
            stack.append((container, places, key_mark))  # its pending key, if any, is now taken
            container, key = value, None
            if kind is MappingStartEvent:
                places, key_mark = inner, None
            else:
                places, key_mark = None, inner
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            depth -= 1
            container, places, key_mark = stack.pop()
            key = None
            if container is None:
                break
        else:  # an alias; libyaml gives no other event inside a document
            raise NotPlain
    if get().__class__ is not DocumentEndEvent or get().__class__ is not StreamEndEvent:
        raise NotPlain  # a second document: the full way says so
    return root


_DECIMAL_TEXT = re.compile(r"[0-9]+\.[0-9]+")  # 547.6879: what most amounts look like


def _scalar(loader, constructors, tag: str, event):
    """A plain scalar that is not text, by load.py's constructor for its tag.

    Plain digits (``2025``) and plain decimals (``547.6879``) within load.py's limits are read here, as its
    constructors read them; every other form, and every number past a limit, goes to them (and their messages)."""
    text = event.value
    if tag == INT:
        if text.isascii() and text.isdigit() and len(text) <= loader.number_limits[0]:
            return int(text)  # 010 is ten, as load.py reads it
    elif tag == FLOAT and _DECIMAL_TEXT.fullmatch(text):
        digits, places = loader.number_limits
        number = Decimal(text)
        if number.adjusted() < digits and len(text) - text.index(".") - 1 <= places:
            return number
    if tag not in SCALAR_TAGS:
        raise NotPlain
    node = ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
    try:
        return constructors[tag](loader, node)
    except EvalrunError:
        raise NotPlain from None  # the full way reports it, after the shape check


_TAGS: dict = {}  # a plain scalar's text -> its resolved tag: documents repeat the same keys and words


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
            if len(value) <= 64 and len(cache) < 8192:  # keys and words; most numbers are met once
                cache[key] = tag
        return tag

    return cached
