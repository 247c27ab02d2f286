"""textfit: how wide a text prints and where its lines break, for laying out printed tables.

Widths are in half-em units: a Chinese character, a full-width sign and the
signs Chinese fonts set full width (≥, “ ”, …) count 2; a Latin letter, a
digit or a space counts 1. That is also, closely enough, Excel's column
width unit at the tables' 10.5 pt 宋体.

``lines`` breaks a text as a careful typesetter would (GB/T 15834 and CSS
``line-break: strict``): never before a closing bracket or punctuation mark
(``）`` ``，`` ``%``), never after an opening one (``（`` ``“`` ``≥``), never
inside a number or a Latin word, never inside a short bracketed part
(``（65分）``), at a space where there is one. Only a piece wider than the
line itself is cut.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# May not start a line: closing brackets and quotes, pause and stop marks, and signs that follow a number.
NO_START = set("）)]】」』〕〉》”’、。，．,.：:；;！!？?%‰…·—～》")
# May not end a line: opening brackets and quotes, and signs that precede a number.
NO_END = set("（([【「『〔〈《“‘≥≤＞＜≧≦<>=＝~～￥$#№")
OPEN_CLOSE = {"（": "）", "(": ")", "【": "】", "〔": "〕", "[": "]"}
SHORT_BRACKET = 8  # a bracketed part up to this wide (（65分） is 7) is kept whole
_WORD = re.compile(r"[0-9A-Za-z.,%‰+\-_/:°·]+")


@lru_cache(maxsize=4096)
def width(text: str) -> int:
    """Printed width in half-em units (CJK and full-width 2, Latin 1, combining marks 0)."""
    if text.isascii():
        return len(text)
    return sum(map(_char_width, text))


@lru_cache(maxsize=None)  # the characters of the texts evalrun prints: a few thousand at most
def _char_width(char: str) -> int:
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in "WFA" else 1


@lru_cache(maxsize=8192)
def _atoms(text: str) -> tuple[str, ...]:
    """The pieces a line may break between, with the no-break rules glued in."""
    pieces: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        close = OPEN_CLOSE.get(char)
        if close is not None:
            end = text.find(close, i + 1)
            if end != -1 and width(text[i:end + 1]) <= SHORT_BRACKET:
                pieces.append(text[i:end + 1])
                i = end + 1
                continue
        word = _WORD.match(text, i) if char.isascii() and not char.isspace() else None
        if word:
            pieces.append(word.group())
            i = word.end()
            continue
        pieces.append(char)
        i += 1
    atoms: list[str] = []
    glue_next = False
    for piece in pieces:
        if piece.isspace():
            atoms.append(piece)
            glue_next = False
            continue
        if atoms and not atoms[-1].isspace() and (glue_next or piece[0] in NO_START):
            atoms[-1] += piece
        else:
            atoms.append(piece)
        glue_next = piece[-1] in NO_END
    return tuple(atoms)


@lru_cache(maxsize=8192)  # a sheet's width search asks a few thousand; more would grow with the year
def lines(text: str, line_width: int) -> tuple[str, ...]:
    """The lines of ``text`` set in ``line_width`` units; its own line ends are kept."""
    return _lines(text, line_width, _atoms, width)


def _lines(text, line_width: int, atoms, measure) -> tuple[str, ...]:
    if text is None:
        return ()
    result: list[str] = []
    for paragraph in str(text).split("\n"):
        result.extend(_wrap(paragraph, max(line_width, 2), atoms, measure))
    return tuple(result)


def _wrap(paragraph: str, line_width: int, atoms=_atoms, measure=width) -> list[str]:
    # widths add up, so the line's width is kept as it grows: ``used`` is measure(line), ``solid`` that of
    # line.rstrip(); a line is never blank, only empty: it starts at a word and ends at one or at spaces
    out: list[str] = []
    line = ""
    used = solid = 0
    for atom in atoms(paragraph):
        size = measure(atom)
        if atom.isspace():
            if line:
                line += atom
                used += size
            continue
        if not line:
            line, used = atom, size
        elif solid + size <= line_width:
            line += atom
            used += size
        else:
            out.append(line.rstrip())
            line, used = atom, size
        while used > line_width:  # one piece wider than the line: cut it
            cut = _cut(line, line_width)
            out.append(cut)
            line = line[len(cut):]
            used = measure(line)
        solid = used
    if line.strip() or not out:
        out.append(line.rstrip())
    return out


def _cut(text: str, line_width: int) -> str:
    """The longest head of ``text`` that fits, not ending on an opening sign nor leaving a closing one next."""
    used, end = 0, 0
    for index, char in enumerate(text):
        used += width(char)
        if used > line_width:
            break
        end = index + 1
    end = max(end, 1)
    while 1 < end < len(text) and (text[end] in NO_START or text[end - 1] in NO_END):
        end -= 1
    return text[:end]


def line_count(text, line_width: int) -> int:
    if text is None or text == "":
        return 1
    return len(lines(str(text), line_width))


def longest_unbreakable(text: str) -> int:
    """The width of the widest piece no line may break inside (a number, a word, （65分）)."""
    return max((width(a) for a in _atoms(str(text)) if not a.isspace()), default=0)


class Fitter:
    """``width`` and ``line_count`` with caches of their own, emptied when full and gone with the object: for a
    year 汇总's texts, tens of thousands met once or twice, which would fill the shared caches (about 30 MB)
    and stay there."""

    def __init__(self, pieces: int = 2048, widths: int = 16384):
        """Caches of at most ``pieces`` paragraphs' pieces (a few KB each: one text object a character) and
        ``widths`` texts' widths; 0: not kept (texts set at one width only, once)."""
        self.pieces: dict = {}
        self.widths: dict = {}
        self.kept = pieces, widths

    def _atoms(self, paragraph: str) -> tuple[str, ...]:
        found = self.pieces.get(paragraph)
        if found is None:
            found = _atoms.__wrapped__(paragraph)
            if len(self.pieces) >= self.kept[0]:
                self.pieces.clear()
            if self.kept[0]:
                self.pieces[paragraph] = found
        return found

    def width(self, text: str) -> int:
        found = self.widths.get(text)
        if found is None:
            if len(self.widths) >= self.kept[1]:
                self.widths.clear()
            found = self.widths[text] = width.__wrapped__(text)
        return found

    def line_count(self, text, line_width: int) -> int:
        if text is None or text == "":
            return 1
        return len(_lines(str(text), line_width, self._atoms, self.width))
