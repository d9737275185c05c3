"""Records a long simulation writes and rarely reads, kept in a temporary file, not in memory.

A replay of 10,000 orders sends more than 10,000 emails of about 13 KB (the outbox) and
records about 90,000 timeline entries (the timeline). Kept as Python objects, they would
be a large share of its memory. A `Spool` appends each record, as bytes, to a temporary
file (deleted when the spool is) and keeps only where each one ends: 8 bytes a record.
It reads them back when asked, as a sequence of bytes in the order they were appended.
"""

from __future__ import annotations

import tempfile
from array import array
from collections.abc import Iterator, Sequence
from typing import overload

BATCH = 256  # records read from the file at a time when iterating


class Spool(Sequence[bytes]):
    def __init__(self, prefix: str = "winback-spool-") -> None:
        self._file = tempfile.TemporaryFile(prefix=prefix)  # noqa: SIM115  (lives as long as the spool)
        self._ends = array("Q")  # where each record ends in the file

    def append(self, raw: bytes) -> None:
        self._file.seek(self.size)
        self._file.write(raw)
        self._ends.append(self.size + len(raw))

    @property
    def size(self) -> int:
        """Bytes appended so far."""
        return self._ends[-1] if self._ends else 0

    def __len__(self) -> int:
        return len(self._ends)

    @overload
    def __getitem__(self, index: int) -> bytes: ...
    @overload
    def __getitem__(self, index: slice) -> list[bytes]: ...
    def __getitem__(self, index: int | slice) -> bytes | list[bytes]:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                return [self[i] for i in range(start, stop, step)]
            return self._run(start, stop)
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("spool index out of range")
        return self._run(index, index + 1)[0]

    def __iter__(self) -> Iterator[bytes]:
        for batch in self.batches():
            yield from batch

    def batches(self) -> Iterator[list[bytes]]:
        """The records, up to BATCH at a time, each batch read in one call. What was
        appended when iteration began: an append while the caller goes through them is
        not seen, as with a copy of a list."""
        count = len(self)
        for start in range(0, count, BATCH):
            yield self._run(start, min(count, start + BATCH))

    def _run(self, start: int, stop: int) -> list[bytes]:
        """Records start to stop (stop not included), read in one call."""
        if stop <= start:
            return []
        first = self._ends[start - 1] if start else 0
        self._file.seek(first)
        data = self._file.read(self._ends[stop - 1] - first)
        records, at = [], first
        for end in self._ends[start:stop]:
            records.append(data[at - first : end - first])
            at = end
        return records

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str | bytes):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, as a list is

    def close(self) -> None:
        self._file.close()
