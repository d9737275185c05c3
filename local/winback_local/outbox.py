"""The local runtime's outbox: every MIME message exactly as handed to SES and accepted.

A week's replay sends tens of thousands of emails of ~13 KB each; kept in memory they
would be most of a large simulation's footprint. The outbox keeps them in a temporary
file instead (deleted when the outbox is) and reads one back when asked for it: it is a
sequence of bytes, in the order they were sent, like the list it replaces.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from typing import Any, overload

from winback_local import aws_events


class Outbox(Sequence[bytes]):
    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile(prefix="winback-outbox-")  # noqa: SIM115  (lives as long as the outbox)
        self._spans: list[tuple[int, int]] = []  # (offset, length) of each message
        self._end = 0

    def append(self, raw: bytes) -> None:
        self._file.seek(self._end)
        self._file.write(raw)
        self._spans.append((self._end, len(raw)))
        self._end += len(raw)

    def __len__(self) -> int:
        return len(self._spans)

    @overload
    def __getitem__(self, index: int) -> bytes: ...
    @overload
    def __getitem__(self, index: slice) -> list[bytes]: ...
    def __getitem__(self, index: int | slice) -> bytes | list[bytes]:
        if isinstance(index, slice):
            return [self._read(span) for span in self._spans[index]]
        return self._read(self._spans[index])

    def _read(self, span: tuple[int, int]) -> bytes:
        offset, length = span
        self._file.seek(offset)
        return self._file.read(length)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str | bytes):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, as a list is

    def __repr__(self) -> str:
        return f"<Outbox of {len(self)} messages, {self._end} bytes>"

    def close(self) -> None:
        self._file.close()


def capture(events: Any, outbox: Outbox) -> Callable[[], None]:
    """Append to `outbox` every raw message SES (v2) accepts through boto3's default
    session; returns the undo."""

    def sent(params: dict[str, Any], parsed: dict[str, Any]) -> None:
        raw = params.get("Content", {}).get("Raw", {}).get("Data")
        if raw is not None and "MessageId" in parsed:
            outbox.append(bytes(raw))

    return aws_events.after_each_call(events, "sesv2.SendEmail", "outbox", sent)
