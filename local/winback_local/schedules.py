"""What EventBridge does for the stack besides the shop's rule, on the local runtime:

- the state machines' and functions' `EventBridgeRule` events: an event put on the bus
  (the RFM job's "Contact Segment Entered", a shop's "Contact Erasure Requested") starts
  the state machine or invokes the function whose rule matches it, as EventBridge does;
- the state machines' `ScheduleV2` events (EventBridge Scheduler): at the cron's time of
  each virtual day, an execution with `<aws.scheduler.scheduled-time>` filled in.

Both read template.yaml, so the local run follows what is deployed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import boto3

from winback.model import clock
from winback_local import aws_events
from winback_local.template import Resolver, Stack

CRON = re.compile(r"^cron\((\d+) (\d+) \* \* \? \*\)$")


@dataclass(frozen=True)
class Rule:
    pattern: Any  # moto's matcher
    target: str  # the logical id of a state machine or a function


@dataclass(frozen=True)
class Schedule:
    state_machine: str
    hour: int
    minute: int
    input: str


def _events(stack: Stack, kind: str) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for logical_id in [*stack.state_machines, *stack.functions]:
        for event in (stack.resources[logical_id]["Properties"].get("Events") or {}).values():
            if event.get("Type") == kind:
                found.append((logical_id, event["Properties"]))
    return found


def rules(stack: Stack, resolver: Resolver) -> list[Rule]:
    from moto.events.models import EventPattern

    def resolved(value: Any) -> Any:
        """The pattern with its !Ref and !Sub resolved, at any depth ({"exists": true} kept)."""
        if isinstance(value, dict):
            return {key: resolved(inner) for key, inner in value.items()}
        if isinstance(value, list):
            return [resolved(inner) for inner in value]
        return value if isinstance(value, bool | int | float) else resolver.resolve(value)

    found = []
    for logical_id, properties in _events(stack, "EventBridgeRule"):
        found.append(Rule(EventPattern.load(json.dumps(resolved(properties["Pattern"]))), logical_id))
    return found


def schedules(stack: Stack, resolver: Resolver) -> list[Schedule]:
    found = []
    for logical_id, properties in _events(stack, "ScheduleV2"):
        expression = resolver.resolve(properties["ScheduleExpression"])
        match = CRON.match(expression)
        if not match:
            raise ValueError(f"the local runtime runs daily crons only, not {expression!r}")
        found.append(Schedule(logical_id, int(match[2]), int(match[1]), properties.get("Input", "{}")))
    return found


def route_bus_events(
    rules_: list[Rule], start: Callable[[str, dict[str, Any]], None], account: str, region: str
) -> Callable[[], None]:
    """After each PutEvents a function makes, start the state machines whose rules match."""
    events = boto3._get_default_session().events

    def after(params: dict[str, Any], parsed: dict[str, Any], **_: Any) -> None:
        for entry, answer in zip(params.get("Entries", []), parsed.get("Entries", []), strict=False):
            if answer.get("ErrorCode"):
                continue
            envelope = {
                "version": "0",
                "id": answer.get("EventId"),
                "detail-type": entry["DetailType"],
                "source": entry["Source"],
                "account": account,
                "time": clock.iso(clock.now()),
                "region": region,
                "resources": [],
                "detail": json.loads(entry["Detail"]),
            }
            for rule in rules_:
                if rule.pattern.matches_event(envelope):
                    start(rule.target, envelope)

    return aws_events.after_each_call(events, "events.PutEvents", "bus", after)


def first_after(moment: datetime, schedule: Schedule) -> datetime:
    due = moment.replace(hour=schedule.hour, minute=schedule.minute, second=0, microsecond=0)
    return due if due >= moment else due + timedelta(days=1)


def scheduled_input(schedule: Schedule, at: datetime) -> dict[str, Any]:
    return json.loads(schedule.input.replace("<aws.scheduler.scheduled-time>", clock.iso(at)))  # type: ignore[no-any-return]
