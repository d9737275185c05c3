"""Events that break the contract: kept, with the reason, where they can be replayed.

They go to the ingestion queue's dead-letter queue with the original body untouched
and the reason as a message attribute, so `aws sqs start-message-move-task` (or the
console's "redrive") sends them back once the shop fixes its side.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

from winback.aws import journal

REASON_LIMIT = 1000


@lru_cache(maxsize=1)
def _sqs() -> Any:
    import boto3

    return boto3.client("sqs")


def reject(body: str, reason: str, event_id: str | None) -> str:
    attributes = {"reason": {"DataType": "String", "StringValue": reason[:REASON_LIMIT]}}
    if event_id:
        attributes["event_id"] = {"DataType": "String", "StringValue": event_id[:256]}
    _sqs().send_message(
        QueueUrl=os.environ["REJECTED_EVENTS_QUEUE_URL"],
        MessageBody=body or "(empty)",
        MessageAttributes=attributes,
    )
    journal.record("event.rejected", event_id=event_id, reason=reason)
    return "rejected"
