"""Frequency cap and quiet hours: a held email waits for the contact's next allowed
moment in their own time zone, DST included; it is not dropped."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, time, timedelta

import boto3
from flows import checkout, sent, shop

from conftest import T0, Harness, at, order_created, order_paid
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
    # 08:00 plus c-42's own minute of the morning (pacing.morning_offset: 20 min 32 s).
    assert held["reason"] == "quiet_hours" and held["until"] == "2026-03-03T08:20:32Z"
    [sent] = stack.entries("email.sent")
    assert sent["at"] == "2026-03-03T08:20:32Z" and sent["template"] == "unpaid_order_coupon"


def test_the_hold_ends_at_eight_in_the_contacts_own_time_zone(stack: Harness) -> None:
    evening = T0.replace(hour=18, minute=50)  # 20:50 in Kyiv (UTC+2): the reminder falls due at 21:20 there
    stack.send("Order Created", order_created(timezone="Europe/Kyiv", locale="uk"), when=evening)
    stack.run_until(evening + timedelta(hours=14))
    [sent] = stack.entries("email.sent")
    assert sent["at"] == "2026-03-03T06:20:32Z"  # 08:00 in Kyiv, plus c-42's minute


def states_entered(execution_arn: str) -> list[str]:
    events = boto3.client("stepfunctions").get_execution_history(executionArn=execution_arn, maxResults=1000)
    return [e["stateEnteredEventDetails"]["name"] for e in events["events"] if e["type"].endswith("StateEntered")]


def test_a_reminder_due_at_night_waits_for_the_morning_in_its_first_wait(stack: Harness) -> None:
    evening = T0.replace(hour=20, minute=50)  # the reminder falls due at 21:20 UTC
    stack.send("Order Created", order_created(), when=evening)
    stack.run_until(evening + timedelta(hours=12))
    [execution] = stack.rt.executions()
    # Planned for 08:00 when the flow started: no step woke up at night to be held.
    assert states_entered(execution["executionArn"]) == [
        "WaitBeforeReminder",
        "RemindIfStillUnpaid",
        "Reminded?",
        "WaitEligibilityWindow",
    ]


def test_an_order_paid_in_the_night_before_its_reminder_ends_its_flow_in_the_first_wait(stack: Harness) -> None:
    evening = T0.replace(hour=20, minute=50)
    stack.send("Order Created", order_created(), when=evening)
    stack.send("Order Paid", order_paid(), when=evening + timedelta(hours=5))  # 01:50, before the reminder
    stack.run_until(evening + timedelta(hours=14))
    assert stack.entries("email.sent") == []
    [execution] = stack.rt.ended
    assert execution.transitions == 1 and stack.rt.routes.invocations == 0


def test_a_second_purchase_email_due_at_night_goes_the_next_morning_without_a_hold() -> None:
    with shop() as stack:
        night = T0.replace(hour=21, minute=30)
        stack.send("Order Created", order_created(), when=night)
        stack.send("Order Paid", order_paid())
        stack.run_until(night + timedelta(days=15))
        [second] = sent(stack, "second_purchase")
        assert second["at"] == "2026-03-17T08:20:32Z"  # due at 21:30 fourteen days on; c-42's minute
        [purchase] = [e for e in stack.rt.executions() if ":purchase-" in e["executionArn"]]
        assert "WaitUntilAllowedForSecondPurchase" not in states_entered(purchase["executionArn"])


def test_the_second_purchase_email_is_planned_in_the_zone_the_order_came_from() -> None:
    with shop() as stack:
        evening = T0.replace(day=3, hour=2, minute=30)  # 21:30 the evening before in New York
        stack.send("Order Created", order_created(timezone="America/New_York"), when=evening)
        stack.send("Order Paid", order_paid())
        stack.run_until(evening + timedelta(days=15))
        [second] = sent(stack, "second_purchase")
        assert second["at"] == "2026-03-17T12:20:32Z"  # 08:00 in New York (summer time since the 8th), c-42's minute
        [purchase] = [e for e in stack.rt.executions() if ":purchase-" in e["executionArn"]]
        assert "WaitUntilAllowedForSecondPurchase" not in states_entered(purchase["executionArn"])


def test_a_cart_reminder_due_at_night_goes_the_next_morning_and_the_series_keeps_its_days() -> None:
    with shop() as stack:
        stack.send("Checkout Started", checkout(), when=T0.replace(hour=20, minute=30))  # the first falls at 21:30
        stack.run_until(at(days=5))
        assert [e["at"] for e in sent(stack, "abandoned_cart")] == [
            "2026-03-03T08:20:32Z",  # c-42's minute of the morning
            "2026-03-03T20:30:00Z",
            "2026-03-05T20:30:00Z",
        ]
        [series] = stack.rt.executions()
        assert not any(s.startswith("WaitUntilAllowed") for s in states_entered(series["executionArn"]))


def test_what_the_night_held_goes_over_the_first_half_hour_not_at_eight_sharp() -> None:
    night = utc("2026-03-10T23:00:00")
    mornings = [next_allowed(night, "UTC", [], RULES, f"c-{n}") for n in range(600)]
    assert next_allowed(night, "UTC", [], RULES, "c-7") == mornings[7]  # each contact keeps their minute
    assert min(mornings) >= utc("2026-03-11T08:00:00") and max(mornings) < utc("2026-03-11T08:30:00")
    per_second = Counter(mornings)
    # 600 emails in 1,800 seconds: never near the SES default of 14 a second.
    assert max(per_second.values()) <= 4 and len({m.minute for m in mornings}) == 30
    assert next_allowed(utc("2026-03-11T09:00:00"), "UTC", [], RULES, "c-7") == utc("2026-03-11T09:00:00")


def test_a_morning_of_held_reminders_goes_out_without_hitting_the_send_rate(stack: Harness) -> None:
    stack.run_until(T0.replace(hour=22))  # sixty orders whose reminders fall due at 22:30
    stack.send_batch([("Order Created", order_created(f"o-{n}", f"c-{n}")) for n in range(60)])
    stack.run_until(at(days=1, hours=1))
    sent = stack.entries("email.sent")
    assert len(sent) == 60 and all("08:00:00Z" <= e["at"][11:] < "08:30:00Z" for e in sent)
    assert stack.rt.routes.failed == 0  # no step was turned away by SendingRateExceeded and retried


def test_the_morning_spread_stays_inside_a_short_allowed_window() -> None:
    rules = Rules(quiet_start=time(8, 10), quiet_end=time(8, 0))  # ten minutes a day allowed
    night = utc("2026-03-10T23:00:00")
    mornings = {next_allowed(night, "UTC", [], rules, f"c-{n}") for n in range(200)}
    assert min(mornings) >= utc("2026-03-11T08:00:00") and max(mornings) < utc("2026-03-11T08:05:00")
