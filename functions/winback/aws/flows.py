"""Starting Step Functions executions: one per order, whatever the duplicates."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

NAME_LIMIT = 80


def execution_name(kind: str, key: str) -> str:
    """A readable, valid, unique name: "order-o-1001". Anything that had to be
    changed to fit the naming rules gets a hash so two keys never collide."""
    raw = f"{kind}-{key}"
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", raw)
    if safe == raw and len(raw) <= NAME_LIMIT:
        return raw
    digest = hashlib.sha256(raw.encode()).hexdigest()[:12]
    return f"{safe[: NAME_LIMIT - 13]}-{digest}"


@lru_cache(maxsize=1)
def _sfn() -> Any:
    import boto3

    return boto3.client("stepfunctions")


def start(state_machine_env: str, kind: str, key: str, payload: dict[str, Any]) -> str | None:
    """Start the execution for `key`; returns its ARN, or None if it had ended.

    AWS answers a repeated StartExecution with the same name and input by returning
    the running execution, and with ExecutionAlreadyExists once it has ended or for
    another input: either way no second execution starts. The input holds no
    per-event data so that duplicates match. Whether this call started it is for
    the caller's own conditional write to say.
    """
    client = _sfn()
    try:
        response = client.start_execution(
            stateMachineArn=os.environ[state_machine_env],
            name=execution_name(kind, key),
            input=json.dumps(payload, sort_keys=True),
        )
    except client.exceptions.ExecutionAlreadyExists:
        return None
    return str(response["executionArn"])


def execution_arn(state_machine_env: str, kind: str, key: str) -> str:
    machine = os.environ[state_machine_env]
    return f"{machine.replace(':stateMachine:', ':execution:')}:{execution_name(kind, key)}"


STOPPED, PAST, NONE = "stopped", "past", "none"
# How far from the soonest end of a wait its caller trusts its own clock and the one of
# Step Functions to say on which side of it the execution is (nearer, the history says).
WAIT_MARGIN = timedelta(minutes=1)


@dataclass(frozen=True)
class Stop:
    """What `stop_if_still_in` found: STOPPED, PAST (the execution has moved on, or
    ended, or Step Functions could not say in time) or NONE (there is no such execution);
    when STOPPED, the Wait it was stopped in (None if it had not entered a state yet, or
    if the clock alone said it was still in the first of the Waits)."""

    found: str
    state: str | None = None


def stop_if_still_in(
    state_machine_env: str,
    kind: str,
    key: str,
    states: Collection[str],
    cause: str,
    waits_until: datetime | None = None,
) -> Stop:
    """Stop the execution for `key` if it is still in one of `states`, Waits before
    anything happened that would need undoing (or has not entered its first state yet).

    Call it after recording what makes the flow pointless (the payment): a task that
    starts after that reads it and does nothing, and one already running has moved
    the execution past those Waits, so it is left to finish. The stop only saves the
    flow's later transitions, so it gives way when Step Functions is throttling or
    failing (GetExecutionHistory refills 20 calls a second by default: a sale's burst
    of payments outruns it) rather than fail the event.

    `waits_until`, when the caller knows it, is the soonest the first of `states` can
    end (the flow was started with it after this moment was noted). Well before it,
    the execution is still waiting: it is stopped without reading its history. Well
    after it, the execution has moved on (or it started late, and its next step finds
    the payment): PAST, without a call. Only near it does the history say.
    """
    from botocore.exceptions import ClientError

    from winback.aws.errors import TRANSIENT_CODES
    from winback.model import clock

    now = clock.now()
    if waits_until is not None and now >= waits_until + WAIT_MARGIN:
        return Stop(PAST)
    surely_waiting = waits_until is not None and now < waits_until - WAIT_MARGIN
    client = _sfn()
    arn = execution_arn(state_machine_env, kind, key)
    entered = None
    try:
        if not surely_waiting:
            events = client.get_execution_history(executionArn=arn, reverseOrder=True, maxResults=1)["events"]
            newest = max(events, key=lambda event: event["id"]) if events else {}
            entered = newest.get("stateEnteredEventDetails", {}).get("name")
            just_started = newest.get("type") == "ExecutionStarted"  # not yet in its first state
            if not just_started and (newest.get("type") != "WaitStateEntered" or entered not in states):
                return Stop(PAST)
        client.stop_execution(executionArn=arn, cause=cause)
    except client.exceptions.ExecutionDoesNotExist:
        return Stop(NONE)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code not in TRANSIENT_CODES:
            raise
        _note_stop_skipped(code)
        return Stop(PAST)
    return Stop(STOPPED, entered)


def _note_stop_skipped(code: str) -> None:
    from aws_lambda_powertools.metrics import MetricUnit

    from winback.aws.observe import logger, metrics

    metrics.add_metric(name="EarlyStopsSkipped", unit=MetricUnit.Count, value=1)
    logger.warning("early stop skipped: the flow ends at its next step instead", extra={"reason": code})
