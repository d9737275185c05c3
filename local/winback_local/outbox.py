"""The local runtime's outbox: every MIME message exactly as handed to SES and accepted.

A week's replay sends tens of thousands of emails of ~13 KB each; kept in memory they
would be most of a large simulation's footprint. The outbox is a spool (spool.py): a
temporary file it reads one back from when asked, a sequence of bytes in the order they
were sent, like the list it replaces.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from winback_local import aws_events
from winback_local.spool import Spool


class Outbox(Spool):
    def __init__(self) -> None:
        super().__init__(prefix="winback-outbox-")

    def __repr__(self) -> str:
        return f"<Outbox of {len(self)} messages, {self.size} bytes>"


def capture(events: Any, outbox: Outbox) -> Callable[[], None]:
    """Append to `outbox` every raw message SES (v2) accepts through boto3's default
    session; returns the undo."""

    def sent(params: dict[str, Any], parsed: dict[str, Any]) -> None:
        raw = params.get("Content", {}).get("Raw", {}).get("Data")
        if raw is not None and "MessageId" in parsed:
            outbox.append(bytes(raw))

    return aws_events.after_each_call(events, "sesv2.SendEmail", "outbox", sent)
