"""What moto's Step Functions engine sees of `threading` on the local runtime.

Executions run one at a time on the driver's thread (engine.py): moto's Program module
and its task states start threads, and its Environment makes an event per execution
that only its Wait state waits on. Here a thread runs its target in place, and the
event is a flag.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


class InPlace:
    """A `threading.Thread` stand-in that runs its target at start(), in the caller's thread."""

    def __init__(self, target: Callable[..., Any], args: tuple[Any, ...] = (), daemon: bool = True) -> None:
        self._target, self._args = target, args

    def start(self) -> None:
        self._target(*self._args)

    def join(self, timeout: float | None = None) -> None:
        return None

    def is_alive(self) -> bool:
        return False


class ThreadingInPlace:
    """What moto's Program module sees as `threading`: Thread runs in place."""

    Thread = InPlace


class ProgramStateFlag:
    """moto's `Environment.program_state_event`, here: set and cleared as the program's
    state changes, and never waited on (moto's only wait on it is the Wait state's, which
    the engine answers from the virtual clock). A `threading.Event` is a condition, a
    lock and a deque of waiters: about 1 KB for each execution that waits."""

    __slots__ = ("_set",)

    def __init__(self) -> None:
        self._set = False

    def set(self) -> None:
        self._set = True

    def clear(self) -> None:
        self._set = False

    def is_set(self) -> bool:
        return self._set

    def wait(self, timeout: float | None = None) -> bool:
        raise RuntimeError("nothing waits on a program's state on the local runtime's single thread")


class ThreadingForEnvironment:
    """What moto's Environment module sees as `threading`: its event is a flag."""

    RLock = threading.RLock
    Event = ProgramStateFlag
