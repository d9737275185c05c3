"""Faults injected into the local runtime, as the cloud produces them now and then.

- SES answers 429 (throttled) or 503 (unavailable) to a share of SendEmail calls;
- DynamoDB answers ProvisionedThroughputExceeded to a share of writes;
- after SES accepted a message, the handler crashes (the Lambda process dies, as on
  a timeout) or the response is lost on the way back (a read timeout).

Errors are answered where moto would answer the HTTP request, so botocore's own
retries apply as on AWS; their sleeps are skipped (and counted) so a run stays fast.
Every choice comes from one seeded generator: a run is repeatable.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ReadTimeoutError

DYNAMODB_WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})


class LambdaCrashed(BaseException):
    """The function's process died mid-invocation (timeout, out of memory): no
    except clause runs, and Step Functions sees Lambda.Unknown."""

    error_type = "Lambda.Unknown"


class _Body:
    def __init__(self, data: bytes):
        self._data = data

    def stream(self, **_: Any) -> Any:
        yield self._data

    def read(self, *_: Any) -> bytes:
        return self._data


def _response(url: str, status: int, headers: dict[str, str], body: dict[str, Any]) -> AWSResponse:
    return AWSResponse(url, status, headers, _Body(json.dumps(body).encode()))  # type: ignore[arg-type]


@dataclass
class Faults:
    seed: int = 7
    ses_rate: float = 0.30
    dynamodb_write_rate: float = 0.20
    crash_after_send_rate: float = 0.0
    lost_response_rate: float = 0.0
    injected: Counter[str] = field(default_factory=Counter)
    retries: int = 0  # botocore retries (its sleeps, skipped)
    _undo: list[Callable[[], None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)  # noqa: S311 (repeatable faults, not secrets)

    def _roll(self, rate: float) -> bool:
        return rate > 0 and self._random.random() < rate

    def _before_send(self, event_name: str, request: Any) -> AWSResponse | None:
        """An error answer instead of moto's, or None to let moto answer."""
        _, service, operation = event_name.split(".")[:3]
        if service == "sesv2" and operation == "SendEmail" and self._roll(self.ses_rate):
            if self._random.random() < 0.5:
                self.injected["ses_throttled"] += 1
                headers = {"x-amzn-ErrorType": "TooManyRequestsException"}
                return _response(request.url, 429, headers, {"message": "Maximum sending rate exceeded."})
            self.injected["ses_unavailable"] += 1
            headers = {"x-amzn-ErrorType": "ServiceUnavailableException"}
            return _response(request.url, 503, headers, {"message": "Service unavailable"})
        if service == "dynamodb" and operation in DYNAMODB_WRITES and self._roll(self.dynamodb_write_rate):
            self.injected["dynamodb_throttled"] += 1
            kind = "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException"
            return _response(request.url, 400, {}, {"__type": kind, "message": "Throughput exceeded"})
        return None

    def _after_send_email(self, http_response: Any, parsed: dict[str, Any], **_: Any) -> None:
        if "MessageId" not in parsed:
            return  # refused: nothing was sent
        if self._roll(self.crash_after_send_rate):
            self.injected["crash_after_send"] += 1
            raise LambdaCrashed("the function died after SES accepted the message")
        if self._roll(self.lost_response_rate):
            self.injected["response_lost"] += 1
            raise ReadTimeoutError(endpoint_url="https://email.us-east-1.amazonaws.com")

    def install(self) -> Faults:
        import boto3
        import botocore.endpoint
        from moto.core.botocore_stubber import BotocoreStubber

        original_call = BotocoreStubber.__call__
        faults = self

        def call(stubber: BotocoreStubber, event_name: str, request: Any, **kwargs: Any) -> AWSResponse | None:
            if stubber.enabled:
                injected = faults._before_send(event_name, request)
                if injected is not None:
                    return injected
            return original_call(stubber, event_name, request, **kwargs)

        class _Time:
            @staticmethod
            def sleep(_: float) -> None:
                faults.retries += 1

        original_time = botocore.endpoint.time  # type: ignore[attr-defined]
        BotocoreStubber.__call__ = call  # type: ignore[method-assign,assignment]
        botocore.endpoint.time = _Time  # type: ignore[assignment,attr-defined]
        events = boto3._get_default_session().events
        # Last, so the outbox (registered by the runtime) has recorded what SES accepted.
        events.register_last("after-call.sesv2.SendEmail", self._after_send_email, unique_id="winback-faults")

        def undo() -> None:
            BotocoreStubber.__call__ = original_call  # type: ignore[method-assign]
            botocore.endpoint.time = original_time  # type: ignore[attr-defined]
            events.unregister("after-call.sesv2.SendEmail", unique_id="winback-faults")

        self._undo.append(undo)
        return self

    def uninstall(self) -> None:
        while self._undo:
            self._undo.pop()()
