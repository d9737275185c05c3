"""The one source of "now" for domain code.

On AWS it is the wall clock. The local runtime swaps in its virtual clock so that
two simulated days take seconds and every timestamp in the store follows it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime

_source: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def now() -> datetime:
    return _source()


def epoch() -> int:
    return int(now().timestamp())


def use(source: Callable[[], datetime]) -> None:
    """Replace the clock (the local runtime's virtual clock); `reset()` undoes it."""
    global _source
    _source = source


def reset() -> None:
    use(lambda: datetime.now(UTC))


def iso(moment: datetime) -> str:
    """RFC 3339 in UTC with a Z, the form every record and the timeline use."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse(text: str) -> datetime:
    """An RFC 3339 time as `iso` writes it, back to an aware UTC datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def seconds_until(moment: datetime, since: datetime) -> int:
    """Whole seconds from `since` to `moment`, rounded up: what a Wait state's
    SecondsPath takes, so that the wait never ends before `moment`."""
    return math.ceil((moment - since).total_seconds())
