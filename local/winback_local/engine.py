"""The glue between moto's Step Functions engine and a virtual clock.

moto executes the real ASL, one thread per execution, but its Wait states and Retry
intervals sleep in real time and its Lambda tasks need Docker. This module:

- runs each execution as a greenlet (a coroutine with its own stack) in the driver's
  thread, instead of moto's threads, until it waits. In a Wait state at the top of its
  program (the flows' waits), its stack unwinds and the clock holds it as data until
  the wait is over: moto's environment and its history, packed. Only a Retry interval,
  or a Wait inside a Map iteration or a Parallel branch, parks the greenlet itself,
  stack and all (about 8 KB more; a parked thread cost 42);
- starts executions only when the clock lets them run, one at a time, so a run is
  deterministic and moto's in-memory backends see one writer;
- answers `lambda:invoke` tasks in-process with the handler a function name maps to
  (`lambdas.LambdaRoutes`);
- runs an execution's program and its task states in place (moto starts two more
  threads per execution and one per task, to enforce time-outs in real seconds, which
  mean nothing on a virtual clock), and gives each execution a flag where moto made a
  `threading.Event` (`in_place.py`);
- ends a stopped execution at once (StopExecution wakes it where it waits), so its
  history shows the stop as soon as Step Functions' would, not at the end of its wait.

`virtual_clock.VirtualClock.advance_to(t)` runs everything due up to `t`, in due-time order, each
until it waits again or ends. Known of moto 5.2.5 (pinned): patching
`WaitFunction._wait_interval` is the hook that works; freezing time hangs the run; an
execution held in a Wait goes on through `Program._eval_body`, the first state it
evaluates being the rest of that Wait (`_WaitOver`).
"""

from __future__ import annotations

import math
import pickle
import random
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from typing import Any

import boto3
import greenlet

from winback_local import patching
from winback_local.in_place import InPlace, ThreadingForEnvironment, ThreadingInPlace
from winback_local.lambdas import LambdaRoutes
from winback_local.virtual_clock import VirtualClock

SEED_BYTES = 2048  # a pickled history this long or longer can seed the others' compression
ZLIB_WINDOW = 32768  # zlib reads at most this much of a dictionary


class _PackedHistory:
    """An execution's event history, pickled and compressed, while the execution waits
    or once it has ended: what GetExecutionHistory answers, at a twentieth of the memory
    of moto's event objects. Histories repeat each other (event names, fields, ARNs), so
    they are compressed against the first long one packed, which every later one keeps
    a reference to: about 490 bytes a history instead of 890 alone."""

    seed: bytes | None = None  # the zlib dictionary of the histories packed from now on

    def __init__(self, events: list[Any]) -> None:
        raw = pickle.dumps(events, protocol=pickle.HIGHEST_PROTOCOL)
        if _PackedHistory.seed is None and len(raw) >= SEED_BYTES:
            _PackedHistory.seed = raw[-ZLIB_WINDOW:]
        self._seed = _PackedHistory.seed
        packer = zlib.compressobj(6) if self._seed is None else zlib.compressobj(6, zdict=self._seed)
        self._packed = packer.compress(raw) + packer.flush()

    def get_event_history(self) -> list[Any]:
        unpacker = zlib.decompressobj() if self._seed is None else zlib.decompressobj(zdict=self._seed)
        return pickle.loads(unpacker.decompress(self._packed))  # type: ignore[no-any-return]  # noqa: S301 (our own bytes)


class _EndedEnvironment:
    """What moto reads of an execution's environment once it has ended: its final
    state, its history, the pools its other APIs look into. The rest (frames, heap,
    context, the program's components' state) is let go."""

    def __init__(self, env: Any, events: list[Any]) -> None:
        self._state = env.program_state()
        self.event_manager = _PackedHistory(events)
        self.callback_pool_manager = env.callback_pool_manager
        self.map_run_record_pool_manager = env.map_run_record_pool_manager

    def program_state(self) -> Any:
        return self._state

    def is_running(self) -> bool:
        return False

    def set_stop(self, **_: Any) -> None:
        """StopExecution on an execution that has ended changes nothing."""


class _WaitAsData(BaseException):
    """Unwinds an execution from a Wait state at the top of its program to the engine,
    which holds it as data until the wait is over. A BaseException, so that moto's
    handlers (`except Exception`) let it through instead of failing the execution."""

    def __init__(self, seconds: int, state: Any) -> None:
        super().__init__(seconds)
        self.seconds, self.state = seconds, state  # the Wait state it waits in


class _WaitOver:
    """What the program evaluates first when an execution held in a Wait state goes on:
    the rest of that state, as moto's `State._eval_body` does it after `_eval_state`
    (a stopped execution records no exit; moto 5.2.5, pinned)."""

    def __init__(self, state: Any) -> None:
        self.state = state

    def eval(self, env: Any) -> None:
        from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
        from moto.stepfunctions.parser.asl.eval.program_state import ProgramRunning

        state = self.state
        if not isinstance(env.program_state(), ProgramRunning):
            return
        state._eval_state_output(env=env)
        state._verify_size_quota(env=env, value=env.states.get_input())
        state._set_next(env)
        env.event_manager.add_event(
            context=env.event_history_context,
            event_type=state.state_exited_event_type,
            event_details=EventDetails(stateExitedEventDetails=state._get_state_exited_event_details(env=env)),  # type: ignore[typeddict-item]  # as moto builds it
        )


@dataclass(frozen=True)
class Ended:
    """How an execution ended, noted as it ends (moto's list_executions and history
    APIs cost seconds per call at scale)."""

    name: str
    status: str  # SUCCEEDED | FAILED | ProgramStopped ...
    transitions: int  # states entered and task retries: what Step Functions bills
    tasks: int = 0  # Task states entered: Lambda invocations, retries aside
    error: str = ""
    retries: int = 0  # task attempts after a state's first (each billed as a transition)


def install(
    clock: VirtualClock, routes: LambdaRoutes, on_end: Callable[[Ended], None] | None = None
) -> Callable[[], None]:
    """Patch moto's engine onto `clock` and `routes`; returns the undo function.
    `on_end` hears how each execution ended."""
    from moto.stepfunctions.parser import utils as sfn_utils
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEventException
    from moto.stepfunctions.parser.asl.component.common.retry import jitter_strategy_decl, retrier_decl
    from moto.stepfunctions.parser.asl.component.program import program
    from moto.stepfunctions.parser.asl.component.program.program import Program
    from moto.stepfunctions.parser.asl.component.state.exec import execute_state
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.inline_iteration_component import (
        InlineIterationComponent,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.timestamp import Timestamp
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction
    from moto.stepfunctions.parser.asl.eval import environment
    from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager
    from moto.stepfunctions.parser.asl.eval.program_state import ProgramEnded, ProgramError
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    parse = ExecutionWorker._get_evaluation_entrypoint
    clients: dict[tuple[str, str], Any] = {}
    make_client = lambda_eval_utils.boto_client_for

    def client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        """One client per service for all Lambda tasks (moto makes one per task)."""
        if (region, service) not in clients:
            clients[(region, service)] = make_client(
                region=region, service=service, state_credentials=state_credentials
            )
        return clients[(region, service)]

    programs: dict[str, Any] = {}
    running: dict[greenlet.greenlet, ExecutionWorker] = {}  # the execution each greenlet runs
    held: dict[ExecutionWorker, Callable[[], None]] = {}  # executions held as data: what wakes each
    resuming: list[_WaitOver] = []  # what the next program step evaluates, when an execution goes on
    get_state = Program._get_state

    def next_state(self: Program, name: str) -> Any:
        """The state a program evaluates next: the rest of the Wait state an execution
        was held in, when it goes on."""
        return resuming.pop() if resuming else get_state(self, name)

    def entrypoint(self: ExecutionWorker) -> Any:
        """Parse each definition once: components keep run state in env.heap, not
        on themselves, so executions can share one program (ANTLR parsing costs
        tens of milliseconds per execution)."""
        definition = self._evaluation_details.state_machine_details.definition
        if definition not in programs:
            programs[definition] = parse(self)
        return programs[definition]

    def wait_interval(self: Any, env: Any, wait_seconds: int) -> None:
        """A Wait state at the top of a program holds the execution as data: its stack
        unwinds to `start`'s `run`, which hands it to the clock. One inside a Map
        iteration or a Parallel branch (or with an Assign to finish) parks the
        execution's stack on the clock instead. Either way, most executions of a replay
        are waiting at any moment, and the history so far is packed while they wait;
        GetExecutionHistory reads it packed or not."""
        if wait_seconds <= 0:
            return
        worker = running.get(greenlet.getcurrent())
        if worker is not None and not env.is_frame():
            state = get_state(entrypoint(worker), env.next_state_name)  # the Wait state being evaluated
            if state.assign_decl is None:
                raise _WaitAsData(wait_seconds, state)
        packed(env.event_manager)
        try:
            clock.sleep(wait_seconds)
        finally:
            unpacked(env.event_manager)

    def packed(events: Any) -> None:
        with events._mutex:
            events._history_event_list = _PackedHistory(events._history_event_list)

    def unpacked(events: Any) -> None:
        with events._mutex:
            events._history_event_list = events._history_event_list.get_event_history()

    history_of = EventManager.get_event_history

    def history_even_waiting(self: EventManager) -> Any:
        history = self._history_event_list
        return history.get_event_history() if isinstance(history, _PackedHistory) else history_of(self)

    def seconds_until(self: Timestamp, env: Any) -> int:
        """A Timestamp/TimestampPath Wait measured on the virtual clock (moto reads
        the wall clock)."""
        self.string.eval(env=env)
        text = env.stack.pop()
        moment = self._from_timestamp_string(timestamp=text)
        if moment is None:
            raise FailureEventException(self._create_failure_event(env, text))
        return math.ceil((moment.replace(tzinfo=UTC) - clock.now()).total_seconds())

    def _ended(worker: ExecutionWorker, events: list[Any]) -> Ended:
        assert worker.env is not None
        state = worker.env.program_state()
        kinds = Counter(str(e["type"]) for e in events)  # "HistoryEventType.TaskStateEntered"...

        def count(*suffixes: str) -> int:
            return sum(n for kind, n in kinds.items() if kind.endswith(suffixes))

        entered, tasks = count("StateEntered"), count("TaskStateEntered")
        attempts = count("TaskScheduled", "LambdaFunctionScheduled")
        retries = max(0, attempts - tasks)  # "each retry will be charged as an additional state transition"
        error = ""
        if isinstance(state, ProgramError):
            details = state.error or {}
            error = f"{details.get('error')}: {details.get('cause')}"
        status = "SUCCEEDED" if isinstance(state, ProgramEnded) else "FAILED" if error else type(state).__name__
        name = worker._evaluation_details.execution_details.name
        return Ended(name, status, entered + retries, tasks, error, retries)

    def start(self: ExecutionWorker) -> None:
        clock.spawn(lambda: run(self, self._execution_logic))

    def run(worker: ExecutionWorker, step: Callable[[], None]) -> None:
        """Run an execution until it ends or waits; the greenlet it runs in is free again either way."""
        running[greenlet.getcurrent()] = worker
        try:
            step()
        except _WaitAsData as wait:
            env: Any = worker.env
            packed(env.event_manager)
            state = wait.state
            held[worker] = clock.hold(wait.seconds, lambda: run(worker, lambda: go_on(worker, state)))
            return
        finally:
            running.pop(greenlet.getcurrent(), None)
        sfn_utils.TMP_THREADS.clear()  # moto keeps every worker it started, for its own tests
        if worker.env is None:
            return
        events: list[Any] = worker.env.event_manager.get_event_history()  # a copy: moto's own is let go below
        if on_end is not None:
            on_end(_ended(worker, events))
        worker.env = _EndedEnvironment(worker.env, events)  # type: ignore[assignment]

    def go_on(worker: ExecutionWorker, state: Any) -> None:
        """An execution held in `state` (a Wait) goes on: the rest of the state, then the
        program from there, as `_execution_logic` would have (moto 5.2.5)."""
        held.pop(worker, None)
        env = worker.env
        assert env is not None
        unpacked(env.event_manager)
        resuming.append(_WaitOver(state))
        try:
            entrypoint(worker)._eval_body(env)
        finally:
            resuming.clear()  # not taken if the execution was stopped while it waited
        worker._execution_communication.terminated()

    stop = ExecutionWorker.stop

    def stop_now(self: ExecutionWorker, *args: Any, **kwargs: Any) -> None:
        """StopExecution ends the execution now, as on AWS, not at the end of its wait;
        one not run yet is stopped once in its first state (moto has nothing to stop before)."""
        if self.env is None:
            clock.call_at(clock.now(), lambda: None if self.env is None else stop_now(self, *args, **kwargs))
            return
        stop(self, *args, **kwargs)
        if self in held:
            held.pop(self)()
        for parked in [g for g, worker in running.items() if worker is self and g is not greenlet.getcurrent()]:
            clock.wake(parked)

    class _RetryTime:
        sleep = staticmethod(clock.sleep)

    def map_worker_in_place(self: Any, env: Any, eval_input: Any, job_pool: Any) -> Any:
        """A Map state's iterations run one after the other in the execution's own
        execution (moto starts a thread per worker), so the clock still sees one writer.
        The first worker takes every job; MaxConcurrency changes nothing but speed."""
        worker = self._create_worker(env=env, eval_input=eval_input, job_pool=job_pool)
        worker.eval()
        return worker

    patches: list[tuple[Any, str, Any]] = [
        (WaitFunction, "_wait_interval", wait_interval),
        (EventManager, "get_event_history", history_even_waiting),
        (Program, "_get_state", next_state),
        (Timestamp, "_get_wait_seconds", seconds_until),
        (ExecutionWorker, "start", start),
        (ExecutionWorker, "stop", stop_now),
        (ExecutionWorker, "_get_evaluation_entrypoint", entrypoint),
        (retrier_decl, "time", _RetryTime),
        (lambda_eval_utils, "boto_client_for", client_for),
        (InlineIterationComponent, "_launch_worker", map_worker_in_place),
        # Retry jitter from a seeded generator: the same run gives the same retry times.
        (jitter_strategy_decl, "random", random.Random(0)),  # noqa: S311
        (program, "threading", ThreadingInPlace),
        (environment, "threading", ThreadingForEnvironment),
        (execute_state, "Thread", InPlace),
    ]
    restore = patching.apply(patches)
    events = boto3._get_default_session().events
    events.register("before-call.lambda.Invoke", routes, unique_id="winback-local-lambda")  # type: ignore[arg-type]

    def undo() -> None:
        restore()
        events.unregister("before-call.lambda.Invoke", unique_id="winback-local-lambda")

    return undo
