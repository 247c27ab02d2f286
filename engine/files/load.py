"""load: YAML text -> plain data that remembers where every value came from.

Built on PyYAML's safe loader (libyaml's C parser where installed). Mappings
and lists come back as ``LDict``/``LList``: ordinary dicts and lists that
also carry the ``Source`` of themselves, of each key and of each value.
Duplicate keys, non-finite numbers, alias bombs, huge files, files that
are not UTF-8, recursive aliases and control characters (raw, or written as
an escape such as ``"\v"`` in a quoted text) are refused here with the file
and line.

Control characters: a value may hold a tab and line breaks, nothing else
below U+0020 (no NUL, no vertical tab, the character Word's manual line
break becomes when copied, no carriage return); they are refused rather than
dropped, since XML (Word and Excel files) cannot hold them and silently
changing a published text is worse than asking.

Duplicate keys, non-finite numbers, alias bombs, huge files and files that
are not UTF-8 are refused here with the file and line.

A plain file is read in one pass over libyaml's events (engine.files.fastload),
positions kept as numbers until a ``Source`` is asked for; anything else
(anchors, tags, merge keys, a mistake) is read PyYAML's way, below.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from engine.errors import EvalrunError, Source
from engine.i18n import tr
from engine.files.fastload import NotPlain, Shape, build, cached_resolve
from engine.files.located import LDict, LList
from engine.files.reading import read_file
from engine.files.yamlerrors import yaml_error

MAX_VALUES = 50_000  # scalars, mappings and lists as written; real files hold a few thousand
MAX_EXPANDED_NODES = 200_000  # the same, after aliases (*name) are expanded
MAX_DEPTH = 64
# The range of every number in rules and data (targets and actual values too, engine/rules/targets.py):
# at most 15 digits before the decimal point (10^15 元 is beyond any budget) and 10 after it.
MAX_DIGITS = 15
MAX_PLACES = 10

# Characters a value may not hold: C0 controls other than tab and line feed, and what XML cannot hold.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff\ud800-\udfff]")
# Characters YAML refuses in a file as written (raw): the same as libyaml's and PyYAML's readers.
_UNREADABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_CONTROL_NAMES = {0x00: lambda: tr("load.char.nul"), 0x09: lambda: tr("load.char.tab"),
                  0x0B: lambda: tr("load.char.vertical_tab"), 0x0C: lambda: tr("load.char.form_feed"),
                  0x0D: lambda: tr("load.char.carriage_return"), 0x1B: lambda: tr("load.char.escape"),
                  0x7F: lambda: tr("load.char.delete"), 0xFFFE: lambda: tr("load.char.non_character"),
                  0xFFFF: lambda: tr("load.char.non_character")}


def describe_character(character: str) -> str:
    """'U+000B (a vertical tab, ...)': a character a user cannot see, named."""
    code = ord(character)
    named = _CONTROL_NAMES.get(code)
    name = named() if named else (tr("load.char.control") if code < 0x20 or 0x7F <= code < 0xA0
                                  else tr("load.char.not_xml"))
    return tr("load.char_format", code=f"{code:04X}", name=name)


def control_character_error(character: str, where: Source) -> EvalrunError:
    return EvalrunError(tr("load.invisible", character=describe_character(character)), where)

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _source(filename: str, node: yaml.Node, path: tuple) -> Source:
    mark = node.start_mark
    return Source(filename, mark.line + 1, mark.column + 1, path)


class _PositionLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Safe loader that builds LDict/LList, keeps positions, refuses duplicates."""

    filename = ""
    resolve = cached_resolve(_BaseLoader.resolve)
    number_limits = (MAX_DIGITS, MAX_PLACES)  # for fastload's quick reading of plain numbers

    def construct_document(self, node):
        _check_expansion(node, self.filename)
        return super().construct_document(node)


def _construct_mapping(loader: _PositionLoader, node: yaml.MappingNode):
    result = LDict()
    result.source = _source(loader.filename, node, ())
    result.key_sources = {}
    result.value_sources = {}
    yield result
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int)) or isinstance(key, bool):
            raise EvalrunError(tr("load.key_not_text", key=repr(key)), _source(loader.filename, key_node, ()))
        key = str(key)
        if key in result:
            first = result.key_sources[key]
            raise EvalrunError(
                tr("load.duplicate_key", key=key, line=first.line),
                _source(loader.filename, key_node, ()),
            )
        result.key_sources[key] = _source(loader.filename, key_node, ())
        result.value_sources[key] = _source(loader.filename, value_node, ())
        result[key] = loader.construct_object(value_node, deep=True)


def _construct_sequence(loader: _PositionLoader, node: yaml.SequenceNode):
    result = LList()
    result.source = _source(loader.filename, node, ())
    result.item_sources = [_source(loader.filename, child, ()) for child in node.value]
    yield result
    result.extend(loader.construct_object(child, deep=True) for child in node.value)


def _construct_decimal(loader: _PositionLoader, node: yaml.ScalarNode):
    """Floats become Decimal from their written digits: 547.6879 stays exact."""
    text = str(loader.construct_scalar(node)).replace("_", "").lower()
    where = _source(loader.filename, node, ())
    if text.lstrip("+-") in (".inf", ".nan"):
        raise EvalrunError(
            tr("load.not_finite", value=_short(node.value)), where
        )
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise EvalrunError(tr("load.not_a_number", value=_short(node.value)), where) from None
    return _bounded(value, node, where)


def _construct_int(loader: _PositionLoader, node: yaml.ScalarNode):
    """Whole numbers in plain digits; YAML 1.1's hex and base-60 readings are refused."""
    text = str(loader.construct_scalar(node)).replace("_", "")
    where = _source(loader.filename, node, ())
    if not re.fullmatch(r"[-+]?[0-9]+", text):
        raise EvalrunError(tr("load.other_base", value=_short(node.value)), where)
    if len(text.lstrip("+-")) > MAX_DIGITS:  # before int(): Python refuses very long ones
        raise EvalrunError(tr("load.too_many_digits", value=_short(node.value), limit=MAX_DIGITS), where)
    return int(text)  # 010 is ten, as the user meant, not YAML 1.1's octal eight


def _bounded(value: Decimal, node: yaml.ScalarNode, where: Source) -> Decimal:
    """Numbers a budget can hold: huge exponents would print as a billion digits."""
    if value and value.adjusted() >= MAX_DIGITS:
        raise EvalrunError(tr("load.too_large", value=_short(node.value), limit=MAX_DIGITS), where)
    if value.as_tuple().exponent < -MAX_PLACES:
        raise EvalrunError(tr("load.too_many_places", value=_short(node.value), limit=MAX_PLACES), where)
    if not value and value.as_tuple().exponent > 0:
        return Decimal(0)  # 0.0e+500 is a plain 0
    return value


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."


def _construct_text(loader: _PositionLoader, node: yaml.ScalarNode):
    """Dates and times stay text as written; the schema decides what they mean."""
    return str(loader.construct_scalar(node))


def _construct_str(loader: _PositionLoader, node: yaml.ScalarNode):
    """Text, refusing the control characters an escape (``"\\v"``, ``"\\0"``) can write."""
    value = loader.construct_scalar(node)
    bad = CONTROL_CHARACTERS.search(value)
    if bad:
        raise control_character_error(bad.group(), _source(loader.filename, node, ()))
    return value


_PositionLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_PositionLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
_PositionLoader.add_constructor("tag:yaml.org,2002:float", _construct_decimal)
_PositionLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_PositionLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_text)
_PositionLoader.add_constructor("tag:yaml.org,2002:binary", _construct_text)
_PositionLoader.add_constructor("tag:yaml.org,2002:str", _construct_str)


def _check_expansion(root: yaml.Node, filename: str) -> None:
    """Refuse documents whose aliases expand to a huge tree (a 'billion laughs')."""
    sizes: dict[int, int] = {}

    def size(node: yaml.Node, depth: int) -> int:
        if depth > MAX_DEPTH:
            raise EvalrunError(tr("load.too_deep", limit=MAX_DEPTH), _source(filename, node, ()))
        known = sizes.get(id(node))
        if known is not None:
            return known
        sizes[id(node)] = 1  # a recursive alias counts once, then stops
        total = 1
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                total += size(key, depth + 1) + size(value, depth + 1)
        elif isinstance(node, yaml.SequenceNode):
            for child in node.value:
                total += size(child, depth + 1)
        if total > MAX_EXPANDED_NODES:
            raise EvalrunError(tr("load.alias_bomb", limit=f"{MAX_EXPANDED_NODES:,}"), _source(filename, node, ()))
        sizes[id(node)] = total
        return total

    if root is not None:
        size(root, 0)


# Files that are not YAML text at all, by their first bytes.
_NOT_TEXT = (
    (b"PK\x03\x04", lambda: tr("load.kind.zip")),
    (b"\xd0\xcf\x11\xe0", lambda: tr("load.kind.ole")),
    (b"%PDF", lambda: tr("load.kind.pdf")),
)
_UTF16_32 = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")


def decode(raw: bytes, filename: str) -> str:
    """UTF-8 text (a BOM is accepted); anything else is refused with a hint."""
    for magic, what in _NOT_TEXT:
        if raw.startswith(magic):
            raise EvalrunError(tr("load.not_text", kind=what()), Source(filename, 1))
    if raw.startswith(_UTF16_32):
        raise EvalrunError(tr("load.utf16"), Source(filename, 1))
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        raise EvalrunError(tr("load.nul_bytes"), Source(filename, line))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        hint = ""
        try:
            raw.decode("gb18030")
            hint = tr("load.gbk_hint")
        except UnicodeDecodeError:
            pass
        raise EvalrunError(tr("load.not_utf8", byte=f"{raw[exc.start]:02x}", hint=hint), Source(filename, line)) from None


def _check_shape(text: str, filename: str) -> None:
    """Count values and depth from the parser's events before building anything.

    Streaming events keeps memory flat, so a file of a million tiny values is
    refused without first building a million nodes.
    """
    count = depth = 0
    for event in yaml.parse(text, Loader=_BaseLoader):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise _shape_error(Shape("depth", event.start_mark), filename)
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
        if isinstance(event, (yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            count += 1
            if count > MAX_VALUES:
                raise _shape_error(Shape("values", event.start_mark), filename)


def _shape_error(shape: Shape, filename: str) -> EvalrunError:
    mark = shape.mark
    if shape.kind == "depth":
        return EvalrunError(
            tr("load.too_deep", limit=MAX_DEPTH),
            Source(filename, mark.line + 1, mark.column + 1),
        )
    return EvalrunError(
        tr("load.too_many_values", limit=f"{MAX_VALUES:,}"), Source(filename, mark.line + 1),
    )


_quick_loader: list = []  # one loader whose resolver and scalar constructors the quick path uses


def _check_characters(text: str, filename: str) -> None:
    """A character YAML refuses as written (a raw control character): one line, with its line and column."""
    bad = _UNREADABLE.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        column = bad.start() - (text.rfind("\n", 0, bad.start()) + 1) + 1
        raise control_character_error(bad.group(), Source(filename, line, column))


def load_text(text: str, filename: str) -> Any:
    """Parse YAML text; errors carry filename and line."""
    if not _quick_loader:
        _quick_loader.append(_PositionLoader(""))
    loader = None
    try:
        try:  # nearly every file: one pass, limits checked as it goes
            return build(text, filename, LDict, LList, _quick_loader[0], MAX_DEPTH, MAX_VALUES)
        except NotPlain:
            pass
        except Shape as shape:
            raise _shape_error(shape, filename) from None
        _check_shape(text, filename)
        loader = _PositionLoader(text)
        loader.filename = filename
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        raise yaml_error(exc, filename, text) from None
    except yaml.reader.ReaderError as exc:  # a raw control character: found again here, for its line and column
        _check_characters(text, filename)
        raise EvalrunError(tr("load.bad_character", character=describe_character(chr(exc.character))),
                           Source(filename)) from None
    except yaml.YAMLError as exc:
        message = " ".join(str(exc).split())
        raise EvalrunError(tr("load.cannot_read_yaml", detail=message), Source(filename)) from None
    except RecursionError:
        raise EvalrunError(tr("load.too_deep_to_read"), Source(filename)) from None
    finally:
        if loader is not None:
            loader.dispose()


def load_file(path: Path, display_name: str | None = None) -> Any:
    """Read one YAML file into LDict/LList/scalars, refusing what is unsafe."""
    name = display_name or str(path)
    return load_bytes(read_file(path, name), name)


def load_bytes(raw: bytes, name: str) -> Any:
    """A YAML file's bytes (from ``read_file``) into LDict/LList/scalars."""
    text = decode(raw, name)
    data = load_text(text, name)
    if data is None:
        raise EvalrunError(tr("load.empty"), Source(name, 1))
    return data


