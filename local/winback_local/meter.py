"""Counts what a local run would be billed for on AWS, per Lambda function.

Attached to a LocalRuntime, it times every function invocation and attributes every
AWS API call to the function that made it. Calls made outside any function are the
runtime's own (what Step Functions and EventBridge's targets do on AWS). The order-events
queue's own traffic (event_source.py) makes no API call: the cost model counts it from
the events and batches.
"""

from __future__ import annotations

import contextvars
import math
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

import botocore.client

from winback_local.runtime import LocalRuntime

OUTSIDE = "(Step Functions, event delivery)"
_current: contextvars.ContextVar[str] = contextvars.ContextVar("winback_function", default=OUTSIDE)


def _target(params: Any) -> str:
    """The resource an API call acts on, as its parameters name it."""
    if not isinstance(params, dict):
        return ""
    if "TableName" in params:
        return str(params["TableName"]) + (f"/index/{params['IndexName']}" if params.get("IndexName") else "")
    if isinstance(params.get("RequestItems"), dict) and params["RequestItems"]:  # BatchGetItem, BatchWriteItem
        return str(next(iter(params["RequestItems"])))
    if isinstance(params.get("Entries"), list) and params["Entries"] and "EventBusName" in params["Entries"][0]:
        return str(params["Entries"][0]["EventBusName"])  # PutEvents
    for key in ("QueueUrl", "stateMachineArn", "executionArn", "FromEmailAddress", "SecretId"):
        if key in params:
            return str(params[key])
    return ""


class Meter:
    def __init__(self) -> None:
        self.calls: dict[str, Counter[str]] = defaultdict(Counter)  # function -> "service.Operation" -> n
        # function -> "service.Operation" -> what it was called on (table, queue, state machine, sender)
        self.targets: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        self.invocations: Counter[str] = Counter()
        self.billed_ms: Counter[str] = Counter()
        self._undo: list[Callable[[], None]] = []

    def attach(self, runtime: LocalRuntime) -> Meter:
        for name, route in list(runtime.routes.routes.items()):
            runtime.routes.routes[name] = self._timed(name, route)
        original = botocore.client.BaseClient._make_api_call  # type: ignore[attr-defined]

        def counted(client: Any, operation: str, params: Any) -> Any:
            call = f"{client.meta.service_model.service_name}.{operation}"
            self.calls[_current.get()][call] += 1
            self.targets[_current.get()][call].add(_target(params))
            return original(client, operation, params)

        botocore.client.BaseClient._make_api_call = counted  # type: ignore[attr-defined]
        self._undo.append(lambda: setattr(botocore.client.BaseClient, "_make_api_call", original))
        return self

    def detach(self) -> None:
        for undo in self._undo:
            undo()

    def _timed(self, name: str, route: Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, Any]], Any]:
        def invoke(payload: dict[str, Any]) -> Any:
            token = _current.set(name)
            started = time.perf_counter()
            try:
                return route(payload)
            finally:
                self.invocations[name] += 1
                self.billed_ms[name] += math.ceil((time.perf_counter() - started) * 1000)  # Lambda bills per ms
                _current.reset(token)

        return invoke

    def count(self, prefix: str, function: str | None = None) -> int:
        rows = [self.calls[function]] if function else list(self.calls.values())
        return sum(n for row in rows for op, n in row.items() if op.startswith(prefix))
