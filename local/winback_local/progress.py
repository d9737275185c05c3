"""How far a simulation has got, on stderr.

On a terminal: one line redrawn in place, a bar with the virtual time reached, events
delivered, emails sent and the time left at the pace so far; it appears only once a
run has taken a couple of seconds, and the line is cleared at the end. Elsewhere (a
log, CI) nothing, unless asked for (`--progress`): then a plain line every 10 %.
"""

from __future__ import annotations

import time
from typing import TextIO

WIDTH = 24
QUIET_SECONDS = 2.0  # runs shorter than this show nothing
REDRAW_SECONDS = 0.2


class Progress:
    def __init__(self, stream: TextIO, bar: bool, total_events: int):
        self.stream = stream
        self.bar = bar  # redraw one line (a terminal) or print a line every 10 %
        self.total_events = total_events
        self.started = time.monotonic()
        self._drawn = 0.0
        self._next_line = 0.1
        self._shown = False
        self._first: tuple[float, float] | None = None  # (time, share) at the first update: the pace counts from there

    def update(self, done: float, moment: str, events: int, emails: int) -> None:
        """`done`: the share of the virtual span covered, 0 to 1."""
        now = time.monotonic()
        elapsed = now - self.started
        if self._first is None:
            self._first = (now, done)
        counts = f"{moment}  {events}/{self.total_events} events  {emails} emails"
        if not self.bar:
            if done + 1e-9 >= self._next_line:
                print(f"  {done * 100:3.0f}%  {counts}", file=self.stream, flush=True)
                self._next_line = round(done, 1) + 0.1
            return
        if elapsed < QUIET_SECONDS or (now - self._drawn < REDRAW_SECONDS and done < 1):
            return
        filled = int(WIDTH * done)
        since, start = self._first
        pace = (now - since) / (done - start) if done > start else 0.0  # seconds per share of the span
        left = f"  {pace * (1 - done):4.0f} s left" if pace and done < 1 else ""
        line = f"\r[{'#' * filled}{'.' * (WIDTH - filled)}] {done * 100:3.0f}%  {counts}{left}"
        self.stream.write(line + "\x1b[K")
        self.stream.flush()
        self._drawn, self._shown = now, True

    def close(self) -> None:
        if self.bar and self._shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
