"""The local runtime's glue to moto: virtual Waits and Retries, in-process Lambda tasks."""

from __future__ import annotations

import gc
import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws

from winback_local import executions
from winback_local.engine import install
from winback_local.lambdas import LambdaRoutes
from winback_local.virtual_clock import VirtualClock

T0 = datetime(2026, 1, 1, tzinfo=UTC)

DEFINITION = {
    "StartAt": "WaitADay",
    "States": {
        "WaitADay": {"Type": "Wait", "SecondsPath": "$.wait", "Next": "Call"},
        "Call": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:Echo", "Payload.$": "$"},
            "ResultSelector": {"echo.$": "$.Payload"},
            "Retry": [{"ErrorEquals": ["Flaky"], "IntervalSeconds": 600, "MaxAttempts": 2, "BackoffRate": 1}],
            "End": True,
        },
    },
}


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[VirtualClock, LambdaRoutes, str]]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        clock, routes = VirtualClock(T0), LambdaRoutes()
        undo = install(clock, routes)
        sfn = boto3.client("stepfunctions")
        arn = sfn.create_state_machine(
            name="t", definition=json.dumps(DEFINITION), roleArn="arn:aws:iam::123456789012:role/r"
        )["stateMachineArn"]
        try:
            yield clock, routes, arn
        finally:
            clock.close()
            undo()


def _start(arn: str, name: str, wait: int) -> str:
    return boto3.client("stepfunctions").start_execution(
        stateMachineArn=arn, name=name, input=json.dumps({"wait": wait})
    )["executionArn"]


def _status(execution: str) -> str:
    return boto3.client("stepfunctions").describe_execution(executionArn=execution)["status"]


def test_a_one_day_wait_takes_no_real_time_and_ends_on_the_virtual_clock(engine) -> None:
    clock, routes, arn = engine
    seen: list[datetime] = []
    routes.add("Echo", lambda payload: seen.append(clock.now()) or payload)
    started = time.monotonic()
    execution = _start(arn, "one", 86_400)
    clock.advance_to(T0 + timedelta(hours=23))
    assert _status(execution) == "RUNNING" and seen == []
    clock.advance_to(T0 + timedelta(days=2))
    assert _status(execution) == "SUCCEEDED"
    assert seen == [T0 + timedelta(days=1)]
    assert time.monotonic() - started < 20


def test_executions_run_one_at_a_time_in_due_order(engine) -> None:
    clock, routes, arn = engine
    order: list[tuple[str, datetime]] = []
    active = threading.Semaphore(1)

    def echo(payload: dict) -> dict:
        assert active.acquire(blocking=False), "two tasks ran at once"
        try:
            order.append((payload["name"], clock.now()))
            return payload
        finally:
            active.release()

    routes.add("Echo", echo)
    client = boto3.client("stepfunctions")
    for name, wait in (("late", 300), ("early", 60), ("middle", 120)):
        client.start_execution(stateMachineArn=arn, name=name, input=json.dumps({"wait": wait, "name": name}))
    clock.advance_to(T0 + timedelta(hours=1))
    assert [name for name, _ in order] == ["early", "middle", "late"]
    assert [moment for _, moment in order] == [T0 + timedelta(seconds=s) for s in (60, 120, 300)]


def test_a_handler_error_reaches_retry_by_its_type_and_the_interval_is_virtual(engine) -> None:
    clock, routes, arn = engine
    attempts: list[datetime] = []

    class Flaky(Exception):
        pass

    def flaky(payload: dict) -> dict:
        attempts.append(clock.now())
        if len(attempts) == 1:
            raise Flaky("try again")
        return payload

    routes.add("Echo", flaky)
    execution = _start(arn, "retry", 1)
    clock.advance_to(T0 + timedelta(hours=1))
    assert _status(execution) == "SUCCEEDED"
    assert attempts == [T0 + timedelta(seconds=1), T0 + timedelta(seconds=601)]


def test_an_unknown_function_fails_the_task_instead_of_hanging(engine) -> None:
    clock, _routes, arn = engine
    execution = _start(arn, "nobody", 1)
    clock.advance_to(T0 + timedelta(minutes=1))
    assert _status(execution) == "FAILED"


def test_close_ends_parked_executions(engine) -> None:
    clock, routes, arn = engine
    routes.add("Echo", lambda payload: payload)
    executions = [_start(arn, f"parked-{n}", 86_400) for n in range(5)]
    clock.advance_to(T0 + timedelta(minutes=1))
    assert clock.parked() == 5
    assert {_status(e) for e in executions} == {"RUNNING"}
    clock.close()
    assert clock.parked() == 0
    assert clock.errors == []


def test_a_waiting_execution_holds_no_thread(engine) -> None:
    """Executions are coroutines on the driver's thread: ten thousand waiting flows do
    not mean ten thousand threads."""
    clock, routes, arn = engine
    routes.add("Echo", lambda payload: payload)
    before = threading.active_count()
    conditions = _count(threading.Condition)
    for n in range(20):
        _start(arn, f"waiting-{n}", 86_400)
    clock.advance_to(T0 + timedelta(minutes=1))
    assert clock.parked() == 20
    assert threading.active_count() == before
    assert _count(threading.Condition) - conditions < 20  # nor an Event (a Condition, a lock, a deque) each


def _count(kind: type) -> int:
    return sum(1 for o in gc.get_objects() if isinstance(o, kind))


def test_an_ended_executions_history_and_outcome_are_still_answered(engine) -> None:
    """The engine lets an ended execution's working state go and keeps its history packed:
    GetExecutionHistory and DescribeExecution answer as before."""
    clock, routes, arn = engine
    routes.add("Echo", lambda payload: {"seen": payload["name"]})
    execution = boto3.client("stepfunctions").start_execution(
        stateMachineArn=arn, name="done", input=json.dumps({"wait": 60, "name": "done"})
    )["executionArn"]
    clock.advance_to(T0 + timedelta(hours=1))
    client = boto3.client("stepfunctions")
    described = client.describe_execution(executionArn=execution)
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"])["echo"] == {"seen": "done"}
    events = client.get_execution_history(executionArn=execution)["events"]
    kinds = [e["type"] for e in events]
    assert kinds[0] == "ExecutionStarted" and kinds[-1] == "ExecutionSucceeded"
    assert [e["stateEnteredEventDetails"]["name"] for e in events if e["type"].endswith("StateEntered")] == [
        "WaitADay",
        "Call",
    ]
    assert max(events, key=lambda e: e["id"])["type"] == "ExecutionSucceeded"  # what flows.stop_if_still_in reads


def test_a_waiting_executions_history_is_packed_and_still_answered(engine) -> None:
    """Most of a replay's flows are waiting at any moment: each keeps its history packed
    while it waits. GetExecutionHistory answers it whole, and it goes on after the wait."""
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    from winback_local.engine import _PackedHistory

    clock, routes, arn = engine
    routes.add("Echo", lambda payload: payload)
    execution = _start(arn, "waiting", 3600)
    clock.advance_to(T0 + timedelta(minutes=1))
    client = boto3.client("stepfunctions")
    waiting = client.get_execution_history(executionArn=execution)["events"]
    assert [e["type"] for e in waiting] == ["ExecutionStarted", "WaitStateEntered"]
    newest = max(waiting, key=lambda e: e["id"])
    assert newest["stateEnteredEventDetails"]["name"] == "WaitADay"  # what flows.stop_if_still_in reads
    machines = stepfunctions_parser_backends["123456789012"]["us-east-1"].state_machines
    [running] = [e for m in machines for e in m.executions if e.execution_arn == execution]
    assert isinstance(running.exec_worker.env.event_manager._history_event_list, _PackedHistory)

    clock.advance_to(T0 + timedelta(hours=2))
    events = client.get_execution_history(executionArn=execution)["events"]
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    assert events[:2] == waiting
    assert [e["type"] for e in events][2:4] == ["WaitStateExited", "TaskStateEntered"]
    assert events[-1]["type"] == "ExecutionSucceeded"


def test_executions_are_found_by_name_and_arn_as_moto_finds_them(engine) -> None:
    """With the runtime's lookups by map (winback_local.executions): a repeated start with
    the same name and input while it runs is the same execution; with another input, or
    once ended, ExecutionAlreadyExists; describe, history and stop find the execution
    among many, and an unknown one is ExecutionDoesNotExist."""
    clock, routes, arn = engine
    undo = executions.install()
    try:
        echoed: list[int] = []
        routes.add("Echo", lambda payload: echoed.append(payload["wait"]) or payload)
        client = boto3.client("stepfunctions")
        many = [_start(arn, f"order-{n}", 3600 * (n + 1)) for n in range(30)]
        assert _start(arn, "order-7", 3600 * 8) == many[7]  # same name, same input, running
        with pytest.raises(client.exceptions.ExecutionAlreadyExists):
            _start(arn, "order-7", 60)  # same name, another input
        clock.advance_to(T0 + timedelta(minutes=1))  # every execution in its Wait
        client.stop_execution(executionArn=many[12], cause="paid")
        clock.advance_to(T0 + timedelta(hours=13, minutes=30))
        assert echoed == [3600 * n for n in range(1, 13)]  # the stopped one (13 h) never called
        assert [_status(e) for e in many[11:14]] == ["SUCCEEDED", "ABORTED", "RUNNING"]
        with pytest.raises(client.exceptions.ExecutionAlreadyExists):
            _start(arn, "order-0", 3600)  # ended: the name stays taken
        assert client.get_execution_history(executionArn=many[29])["events"][0]["type"] == "ExecutionStarted"
        unknown = many[0].replace("order-0", "order-99")
        with pytest.raises(client.exceptions.ExecutionDoesNotExist):
            client.describe_execution(executionArn=unknown)
        with pytest.raises(client.exceptions.ExecutionDoesNotExist):
            client.stop_execution(executionArn=unknown)
    finally:
        undo()


def _live_greenlets() -> int:
    """Greenlets started and not ended, the driver's own aside: stacks kept alive."""
    import gc

    import greenlet

    return sum(
        1 for g in gc.get_objects() if isinstance(g, greenlet.greenlet) and g.parent is not None and g and not g.dead
    )


def test_an_execution_in_a_wait_state_holds_no_stack_and_a_stop_ends_it_at_once(engine) -> None:
    """A Wait at the top of a flow holds the execution as data, its stack let go (most of
    a replay's flows are waiting at any moment). It goes on where it was; a stop while
    it waits ends it at once, with the history Step Functions gives: no exit from the Wait."""
    clock, routes, arn = engine
    routes.add("Echo", lambda payload: payload)
    before = _live_greenlets()
    waiting = [_start(arn, f"held-{n}", 3600) for n in range(20)]
    clock.advance_to(T0 + timedelta(minutes=1))
    assert clock.parked() == 20
    assert _live_greenlets() - before <= 1  # the clock's idle greenlet, for the next execution to run in
    client = boto3.client("stepfunctions")
    client.stop_execution(executionArn=waiting[0], cause="paid")
    clock.advance_to(T0 + timedelta(minutes=2))
    assert _status(waiting[0]) == "ABORTED" and clock.parked() == 19
    stopped = client.get_execution_history(executionArn=waiting[0])["events"]
    assert [e["type"] for e in stopped] == ["ExecutionStarted", "WaitStateEntered", "ExecutionAborted"]
    clock.advance_to(T0 + timedelta(hours=2))
    assert {_status(e) for e in waiting[1:]} == {"SUCCEEDED"}
    events = client.get_execution_history(executionArn=waiting[1])["events"]
    assert [e["type"] for e in events] == [
        "ExecutionStarted",
        "WaitStateEntered",
        "WaitStateExited",
        "TaskStateEntered",
        "TaskScheduled",
        "TaskStarted",
        "TaskSucceeded",
        "TaskStateExited",
        "ExecutionSucceeded",
    ]
    assert json.loads(events[-1]["executionSucceededEventDetails"]["output"]) == {"echo": {"wait": 3600}}


def test_a_wait_inside_a_map_iteration_waits_on_the_virtual_clock_too(engine) -> None:
    """A Wait inside a Map iteration (or a Parallel branch) cannot unwind to the engine:
    its execution's stack waits, parked on the clock, and goes on at the virtual time."""
    clock, routes, _ = engine
    seen: list[tuple[int, datetime]] = []
    routes.add("Echo", lambda payload: seen.append((payload["wait"], clock.now())) or payload)
    iteration = {
        "StartAt": "WaitItsTurn",
        "States": {"WaitItsTurn": DEFINITION["States"]["WaitADay"], "Call": DEFINITION["States"]["Call"]},
    }
    definition = {
        "StartAt": "EachItem",
        "States": {"EachItem": {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": iteration, "End": True}},
    }
    client = boto3.client("stepfunctions")
    arn = client.create_state_machine(
        name="m", definition=json.dumps(definition), roleArn="arn:aws:iam::123456789012:role/r"
    )["stateMachineArn"]
    execution = client.start_execution(
        stateMachineArn=arn, name="map", input=json.dumps({"items": [{"wait": 600}, {"wait": 60}]})
    )["executionArn"]
    clock.advance_to(T0 + timedelta(minutes=5))
    assert _status(execution) == "RUNNING" and _live_greenlets() >= 1
    clock.advance_to(T0 + timedelta(hours=1))
    assert _status(execution) == "SUCCEEDED"
    assert seen == [(600, T0 + timedelta(seconds=600)), (60, T0 + timedelta(seconds=660))]


def test_a_wait_state_that_assigns_a_variable_assigns_it_after_the_wait(engine) -> None:
    clock, _, _ = engine
    definition = {
        "StartAt": "WaitAndNote",
        "States": {
            "WaitAndNote": {"Type": "Wait", "Seconds": 60, "Assign": {"waited.$": "$.wait"}, "Next": "Done"},
            "Done": {"Type": "Succeed"},
        },
    }
    client = boto3.client("stepfunctions")
    arn = client.create_state_machine(
        name="a", definition=json.dumps(definition), roleArn="arn:aws:iam::123456789012:role/r"
    )["stateMachineArn"]
    execution = _start(arn, "assign", 42)
    clock.advance_to(T0 + timedelta(minutes=5))
    assert _status(execution) == "SUCCEEDED"
    events = client.get_execution_history(executionArn=execution)["events"]
    [exited] = [e for e in events if e["type"] == "WaitStateExited"]
    assert exited["stateExitedEventDetails"]["assignedVariables"] == {"waited": "42"}


def test_an_execution_runs_the_definition_it_was_started_with(engine) -> None:
    """The runtime keeps one snapshot of a state machine for the executions started while
    it stays as it is: an update still reaches only the executions started after it."""
    clock, routes, arn = engine
    undo = executions.install()
    try:
        routes.add("Echo", lambda payload: payload)
        client = boto3.client("stepfunctions")
        before = [_start(arn, f"before-{n}", 60) for n in range(2)]
        shorter = {
            "StartAt": "Done",
            "States": {"Done": {"Type": "Pass", "Result": {"definition": "new"}, "End": True}},
        }
        client.update_state_machine(stateMachineArn=arn, definition=json.dumps(shorter))
        after = _start(arn, "after", 60)
        clock.advance_to(T0 + timedelta(minutes=5))
        outputs = [json.loads(client.describe_execution(executionArn=e)["output"]) for e in [*before, after]]
        assert outputs == [{"echo": {"wait": 60}}, {"echo": {"wait": 60}}, {"definition": "new"}]
    finally:
        undo()


def test_histories_are_packed_against_the_first_long_one_and_read_back_whole(monkeypatch) -> None:
    import pickle
    import zlib

    from winback_local.engine import _PackedHistory

    monkeypatch.setattr(_PackedHistory, "seed", None)
    events = [
        {"id": n, "type": "TaskStateEntered", "stateEnteredEventDetails": {"name": f"Step{n}", "input": "{}"}}
        for n in range(1, 61)
    ]
    short = _PackedHistory(events[:2])  # too short to seed the others
    first, second = _PackedHistory(events), _PackedHistory(events[:30])

    assert [h.get_event_history() for h in (short, first, second)] == [events[:2], events, events[:30]]
    assert short._seed is None and first._seed is second._seed is _PackedHistory.seed is not None
    alone = zlib.compress(pickle.dumps(events[:30], protocol=pickle.HIGHEST_PROTOCOL), 6)
    assert len(second._packed) < len(alone) / 2
