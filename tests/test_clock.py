"""The clock's arithmetic for the flows' waits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from winback.model import clock


def test_a_wait_in_whole_seconds_never_ends_before_its_moment() -> None:
    now = datetime(2026, 11, 30, 21, 59, 59, 800_000, tzinfo=UTC)
    morning = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # quiet hours end: not a whole number of seconds away
    waited = clock.seconds_until(morning, now)
    assert now + timedelta(seconds=waited) >= morning
    assert now + timedelta(seconds=waited - 1) < morning  # and not a second more than needed
    assert clock.seconds_until(now + timedelta(minutes=30), now) == 1800
