"""The queue between the bus and the order events function, as AWS moves messages
through it: EventBridge's rule target sends to it, and the SQS event source mapping
receives batches, deletes what the function handled and lets the rest be received
again until the redrive policy moves them to the dead-letter queue.

That is AWS's side, not calls winback makes, so it runs on moto's SQS backend
directly: the same queue, visibility and redrive as the API would give, without an
SDK request and response for each step (they were a tenth of a simulation's time).
What the deployed code sends to SQS (its rejects to the dead-letter queue, the
webhook endpoint's events) still goes through the API.
"""

from __future__ import annotations

from typing import Any

from moto.sqs.models import Message, sqs_backends


class EventSource:
    """One standard queue of the stack, fed and drained as AWS does."""

    def __init__(self, queue_url: str, queue_arn: str, account: str, region: str) -> None:
        self.name = queue_url.rstrip("/").rpartition("/")[2]
        self.arn, self.region = queue_arn, region
        self._sqs = sqs_backends[account][region]

    def send(self, bodies: list[str]) -> None:
        """What the rule target delivers (one message per event, as a batch would)."""
        for body in bodies:
            self._sqs.send_message(self.name, body)

    def receive(self, count: int) -> list[dict[str, Any]]:
        """Up to `count` messages as the event source mapping hands them to the function."""
        queue = self._sqs.get_queue(self.name)
        # moto sets the queue's attributes on it by name, so they have no declared type
        visibility = int(queue.visibility_timeout)  # type: ignore[attr-defined]
        messages = self._sqs.receive_message(self.name, count, 0, visibility)
        return [self._record(m) for m in messages]

    def delete(self, records: list[dict[str, Any]]) -> None:
        for record in records:
            self._sqs.delete_message(self.name, record["receiptHandle"])

    def release(self, records: list[dict[str, Any]]) -> None:
        """Visible again now: the mapping receives them again (a failure)."""
        for record in records:
            self._sqs.change_message_visibility(self.name, record["receiptHandle"], 0)

    def _record(self, message: Message) -> dict[str, Any]:
        """One record of the mapping's batch, as Lambda's SQS event gives it."""
        return {
            "messageId": message.id,
            "receiptHandle": message.receipt_handle,
            "body": message.body,
            "attributes": {
                "ApproximateReceiveCount": str(message.approximate_receive_count),
                "SentTimestamp": str(message.sent_timestamp),
                "SenderId": message.sender_id,
                "ApproximateFirstReceiveTimestamp": str(message.approximate_first_receive_timestamp),
            },
            "messageAttributes": {},
            "md5OfBody": message.body_md5,
            "eventSource": "aws:sqs",
            "eventSourceARN": self.arn,
            "awsRegion": self.region,
        }
