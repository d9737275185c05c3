"""The whole stack in one process: moto for AWS, the real ASL and handlers, a virtual clock.

`LocalRuntime` reads template.yaml and stands up what it names inside moto: the
tables (from the pynamodb models, checked against the template by the tests), the
order-events queue and its dead-letter queue, the state machines with their
DefinitionSubstitutions resolved, and one in-process route per Lambda function to
the handler the template names. Events go through the rule's pattern and the queue
to the ingestion handler in batches of ten, as on AWS.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

import boto3

from winback.aws import bus, campaign_store, flows, journal, mailer, rejects, secrets
from winback.domain import catalogue
from winback.model import clock
from winback.model.campaigns import Campaign
from winback_local import (
    aws_events,
    emulator,
    engine,
    executions,
    items,
    lambdas,
    outbox,
    partitions,
    provision,
    schedules,
    slim,
    wsgi,
)
from winback_local.event_source import EventSource
from winback_local.template import TEMPLATE, Resolver, Stack, read
from winback_local.timeline import Timeline
from winback_local.virtual_clock import VirtualClock

REGION = "us-east-1"
ACCOUNT = "123456789012"
BATCH = 10
LOCAL_ENV = {
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}
# The stack parameters a merchant must give on deploy (they have no default), as the local
# runtime gives them: a sender on a reserved example domain, no alarm email.
LOCAL_PARAMETERS = {"SenderEmail": "shop@example.com", "SesIdentity": "example.com", "AlarmEmail": ""}


@dataclass
class LambdaContext:
    """What Powertools reads from the Lambda context object."""

    function_name: str
    memory_limit_in_mb: int = 256
    aws_request_id: str = ""

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def _handler(dotted: str) -> Callable[..., Any]:
    module, _, attr = dotted.rpartition(".")
    return getattr(importlib.import_module(module), attr)  # type: ignore[no-any-return]


class LocalRuntime:
    def __init__(
        self,
        start: datetime,
        campaigns: list[Campaign],
        sender_domains: tuple[str, ...] = (),
        daily_jobs: bool = False,
    ):
        self.stack: Stack = read()
        self.clock = VirtualClock(start)
        self.routes = lambdas.LambdaRoutes()
        self.campaigns = campaigns
        self.sender_domains = sender_domains
        self.timeline = Timeline()  # every fact the flows recorded, as recorded
        self.outbox = outbox.Outbox()  # every message SES accepted, as sent
        self.physical: dict[str, str] = {}
        self.resolver = Resolver(self.stack, self.physical, self._function_arn, LOCAL_PARAMETERS)
        self._saved_env: dict[str, str | None] = {}
        self._undo: list[Callable[[], None]] = []
        self._clients: dict[str, Any] = {}
        self.ended: list[engine.Ended] = []  # every execution that ended, as it ended
        self.events_done = 0  # queue messages the ingestion function finished (applied or rejected)
        self.ingestion_failures = 0  # queue messages it failed: received again
        self.daily_jobs = daily_jobs  # the scheduled state machines (the RFM job) run each virtual day

    def client(self, service: str) -> Any:
        """A boto3 client of the emulated account (moto), for what a merchant would set up by hand."""
        return self._client(service)

    def _client(self, service: str) -> Any:
        """One client per service for the run (creating one costs milliseconds)."""
        if service not in self._clients:
            self._clients[service] = boto3.client(service)  # type: ignore[call-overload]
        return self._clients[service]

    # -- set-up --------------------------------------------------------------------
    def __enter__(self) -> LocalRuntime:
        self._undo.append(slim.install())  # before moto's Step Functions engine is imported
        self._undo.append(slim.share_endpoints())  # before the first session reads them
        from moto import mock_aws

        self._set_env(LOCAL_ENV)
        # moto logs every error a state handles (a Choice on a field a task left out, a task
        # retried) with its whole parse tree; the run reports the failures that matter.
        quiet = logging.getLogger("moto.stepfunctions.parser.asl.component.eval_component")
        level = quiet.level
        quiet.setLevel(logging.CRITICAL)
        self._undo.append(lambda: quiet.setLevel(level))
        warnings.filterwarnings("ignore", message="No application metrics to publish")
        mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
        mock.start()
        self._undo.append(mock.stop)
        check = os.environ.get("WINBACK_EMULATOR_CHECK") == "1"
        self._undo += [emulator.install(check=check), partitions.install(check=check), executions.install()]
        self._undo.append(items.install())
        self._undo.append(wsgi.install(check=check))
        for cached in (mailer._ses, flows._sfn, rejects._sqs, bus._events, secrets.keys):  # of an earlier run
            cached.cache_clear()
        clock.use(self.clock.now)
        journal.use(self.timeline.append)
        self._undo += [clock.reset, journal.reset, campaign_store.invalidate, catalogue.invalidate]
        provision.tables(self.stack, self.physical)
        provision.queues(self._client("sqs"), self.stack, self.physical)
        provision.bus(self._client("events"), self.physical)
        provision.sending(self._client("secretsmanager"), self._client("sesv2"), self.physical)
        provision.state_machines(self._client("stepfunctions"), self.stack, self.physical, self._resolve)
        self._set_env({k: self._resolve(v) for k, v in self._function_env().items()})
        # The layer is mounted at /opt on AWS; there is no X-Ray daemon here.
        self._set_env({"WINBACK_TEMPLATES": str(self._layer_dir()), "POWERTOOLS_TRACE_DISABLED": "true"})
        self._route_functions()
        provision.senders(self._client("sesv2"), self.campaigns, self.sender_domains)
        self._undo.append(outbox.capture(boto3._get_default_session().events, self.outbox))
        self._undo.append(engine.install(self.clock, self.routes, self.ended.append))
        self.bus_rules = schedules.rules(self.stack, self.resolver)
        self._undo.append(schedules.route_bus_events(self.bus_rules, self.deliver, ACCOUNT, REGION))
        if self.daily_jobs:
            for schedule in schedules.schedules(self.stack, self.resolver):
                self._schedule(schedule, schedules.first_after(self.clock.now(), schedule))
        campaign_store.apply(self.campaigns)
        return self

    def deliver(self, target: str, payload: dict[str, Any]) -> None:
        """An event a rule matched reaches its target (a state machine or a function) after
        the call that put it returns, as EventBridge delivers: asynchronously."""
        if target in self.stack.functions:
            self.clock.call_at(self.clock.now(), lambda: self.invoke(target, payload))
        else:
            self.clock.call_at(self.clock.now(), lambda: self.start(target, payload))

    def start(self, state_machine: str, payload: dict[str, Any]) -> None:
        """Start an execution as an EventBridge rule or schedule target does."""
        self._client("stepfunctions").start_execution(
            stateMachineArn=self.physical[state_machine], name=str(uuid.uuid4()), input=json.dumps(payload)
        )

    def _schedule(self, schedule: schedules.Schedule, at: datetime) -> None:
        def fire() -> None:
            self.start(schedule.state_machine, schedules.scheduled_input(schedule, at))
            self._schedule(schedule, at + timedelta(days=1))

        self.clock.call_at(at, fire)

    def __exit__(self, *exc: object) -> None:
        # Flows still waiting are ended by force; moto would log each as an error.
        engine_log = logging.getLogger("moto.stepfunctions")
        level = engine_log.level
        engine_log.setLevel(logging.CRITICAL)
        try:
            self.clock.close()
        finally:
            engine_log.setLevel(level)
            for undo in reversed(self._undo):
                undo()
            for key, value in self._saved_env.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

    def _set_env(self, values: dict[str, str]) -> None:
        for key, value in values.items():
            self._saved_env.setdefault(key, os.environ.get(key))
            os.environ[key] = value

    @staticmethod
    def _function_arn(logical_id: str) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{logical_id}"

    def _layer_dir(self) -> Path:
        """Where the templates layer's content is: on AWS it is mounted at /opt."""
        layer = next(iter(self.stack.of_type("AWS::Serverless::LayerVersion").values()))
        return TEMPLATE.parent / layer["Properties"]["ContentUri"]

    def _function_env(self) -> dict[str, Any]:
        merged = dict(self.stack.globals_env)
        for function in self.stack.functions.values():
            merged.update(function.environment)
        return merged

    def _resolve(self, value: Any) -> str:
        return self.resolver.resolve(value)

    def _route_functions(self) -> None:
        for logical_id, function in self.stack.functions.items():
            self.routes.add(logical_id, self._invoker(logical_id, function.handler))

    def _invoker(self, logical_id: str, dotted: str) -> Callable[[dict[str, Any]], Any]:
        def invoke(payload: dict[str, Any]) -> Any:
            context = LambdaContext(logical_id, aws_request_id=str(uuid.uuid4()))
            return _handler(dotted)(payload, context)

        return invoke

    @property
    def failures(self) -> list[str]:
        """Executions that ended in error: "name: error: cause"."""
        return [f"{e.name}: {e.error}" for e in self.ended if e.status == "FAILED"]

    def invoke(self, logical_id: str, payload: dict[str, Any]) -> Any:
        """Call a function's handler as Lambda would (exceptions propagate)."""
        return self.routes.routes[logical_id](payload)

    # -- driving ---------------------------------------------------------------------
    @cached_property
    def event_pattern(self) -> dict[str, Any]:
        """The rule's EventPattern with its !Ref resolved (the source: the EventSource parameter)."""
        rule = self.stack.resources["OrderEventsRule"]
        pattern = rule["Properties"]["EventPattern"]
        return {k: [v if isinstance(v, dict) else self._resolve(v) for v in values] for k, values in pattern.items()}

    def envelope(
        self, detail_type: str, detail: Any, event_id: str | None = None, source: str | None = None
    ) -> dict[str, Any]:
        return {
            "version": "0",
            "id": event_id or str(uuid.uuid4()),
            "detail-type": detail_type,
            "source": source or self.event_pattern["source"][0],
            "account": ACCOUNT,
            "time": clock.iso(self.clock.now()),
            "region": REGION,
            "resources": [],
            "detail": detail,
        }

    def put_events(self, envelopes: list[dict[str, Any]]) -> int:
        """Deliver envelopes the rule matches to the queue, then drain it. Returns how
        many the rule let through (EventBridge drops the rest)."""
        pattern = self._rule
        for envelope in envelopes:  # the stack's other rules on the shop's events (erasure)
            for rule in self.bus_rules:
                if rule.pattern.matches_event(envelope):
                    self.deliver(rule.target, envelope)
        matched = [e for e in envelopes if pattern.matches_event(e)]  # type: ignore[arg-type]
        self._order_events.send([json.dumps(e) for e in matched])
        self.drain()
        return len(matched)

    @cached_property
    def _rule(self) -> Any:
        """The rule's pattern as moto's matcher, parsed once per run."""
        from moto.events.models import EventPattern

        return EventPattern.load(json.dumps(self.event_pattern))

    @cached_property
    def _order_events(self) -> EventSource:
        url, arn = self.physical["OrderEventsQueue"], self.physical["OrderEventsQueue.Arn"]
        return EventSource(url, arn, ACCOUNT, REGION)

    def drain(self) -> None:
        """Hand queued events to the ingestion function in batches, as the SQS event
        source mapping does; failed records are received again until the queue's
        redrive policy moves them to the dead-letter queue."""
        queue = self._order_events
        function = self.stack.function_for_handler("winback.handlers.order_events.handler").logical_id
        while True:
            records = queue.receive(BATCH)
            if not records:
                return
            try:
                failed = {f["itemIdentifier"] for f in self.invoke(function, {"Records": records})["batchItemFailures"]}
            except Exception:
                failed = {r["messageId"] for r in records}  # the whole batch failed
            done = [r for r in records if r["messageId"] not in failed]
            again = [r for r in records if r["messageId"] in failed]
            self.events_done += len(done)
            self.ingestion_failures += len(again)
            queue.delete(done)
            if not again and len(records) < BATCH:
                return  # a short batch with nothing to retry: the queue is empty (this pump is its only reader)
            queue.release(again)

    def webhook(self, platform: str, headers: dict[str, str], body: bytes) -> tuple[int, str]:
        """POST a shop's webhook delivery to the endpoint as its function URL would, then
        let the order events function map what it queued. Returns (status, text)."""
        function = self.stack.function_for_handler("winback.handlers.webhooks.handler").logical_id
        event = aws_events.function_url("POST", f"{provision.WEBHOOKS_URL}{platform}", body, headers)
        response = self.invoke(function, event)
        self.drain()
        return int(response["statusCode"]), str(response["body"])

    def call_api(self, method: str, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Call the coupon API as API Gateway would (REST proxy event)."""
        function = self.stack.function_for_handler("winback.handlers.coupon_api.handler").logical_id
        response = self.invoke(function, aws_events.api_gateway(method, path, body))
        return int(response["statusCode"]), json.loads(response["body"])

    def rejected(self) -> list[dict[str, Any]]:
        """What sits in the dead-letter queue: body and reason, oldest first."""
        sqs = self._client("sqs")
        found: list[dict[str, Any]] = []
        while True:
            messages = sqs.receive_message(
                QueueUrl=self.physical["OrderEventsDLQ"],
                MaxNumberOfMessages=10,
                MessageAttributeNames=["All"],
                VisibilityTimeout=300,
            ).get("Messages", [])
            if not messages:
                return found
            for message in messages:
                reason = message.get("MessageAttributes", {}).get("reason", {}).get("StringValue")
                found.append({"body": message["Body"], "reason": reason})

    def run_until(self, moment: datetime) -> None:
        self.clock.advance_to(moment)
        if self.clock.errors:
            raise RuntimeError("a state machine execution crashed:\n" + self.clock.errors[0])

    def executions(self, status: str | None = None) -> list[dict[str, Any]]:
        """Executions of every state machine, optionally only those in `status`."""
        pages = self._client("stepfunctions").get_paginator("list_executions")
        found: list[dict[str, Any]] = []
        for arn in (v for k, v in self.physical.items() if k in self.stack.state_machines):
            query = {"stateMachineArn": arn, **({"statusFilter": status} if status else {})}
            for page in pages.paginate(**query):
                found += page["executions"]
        return found
