"""Races: two redemptions of one coupon at the same moment, and a payment that arrives
while the coupon email task runs."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from pynamodb.exceptions import DoesNotExist

from conftest import Harness, at, order_created, order_paid
from winback.aws import mailer
from winback.aws.store import ListMember
from winback.domain import coupons

CODE = "COMEBACK10"
LIST = "unpaid-order-coupon"


def test_two_redemptions_at_the_same_moment_exactly_one_wins(stack: Harness, monkeypatch) -> None:
    stack.send("Order Created", order_created())
    stack.run_until(at(minutes=31))
    both_read = threading.Barrier(2, timeout=10)
    read = coupons._redemption

    def read_then_wait(code: str, contact_id: str) -> Any:
        found = read(code, contact_id)
        both_read.wait()  # each has seen "not used yet" before either writes
        return found

    monkeypatch.setattr(coupons, "_redemption", read_then_wait)
    answers: list[dict[str, Any]] = []
    threads = [
        threading.Thread(target=lambda order=order: answers.append(stack.redeem(CODE, "c-42", order)))
        for order in ("o-1", "o-2")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted((a["valid"], a["reason"]) for a in answers) == [(False, "already_used"), (True, "ok")]


def _during_send(stack: Harness, monkeypatch, action: Callable[[], None]) -> None:
    """Run `action` inside the coupon email task, just before SES is called."""
    send = mailer.send
    done = []

    def send_after(mail: Any) -> str:
        if not done:
            done.append(True)
            action()
        return send(mail)

    monkeypatch.setattr(mailer, "send", send_after)


def _on_list() -> bool:
    try:
        ListMember.get(LIST, "c-42", consistent_read=True)
    except DoesNotExist:
        return False
    return True


@pytest.mark.parametrize(
    "moment", ["before the task reads the order", "while the contact joins the list", "while SES is called"]
)
def test_a_payment_during_the_reminder_task_never_leaves_a_paid_order_on_the_list(
    stack: Harness, monkeypatch, moment: str
) -> None:
    def pay() -> None:
        stack.rt.put_events([stack.rt.envelope("Order Paid", order_paid())])

    if moment == "while SES is called":
        _during_send(stack, monkeypatch, pay)
    elif moment == "while the contact joins the list":
        join = coupons.join_list

        def pay_then_join(*args: Any) -> None:
            pay()  # heard before the contact is on the list: the payment finds nothing to take off
            join(*args)

        monkeypatch.setattr(coupons, "join_list", pay_then_join)
    else:
        route = stack.rt.routes.routes["OfferCouponFunction"]

        def pay_first(payload: dict[str, Any]) -> Any:
            pay()
            return route(payload)

        monkeypatch.setitem(stack.rt.routes.routes, "OfferCouponFunction", pay_first)
    stack.send("Order Created", order_created())
    stack.run_until(at(minutes=31))
    # Paid: off the list at once, not at the end of the 24-hour window.
    assert not _on_list()
    stack.run_until(at(days=2))
    sent = stack.entries("email.sent")
    assert len(sent) == (1 if moment == "while SES is called" else 0)  # one in flight at most, never a second
    assert not _on_list() and stack.rt.failures == []
    assert stack.entries("flow.ended", order_id="o-1")[-1]["outcome"] == "paid"
