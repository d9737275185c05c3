"""moto's Step Functions finds an execution by its name or ARN in a map, not by a walk.

moto looks an execution up by walking every execution its state machine ever ran: at
each start (is the name taken?), each DescribeExecution, GetExecutionHistory and
StopExecution. The flows do those at every order and payment, so a replay's cost per
order grew with the number of orders before it. Here each state machine keeps a map
from name and from ARN to its executions, brought up to date from the list moto
appends to (the list only grows), and the three lookups read it. What they do with the
execution found, and the errors they raise, are moto's.

moto also deep-copies the state machine at each start, as a snapshot of the definition
the execution runs (about 1.5 KB an execution, the copy of every configuration dict
included). Here executions started while the machine stays as it is share one
snapshot; an update to the machine makes the next start take a new one.

`install()` returns the undo function.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from winback_local import patching

# Per state machine object (by id; the machine is kept in the entry, so the id stays its
# own): (machine, by name, by ARN, how many of its executions are in them). Not on the
# machine itself: moto deep-copies the machine at each start.
_maps: dict[int, tuple[Any, dict[str, Any], dict[str, Any], int]] = {}


def _index(machine: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    _, by_name, by_arn, seen = _maps.get(id(machine)) or (machine, {}, {}, 0)
    executions = machine.executions
    if seen > len(executions):  # the list was replaced (a reset): start again
        by_name, by_arn, seen = {}, {}, 0
    for execution in executions[seen:]:
        by_name.setdefault(execution.name, execution)  # the first one, as moto's walk finds
        by_arn.setdefault(execution.execution_arn, execution)
    _maps[id(machine)] = (machine, by_name, by_arn, len(executions))
    return by_name, by_arn


class _Snapshots:
    """What moto's Step Functions backend sees as `copy`: a state machine's snapshot is
    taken once per version of the machine (what an update changes), not once per start."""

    def __init__(self, machine_type: type) -> None:
        self._machine_type = machine_type
        self._taken: dict[int, tuple[Any, tuple[Any, ...], Any]] = {}  # by id: (machine, its version, snapshot)

    def deepcopy(self, value: Any, memo: dict[int, Any] | None = None) -> Any:
        if not isinstance(value, self._machine_type):
            return copy.deepcopy(value, memo)
        machine_now: Any = value
        version = (
            machine_now.update_date,
            machine_now.definition,
            machine_now.roleArn,
            machine_now.latest_version_number,
        )
        machine, taken_of, snapshot = self._taken.get(id(value)) or (None, None, None)
        if machine is not value or taken_of != version:
            snapshot = copy.deepcopy(value, memo)
            self._taken[id(value)] = (value, version, snapshot)
        return snapshot


def install() -> Callable[[], None]:
    from moto.core.utils import utcnow
    from moto.stepfunctions.exceptions import ExecutionAlreadyExists, ExecutionDoesNotExist
    from moto.stepfunctions.models import StateMachine, StepFunctionBackend
    from moto.stepfunctions.parser import models as parser_models

    def handle_name_input_idempotency(self: Any, name: str, execution_input: str) -> Any:
        execution = _index(self)[0].get(name)
        if execution is None:
            return None
        if execution_input == execution.execution_input and execution.status == "RUNNING":
            return execution  # the same name and input while it runs: the same execution
        raise ExecutionAlreadyExists("Execution Already Exists: '" + execution.execution_arn + "'")

    def by_arn(machine: Any, execution_arn: str) -> Any:
        execution = _index(machine)[1].get(execution_arn)
        if execution is None:
            raise ExecutionDoesNotExist("Execution Does Not Exist: '" + execution_arn + "'")
        return execution

    def stop_execution(self: Any, execution_arn: str) -> Any:
        execution = by_arn(self, execution_arn)
        execution.stop(stop_date=utcnow(), error="", cause="")
        return execution

    def describe_execution(self: Any, execution_arn: str) -> Any:
        self._validate_execution_arn(execution_arn)
        return by_arn(self._get_state_machine_for_execution(execution_arn), execution_arn)

    restore = patching.apply(
        [
            (StateMachine, "_handle_name_input_idempotency", handle_name_input_idempotency),
            (StateMachine, "stop_execution", stop_execution),
            (StepFunctionBackend, "describe_execution", describe_execution),
            (parser_models, "copy", _Snapshots(StateMachine)),
        ]
    )

    def undo() -> None:
        _maps.clear()
        restore()

    return undo
