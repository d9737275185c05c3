"""The local runtime's virtual clock: what runs when, on virtual time.

Executions (greenlets, `engine`) run one at a time in the driver's thread. An execution
that waits either parks on the clock, stack and all (`sleep`), or is held as data
(`hold`), and goes on when `advance_to` reaches its due time.
"""

from __future__ import annotations

import heapq
import itertools
import traceback
from collections.abc import Callable
from datetime import datetime, timedelta

import greenlet


class ClockClosed(RuntimeError):
    """Raised in a parked execution when the runtime shuts down: the flow stays unfinished."""


class VirtualClock:
    def __init__(self, start: datetime):
        self._now = start
        self._due: list[tuple[datetime, int, Callable[[], None]]] = []
        self._parked: dict[int, greenlet.greenlet] = {}
        self._parked_as: dict[greenlet.greenlet, int] = {}  # the other way round, for wake()
        self._held: dict[int, Callable[[], None]] = {}  # executions that wait as data (hold)
        self._idle: list[greenlet.greenlet] = []  # execution greenlets with nothing to run
        self._seq = itertools.count()
        self._closed = False
        self.errors: list[str] = []

    def now(self) -> datetime:
        return self._now

    # -- called from executions ------------------------------------------------------
    def sleep(self, seconds: float) -> None:
        """Park the calling execution for `seconds` of virtual time."""
        execution = greenlet.getcurrent()
        if execution.parent is None:
            raise RuntimeError("only an execution can wait on the virtual clock")
        if self._closed:
            raise ClockClosed("the local runtime is shutting down")
        seq = next(self._seq)
        heapq.heappush(self._due, (self._now + timedelta(seconds=seconds), seq, lambda: self._resume(seq)))
        self._parked[seq], self._parked_as[execution] = execution, seq
        try:
            execution.parent.switch()  # back to the driver until the clock gets here
        finally:
            self._parked.pop(seq, None)
            self._parked_as.pop(execution, None)
        if self._closed:
            raise ClockClosed("the local runtime is shutting down")

    def _resume(self, seq: int) -> None:
        execution = self._parked.get(seq)
        if execution is not None:  # not woken already (see wake)
            execution.switch()

    def wake(self, execution: greenlet.greenlet) -> None:
        """Make a parked execution due now, not at the end of its wait (it was stopped)."""
        seq = self._parked_as.get(execution)
        if seq is not None:
            self.call_at(self._now, lambda: self._resume(seq))

    def hold(self, seconds: float, then: Callable[[], None]) -> Callable[[], None]:
        """An execution that waits as data, its stack let go: `then` runs as an execution
        once `seconds` of virtual time have passed. Returns what makes it due now (it
        was stopped)."""
        seq = next(self._seq)
        self._held[seq] = then

        def go_on() -> None:
            target = self._held.pop(seq, None)
            if target is not None:  # not woken already
                self._run(target)

        heapq.heappush(self._due, (self._now + timedelta(seconds=seconds), seq, go_on))
        return lambda: self.call_at(self._now, go_on)

    def spawn(self, target: Callable[[], None]) -> None:
        """Run `target` as an execution once the clock gets to it (now)."""
        self.call_at(self._now, lambda: self._run(target))

    def _run(self, target: Callable[[], None]) -> None:
        """Run `target` as an execution, from the driver, in an idle greenlet of the
        clock's or a new one (made here, so that its parent, where it returns when it
        parks or ends, is the driver). Held executions go on in a greenlet of their own,
        often: reused, each does not cost a new Python data stack."""
        execution = self._idle.pop() if self._idle else greenlet.greenlet(self._serve)
        execution.switch(target)

    def _serve(self, target: Callable[[], None]) -> None:
        """An execution greenlet's life: run a target, then wait idle for the next one."""
        while True:
            try:
                target()
            except ClockClosed:
                pass
            except BaseException:  # a crash in moto's engine must not stop the clock
                self.errors.append(traceback.format_exc())
            del target  # nothing of the last execution stays alive in an idle greenlet
            self._idle.append(greenlet.getcurrent())
            target = greenlet.getcurrent().parent.switch()  # back to the driver until the next one

    # -- called from the driver ----------------------------------------------------
    def call_at(self, when: datetime, action: Callable[[], None]) -> None:
        """Run `action` in the driver when the clock reaches `when`."""
        heapq.heappush(self._due, (max(when, self._now), next(self._seq), action))

    def next_due(self) -> datetime | None:
        return self._due[0][0] if self._due else None

    def pending(self) -> int:
        return len(self._due)

    def parked(self) -> int:
        """Executions waiting on the clock."""
        return len(self._parked) + len(self._held)

    def close(self) -> None:
        """Wake every parked execution so that it ends; nothing further runs (an
        execution held as data stays as it is: unfinished)."""
        self._closed = True
        self._due.clear()
        self._held.clear()
        for execution in list(self._parked.values()):
            execution.switch()

    def advance_to(self, until: datetime) -> None:
        while self._due and self._due[0][0] <= until:
            due, _, action = heapq.heappop(self._due)
            self._now = max(self._now, due)
            action()  # an execution runs until it parks again or ends
        self._now = max(self._now, until)
