"""winback's own events on the stack's EventBridge bus (source "winback"): what other
rules, campaigns or the shop's own tools can react to. They carry ids, never an email
or a name."""

from __future__ import annotations

import json
import os
from functools import lru_cache
from typing import Any

from winback.aws.errors import TransientError

SOURCE = "winback"
BATCH = 10  # PutEvents takes at most 10 entries


@lru_cache(maxsize=1)
def _events() -> Any:
    import boto3

    return boto3.client("events")


def put(detail_type: str, details: list[dict[str, Any]], source: str = SOURCE) -> None:
    """Put the events; an entry EventBridge refuses (throttled, internal) is a
    TransientError, so the caller's step is retried and nothing is lost. `source` is
    "winback", or the shop's own for an event a connector speaks for the shop."""
    bus = os.environ["EVENT_BUS_NAME"]
    for start in range(0, len(details), BATCH):
        entries = [
            {"Source": source, "DetailType": detail_type, "Detail": json.dumps(d, sort_keys=True), "EventBusName": bus}
            for d in details[start : start + BATCH]
        ]
        answer = _events().put_events(Entries=entries)
        if answer.get("FailedEntryCount"):
            codes = sorted({e.get("ErrorCode", "?") for e in answer["Entries"] if e.get("ErrorCode")})
            raise TransientError(f"EventBridge refused {answer['FailedEntryCount']} events: {', '.join(codes)}")
