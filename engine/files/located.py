"""located: data read from a file that remembers where every part of it was written.

``LDict`` and ``LList`` are ordinary dicts and lists that also carry the
``Source`` (file, line, column) of themselves, of each key and of each
value; ``Places`` holds those positions packed as numbers, making a Source
only when a message asks for one. The YAML loader (engine.files.load) makes
them; everything after it reads them.
"""
from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from engine.errors import Source


class _Lazy:
    """An attribute made from the loader's plain positions (``_at``) when first read, then kept."""

    def __init__(self, make):
        self.make, self.name = make, make.__name__

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        at = obj.__dict__.get("_at")
        if at is None:
            raise AttributeError(self.name)
        value = obj.__dict__[self.name] = self.make(obj, at)
        return value


class Places(MutableMapping):
    """key -> Source, for the keys (or the values) of a mapping read from a file.

    The loader keeps ``packed``: key -> (key line, key column, value line,
    value column), 0-based; ``offset`` picks the key's (0) or the value's (2).
    A Source is made when first asked for, so a file read and scored without
    any message about it makes almost none.
    """

    __slots__ = ("file", "packed", "offset", "made", "owned")

    def __init__(self, file: str, packed: dict, offset: int, made: dict | None = None, owned: bool = False):
        self.file, self.packed, self.offset = file, packed, offset
        self.made = {} if made is None else made
        self.owned = owned  # False while ``packed`` is shared with the other Places of the mapping

    def __getitem__(self, key) -> Source:
        source = self.made.get(key)
        if source is None:
            place = self.packed[key]
            source = self.made[key] = Source(self.file, place[self.offset] + 1, place[self.offset + 1] + 1)
        return source

    def get(self, key, default=None):
        if key in self.packed:
            return self[key]
        return default

    def __contains__(self, key) -> bool:
        return key in self.packed

    def __iter__(self):
        return iter(self.packed)

    def __len__(self) -> int:
        return len(self.packed)

    def _own(self) -> None:
        if not self.owned:
            self.packed, self.owned = dict(self.packed), True

    def __setitem__(self, key, source: Source) -> None:
        self._own()
        self.packed[key] = None
        self.made[key] = source

    def __delitem__(self, key) -> None:
        self._own()
        del self.packed[key]
        self.made.pop(key, None)

    def __reduce__(self):
        if not self.owned:  # every Source can be made again from ``packed``: pickled (cache, --jobs) without them
            return (Places, (self.file, self.packed, self.offset))
        return (Places, (self.file, self.packed, self.offset, self.made, self.owned))

    def __repr__(self) -> str:
        return f"Places({dict(self.items())!r})"


class LDict(dict):
    """A mapping read from a file; ``source`` is where it starts.

    The loader sets ``_at`` = (file, line, column, places), 0-based, with
    places as in ``Places``; ``source``, ``key_sources`` and
    ``value_sources`` are made from it when first read (or set outright).
    """

    source: Source
    key_sources: MutableMapping
    value_sources: MutableMapping
    problems: list  # set on a merged ruleset: what could not be merged (engine.rules.rulesets)

    @_Lazy
    def source(self, at) -> Source:
        return Source(at[0], at[1] + 1, at[2] + 1)

    @_Lazy
    def key_sources(self, at) -> Places:
        return Places(at[0], at[3], 0)

    @_Lazy
    def value_sources(self, at) -> Places:
        return Places(at[0], at[3], 2)

    def source_of(self, key) -> Source:
        found = self.value_sources.get(key)
        return self.source if found is None else found

    def key_source(self, key) -> Source:
        found = self.key_sources.get(key)
        return self.source if found is None else found


class LList(list):
    """A list read from a file; ``item_sources[i]`` is where item i starts.

    The loader sets ``_at`` = (file, line, column, [(line, column) of each
    item]), 0-based; ``source`` and ``item_sources`` are made from it when
    first read (or set outright).
    """

    source: Source
    item_sources: list

    @_Lazy
    def source(self, at) -> Source:
        return Source(at[0], at[1] + 1, at[2] + 1)

    @_Lazy
    def item_sources(self, at) -> list:
        return [Source(at[0], line + 1, column + 1) for line, column in at[3]]

    def source_of(self, index: int) -> Source:
        made = self.__dict__
        if "item_sources" not in made and "_at" in made:
            at = made["_at"]
            if isinstance(index, int) and 0 <= index < len(at[3]):
                line, column = at[3][index]
                return Source(at[0], line + 1, column + 1)
            return self.source
        if 0 <= index < len(self.item_sources):
            return self.item_sources[index]
        return self.source


def source_of(data: Any, path, fallback: Source | None = None) -> Source:
    """The most precise known place of ``data[path[0]][path[1]]...``."""
    best = getattr(data, "source", fallback or Source())
    node = data
    for part in path:
        if isinstance(node, LDict) and part in node:
            best = node.source_of(part)
            node = node[part]
        elif isinstance(node, LList) and isinstance(part, int) and part < len(node):
            best = node.source_of(part)
            node = node[part]
        else:
            break
    return best
