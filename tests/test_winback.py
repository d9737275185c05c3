"""Win-back end to end: the daily RFM job and the win-back flow, real ASL and handlers on
moto with the virtual clock. `lapsed_shop` (winback_helpers) has ten customers; T, with
three large old orders, enters "Can't lose them" on the second night, once O1 and O2 (who
were older) buy again."""

from __future__ import annotations

import html
from collections import Counter
from datetime import timedelta

import boto3
import pytest
from winback_helpers import lapsed_shop, old_customers_buy, winback_campaign

from conftest import Harness, at, contact, parts
from winback.aws.store import ContactRecord
from winback.domain import pools, segments, winback

SECOND_NIGHT = at(days=1, hours=16)  # 2026-03-04T01:00Z: the run after O1 and O2 bought
OFFER = at(days=2)  # eight hours later


def _entered(stack: Harness) -> list[str]:
    """Who entered the campaign's segment and was taken (N4 and N5 enter too, with one
    order: under min_orders 2 they are skipped with that reason)."""
    return [e["contact_id"] for e in stack.entries("flow.started", flow="winback")]


def test_the_first_run_sets_segments_without_anyone_entering_them() -> None:
    with lapsed_shop() as stack:
        stack.run_until(at(hours=17))
        [run] = stack.entries("rfm.computed")
        assert run["baseline"] and run["contacts"] == 10 and run["changed"] == 10 and run["entered"] == 0
        assert _entered(stack) == []


def test_a_customer_entering_the_segment_gets_a_unique_code_eight_hours_later() -> None:
    with lapsed_shop() as stack:
        old_customers_buy(stack, at(days=1, hours=1))
        stack.run_until(at(days=2, minutes=-1))  # just before the offer
        assert _entered(stack) == ["T"] and stack.rt.outbox == []
        assert {e["contact_id"]: e.get("reason") for e in stack.entries("email.skipped")} == {
            "N4": "too_few_orders",
            "N5": "too_few_orders",
        }
        stack.run_until(OFFER)
        [sent] = stack.entries("email.sent", contact_id="T")
        assert sent["at"] == "2026-03-04T09:00:00Z" and sent["template"] == "winback_coupon"
        code = sent["coupon_code"]
        assert stack.entries("coupon.assigned", contact_id="T", code=code)
        assert stack.validate(code, "T")["valid"]
        assert stack.validate(code, "N0")["reason"] == "not_eligible"
        [message] = stack.emails()
        both = parts(message)
        text, page = both["text/plain"], html.unescape(both["text/html"])
        for body in (text, page):
            assert code in body and "15%" in body and "14 days" in body  # the code, discount, validity (336 h in days)
            assert "utm_source=winback&utm_medium=email&utm_campaign=winback-default&utm_content=winback_coupon" in body
        assert f"coupon={code}" in text  # the shop link carries the code: nobody types it
        [ended] = stack.entries("flow.ended", flow="winback")
        assert ended["outcome"] == "completed"


def test_only_an_entry_into_a_campaigns_segment_starts_a_win_back_flow() -> None:
    """Every entry into any segment is announced on the bus, for any rule to hear; the
    win-back flow hears only those a campaign watches (at a million contacts, tens of
    thousands a day, each a Lambda call and three transitions to end at once)."""
    with lapsed_shop() as stack:
        old_customers_buy(stack, at(days=1, hours=1))
        stack.run_until(at(days=2))
        announced = sum(run["entered"] for run in stack.entries("rfm.computed"))
        flows = [e for e in stack.rt.executions() if ":WinBackStateMachine:" in e["executionArn"]]
        assert announced > 3 and len(flows) == 3  # T, N4 and N5 entered "Can't lose them"
        assert sorted(e["contact_id"] for e in stack.entries("segment.entered")) == ["N4", "N5", "T"]


def test_a_purchase_during_the_wait_ends_the_flow_without_a_coupon() -> None:
    with lapsed_shop() as stack:
        old_customers_buy(stack, at(days=1, hours=1))
        stack.run_until(SECOND_NIGHT)
        from conftest import order_created, order_paid

        stack.send("Order Created", order_created("o-T", "T", "300.00"), when=at(days=1, hours=20))
        stack.send("Order Paid", order_paid("o-T", "T", "300.00"))
        stack.run_until(at(days=2, hours=1))
        assert stack.entries("email.sent", template="winback_coupon") == []
        assert [e["outcome"] for e in stack.entries("flow.ended", flow="winback")] == ["bought"]
        assert stack.entries("coupon.assigned") == []


def test_consent_is_checked_at_entry_and_again_before_sending() -> None:
    with lapsed_shop() as stack:
        old_customers_buy(stack, at(days=1, hours=1))
        stack.run_until(SECOND_NIGHT)
        stack.send("Contact Updated", {"contact": contact("T", marketing_consent=False)}, when=at(days=1, hours=18))
        stack.run_until(OFFER)
        assert stack.rt.outbox == []
        assert [e["outcome"] for e in stack.entries("flow.ended", flow="winback")] == ["skipped_no_consent"]
    with lapsed_shop() as stack:
        stack.send("Contact Updated", {"contact": contact("T", marketing_consent=False)})
        old_customers_buy(stack, at(days=1, hours=1))
        stack.run_until(OFFER)
        assert stack.entries("email.skipped", contact_id="T", reason="no_consent")
        assert stack.entries("flow.started", flow="winback") == []


def test_running_the_job_twice_the_same_day_changes_and_sends_nothing_more() -> None:
    with lapsed_shop() as stack:
        old_customers_buy(stack, at(days=1, hours=1))
        stack.run_until(at(days=1, hours=17))
        stack.rt.start("DailyRfmStateMachine", {"scheduled_at": "2026-03-04T01:00:00Z"})  # again
        stack.run_until(OFFER)
        first, again = stack.entries("rfm.computed")[1:]
        assert first["entered"] == 5 and (again["changed"], again["entered"]) == (0, 0)  # T, N4, N5, O1, O2
        assert len(stack.entries("email.sent", template="winback_coupon")) == 1


def test_a_run_that_dies_half_way_is_finished_by_the_next_without_double_entries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = segments.score
    calls = Counter[int]()

    def dies_on_one_part(day: str, part: int, parts: int, baseline: bool) -> dict:
        calls[part] += 1
        if calls[part] == 1 and part == 15:  # the last part, after the others were written
            raise RuntimeError("the function ran out of memory")
        return real(day, part, parts, baseline)

    with lapsed_shop() as stack:
        old_customers_buy(stack, at(days=1, hours=1))
        stack.run_until(at(days=1, hours=15))  # the baseline run is done
        monkeypatch.setattr(segments, "score", dies_on_one_part)
        stack.run_until(at(days=1, hours=17))
        assert any("RuntimeError" in f for f in stack.rt.failures)
        stack.rt.start("DailyRfmStateMachine", {"scheduled_at": "2026-03-04T01:00:00Z"})  # the retry, at 02:00
        stack.run_until(at(days=2, hours=2))
        assert Counter(_entered(stack)) == {"T": 1}
        assert len(stack.entries("email.sent", template="winback_coupon")) == 1


def test_re_entry_within_the_cool_down_gets_nothing() -> None:
    with lapsed_shop() as stack:
        old_customers_buy(stack, at(days=1, hours=1))
        stack.run_until(OFFER)
        assert stack.entries("email.sent", contact_id="T")
        again = winback.enter("T", "Can't lose them", "2026-04-10", "manual")  # left, and back 37 days later
        assert again == {"enter": False, "outcome": "skipped_cooldown"}


def test_an_empty_pool_skips_the_email_with_its_reason() -> None:
    with lapsed_shop(codes=0) as stack:
        old_customers_buy(stack, at(days=1, hours=1))
        stack.run_until(OFFER)
        assert stack.rt.outbox == []
        assert stack.entries("coupon.skipped", contact_id="T", reason="pool_empty")
        assert [e["outcome"] for e in stack.entries("flow.ended", flow="winback")] == ["skipped_no_coupon"]


def test_an_empty_pool_takes_neither_the_contacts_slot_nor_the_cool_down() -> None:
    """Nothing went out, so nothing may count as sent: once the merchant loads codes, T
    can be offered one at once, not after the 4-hour gap or the 90-day cool-down."""
    with lapsed_shop(codes=0) as stack:
        old_customers_buy(stack, at(days=1, hours=1))
        stack.run_until(OFFER)
        assert [e["outcome"] for e in stack.entries("flow.ended", flow="winback")] == ["skipped_no_coupon"]
        stack.run_until(OFFER + timedelta(minutes=30))
        pools.add_codes("winback-default", ["REFILL-0001"])
        again = winback.enter("T", "Can't lose them", "2026-03-04b", "manual")  # an entry of its own
        assert again["enter"], again
        assert winback.offer("winback-default", "T", again["send_id"], "manual") == {"outcome": "completed"}
        [sent] = stack.entries("email.sent", contact_id="T")
        assert sent["coupon_code"] == "REFILL-0001" and sent["at"] == "2026-03-04T09:30:00Z"


def test_with_an_empty_pool_a_held_out_contact_is_skipped_too_not_counted_as_held_out() -> None:
    """The holdout is the comparison for contacts who got a code: T could not have had one."""
    with lapsed_shop([winback_campaign(min_orders=2, holdout_percent=100)], codes=0) as stack:
        old_customers_buy(stack, at(days=1, hours=1))
        stack.run_until(OFFER)
        assert [e["outcome"] for e in stack.entries("flow.ended", flow="winback")] == ["skipped_no_coupon"]
        assert stack.entries("email.held_out") == []


def test_the_pool_running_low_raises_the_alarm_metric() -> None:
    with lapsed_shop([winback_campaign(min_orders=2, pool_low_at=3)], codes=3) as stack:
        old_customers_buy(stack, at(days=1, hours=1))
        stack.run_until(OFFER)
        [low] = stack.entries("coupon.pool_low")
        assert low["remaining"] == 2


def test_the_rfm_job_reads_the_table_in_parallel_parts() -> None:
    with lapsed_shop() as stack:
        stack.run_until(at(hours=17))
        sfn = boto3.client("stepfunctions")
        [execution] = [e for e in stack.rt.executions() if "DailyRfm" in e["executionArn"]]
        history = sfn.get_execution_history(executionArn=execution["executionArn"], maxResults=1000)["events"]
        measured = [e for e in history if e["type"] == "TaskScheduled"]
        assert len(measured) == 16 + 1 + 16 + 1  # measure each part, cut, score each part, record


def test_an_offer_due_in_the_contacts_night_waits_for_their_morning_without_a_hold() -> None:
    with lapsed_shop() as stack:
        ContactRecord("T").update(actions=[ContactRecord.timezone.set("America/New_York")])
        old_customers_buy(stack, at(days=1, hours=1))
        stack.run_until(at(days=2, hours=6))
        [sent] = stack.entries("email.sent", contact_id="T")
        assert sent["at"] == "2026-03-04T13:15:59Z"  # 08:00 in New York (09:00 UTC is 04:00 there), T's minute
        sfn = boto3.client("stepfunctions")
        entered = [
            e["stateEnteredEventDetails"]["name"]
            for execution in stack.rt.executions()
            for e in sfn.get_execution_history(executionArn=execution["executionArn"], maxResults=1000)["events"]
            if e["type"].endswith("StateEntered")
        ]
        assert "WaitBeforeOffer" in entered and "WaitUntilAllowedToOffer" not in entered
