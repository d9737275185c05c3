"""Frequency cap and quiet hours: a held email waits for the contact's next allowed
moment in their own time zone, DST included; it is not dropped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from conftest import T0, Harness, order_created
from winback.model.pacing import Rules, next_allowed, reason_held

RULES = Rules()  # 4 in 7 days, 4 hours apart, quiet 21:00-08:00


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_quiet_hours_end_at_eight_local_time_across_a_dst_change() -> None:
    # Paris goes from UTC+1 to UTC+2 in the night of 28 to 29 March 2026.
    late = utc("2026-03-28T21:30:00")  # 22:30 in Paris
    assert next_allowed(late, "Europe/Paris", [], RULES) == utc("2026-03-29T06:00:00")  # 08:00 summer time
    assert reason_held(late, "Europe/Paris", [], RULES) == "quiet_hours"
    early = utc("2026-03-27T06:30:00")  # 07:30 in Paris, winter time
    assert next_allowed(early, "Europe/Paris", [], RULES) == utc("2026-03-27T07:00:00")
    # New York goes back to UTC-5 on 1 November 2026: 12:00 UTC is 07:00 there, 08:00 is 13:00 UTC.
    assert next_allowed(utc("2026-11-01T12:00:00"), "America/New_York", [], RULES) == utc("2026-11-01T13:00:00")
    assert next_allowed(utc("2026-10-31T12:00:00"), "America/New_York", [], RULES) == utc("2026-10-31T12:00:00")


def test_the_gap_and_the_cap_hold_and_then_release() -> None:
    now = utc("2026-03-10T10:00:00")
    assert next_allowed(now, "UTC", [now - timedelta(hours=1)], RULES) == utc("2026-03-10T13:00:00")
    four = [now - timedelta(days=d) for d in (6, 5, 2, 1)]
    assert next_allowed(now, "UTC", four, RULES) == four[0] + timedelta(days=7)  # the oldest leaves the window
    assert reason_held(now, "UTC", four, RULES) == "frequency_cap"
    assert next_allowed(now, "UTC", four[1:], RULES) == now


def test_a_reminder_due_in_the_evening_goes_the_next_morning(stack: Harness) -> None:
    evening = T0.replace(hour=20, minute=50)  # the reminder falls due at 21:20 UTC
    stack.send("Order Created", order_created(), when=evening)
    stack.run_until(evening + timedelta(hours=12))
    [held] = stack.entries("email.delayed")
    assert held["reason"] == "quiet_hours" and held["until"] == "2026-03-03T08:00:00Z"
    [sent] = stack.entries("email.sent")
    assert sent["at"] == "2026-03-03T08:00:00Z" and sent["template"] == "unpaid_order_coupon"


def test_the_hold_ends_at_eight_in_the_contacts_own_time_zone(stack: Harness) -> None:
    evening = T0.replace(hour=18, minute=50)  # 20:50 in Kyiv (UTC+2): the reminder falls due at 21:20 there
    stack.send("Order Created", order_created(timezone="Europe/Kyiv", locale="uk"), when=evening)
    stack.run_until(evening + timedelta(hours=14))
    [sent] = stack.entries("email.sent")
    assert sent["at"] == "2026-03-03T06:00:00Z"  # 08:00 in Kyiv
