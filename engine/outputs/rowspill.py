"""rowspill: rows kept in an anonymous temporary file as a run goes, read back in order, as often as needed.

The year's 汇总 lists every project of the run; a province's year is tens of
thousands of them. ``SortedSpill`` keeps what it is given in sorted runs of
``CHUNK`` rows on disk (each run sorted in memory first, then pickled in
batches) and gives them back merged in the order of their keys, rows of equal
keys in the order they came (as Python's stable sort would). ``RowFile``
writes batches of rows and reads any stretch of them back, each reader
seeking before it reads, so that several may be read at once.

The file is ``tempfile.TemporaryFile``: private to this process (made with
O_EXCL, mode 0600, and unlinked at once where the system allows), gone when
closed; what is unpickled from it is only what this process pickled into it.
"""
from __future__ import annotations

import heapq
import pickle
import struct
import tempfile
from itertools import islice
from typing import Callable, Iterator

CHUNK = 1000  # rows sorted in memory before they go to disk: memory stays bounded, merges stay few
BATCH = 16    # rows pickled together (a merge holds a batch of each sorted run)
_LENGTH = struct.Struct("<I")


class RowFile:
    """Batches of rows appended to one temporary file; ``write`` returns the stretch they fill."""

    def __init__(self):
        self.file = tempfile.TemporaryFile()
        self.end = 0

    def write(self, rows: list) -> tuple[int, int]:
        start = self.end
        self.file.seek(start)
        for at in range(0, len(rows), BATCH):
            blob = pickle.dumps(rows[at:at + BATCH], pickle.HIGHEST_PROTOCOL)
            self.file.write(_LENGTH.pack(len(blob)))
            self.file.write(blob)
            self.end += _LENGTH.size + len(blob)
        return start, self.end

    def read(self, start: int, end: int) -> Iterator:
        """The rows written in ``start``..``end``, one batch in memory at a time."""
        position = start
        while position < end:
            self.file.seek(position)
            (length,) = _LENGTH.unpack(self.file.read(_LENGTH.size))
            batch = pickle.loads(self.file.read(length))
            position += _LENGTH.size + length
            yield from batch

    def close(self) -> None:
        self.file.close()


class SortedSpill:
    """Rows added in any order, read back sorted by ``key(row)`` (stable), however many there are."""

    def __init__(self, key: Callable):
        self.key = key
        self.pending: list = []
        self.runs: list = []  # (start, end) of each sorted run in the file
        self.file: RowFile | None = None
        self.count = 0

    def add(self, row) -> None:
        self.pending.append((self.key(row), self.count, row))
        self.count += 1
        if len(self.pending) >= CHUNK:
            self._flush()

    def _flush(self) -> None:
        if self.file is None:
            self.file = RowFile()
        self.pending.sort(key=_order)
        self.runs.append(self.file.write(self.pending))
        self.pending = []

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator:
        runs = [self.file.read(*run) for run in self.runs] if self.file else []
        for _, _, row in heapq.merge(*runs, sorted(self.pending, key=_order), key=_order):
            yield row

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


def item_of(rows, count: int, index):
    """``rows[index]`` (or a slice, as a list) of a sequence on disk of ``count`` items, by going through it."""
    if isinstance(index, slice):
        return list(rows)[index]
    if index < 0:
        index += count
    if not 0 <= index < count:
        raise IndexError("list index out of range")
    return next(islice(iter(rows), index, None))


def _order(entry: tuple) -> tuple:
    return entry[0], entry[1]  # the key, then the order of arrival: never the row itself


class SpilledList:
    """A list that is appended to and gone through, its items on disk but for the last ``CHUNK`` (a run's
    ProjectSummary of every project): ``len``, iteration, indexing and ``==`` as a list's."""

    def __init__(self, items=()):
        self.file: RowFile | None = None
        self.pending: list = []
        self.count = 0
        for item in items:
            self.append(item)

    def append(self, item) -> None:
        self.pending.append(item)
        self.count += 1
        if len(self.pending) >= CHUNK:
            if self.file is None:
                self.file = RowFile()
            self.file.write(self.pending)  # after the items before it: the file is the list's start, in order
            self.pending = []

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator:
        if self.file is not None:
            yield from self.file.read(0, self.file.end)
        yield from list(self.pending)

    def __getitem__(self, index):
        return item_of(self, self.count, index)

    def __eq__(self, other) -> bool:
        if isinstance(other, (SpilledList, list, tuple)):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    def __repr__(self) -> str:
        return f"SpilledList({self.count} items)"
