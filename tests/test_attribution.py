"""Revenue is owed to an email only when the order is paid, inside the window, and not
so soon after the email that the sale was under way already."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flows import checkout, shop

from conftest import T0, Harness, at, order_created, order_paid
from winback.model.attribution import RECOVERED, UNDER_WAY, Touch, attribute

EMAIL = Touch("unpaid_order#o-1#coupon", "unpaid-order-default", T0)


@pytest.mark.parametrize(
    ("paid_after", "outcome"),
    [
        (timedelta(minutes=1, seconds=59), UNDER_WAY),
        (timedelta(minutes=2), RECOVERED),
        (timedelta(days=5), RECOVERED),  # the window's last moment
        (timedelta(days=5, seconds=1), None),
        (timedelta(seconds=-1), None),  # paid before the email: not owed to it
    ],
)
def test_the_window_and_the_minimum_gap_at_their_edges(paid_after: timedelta, outcome: str | None) -> None:
    found = attribute([EMAIL], T0 + paid_after)
    assert (found.outcome if found else None) == outcome


def test_the_last_email_before_paying_takes_the_sale_and_a_confirmation_never_does() -> None:
    cart = Touch("abandoned_cart#k-1#2", "cart", T0 + timedelta(hours=1))
    confirmation = Touch("post_purchase#o-0#confirmation", "after", T0 + timedelta(hours=2))
    found = attribute([EMAIL, cart, confirmation], T0 + timedelta(hours=3))
    assert found is not None and found.touch is cart and (found.touch.flow, found.touch.step) == ("abandoned_cart", "2")


def test_an_unpaid_order_paid_after_its_reminder_is_credited_at_payment(stack: Harness) -> None:
    stack.send("Order Created", order_created("o-1"))
    stack.run_until(at(hours=1))
    assert stack.entries("order.attributed") == []  # nothing is counted before the money is
    stack.send("Order Paid", order_paid("o-1"), when=at(hours=2))
    [credit] = stack.entries("order.attributed")
    assert (credit["flow"], credit["step"], credit["outcome"]) == ("unpaid_order", "coupon", "recovered")
    assert credit["revenue"] == "120.00" and credit["currency"] == "EUR" and credit["revenue_reporting_minor"] == 12000
    assert credit["coupon_code"] == "COMEBACK10" and credit["held_out"] is False
    assert credit["clicked"] is False  # received then paid: no click reported


def test_paid_within_two_minutes_of_the_email_counts_as_under_way(stack: Harness) -> None:
    stack.send("Order Created", order_created("o-1"))
    stack.send("Order Paid", order_paid("o-1"), when=at(minutes=31))
    [credit] = stack.entries("order.attributed")
    assert credit["outcome"] == "under_way" and credit["minutes_after_email"] == 1


def test_a_payment_after_the_order_was_cancelled_is_owed_to_nothing(stack: Harness) -> None:
    stack.send("Order Created", order_created("o-1"))
    stack.send("Order Cancelled", {"order_id": "o-1", "contact_id": "c-42"}, when=at(hours=1))
    stack.send("Order Paid", order_paid("o-1"), when=at(hours=2))
    assert stack.entries("order.attributed") == []
    [skipped] = stack.entries("order.unattributed")
    assert skipped["reason"] == "paid_after_cancel"


def test_a_cart_counts_when_its_order_is_paid_not_when_it_is_ordered() -> None:
    with shop() as stack:
        stack.send("Checkout Started", checkout())
        stack.send("Order Created", order_created("o-7", cart_id="cart-1"), when=at(hours=3))
        stack.run_until(at(hours=3, minutes=15))
        assert stack.entries("order.attributed") == []  # ordered, not paid: nothing counted yet
        stack.send("Order Paid", order_paid("o-7", total="150.00"), when=at(hours=3, minutes=20))
        [credit] = stack.entries("order.attributed")
        assert (credit["flow"], credit["step"], credit["revenue"]) == ("abandoned_cart", "1", "150.00")


def test_the_dashboard_counts_revenue_at_payment_and_the_holdout_beside_it() -> None:
    from winback.aws import journal
    from winback.aws.observe import metrics

    metrics.clear_metrics()
    base = {"type": "order.attributed", "contact_id": "c-1", "revenue_reporting_minor": 12000}
    journal._cloud_sink({**base, "held_out": False, "outcome": "recovered"})
    journal._cloud_sink({**base, "held_out": True, "outcome": "recovered"})
    journal._cloud_sink({**base, "held_out": False, "outcome": "under_way"})  # not the email's
    found = {name: entry["Value"] for name, entry in metrics.metric_set.items()}
    metrics.clear_metrics()
    assert found["RevenueRecovered"] == [120.0] and found["OrdersRecovered"] == [1.0]
    assert found["HoldoutRevenue"] == [120.0] and found["HoldoutOrdersPaid"] == [1.0]
    assert found["OrdersAttributed"] == [1.0, 1.0, 1.0]


def test_a_click_reported_by_ses_makes_the_payment_clicked_then_paid(stack: Harness) -> None:
    from winback.aws.mailer import send_tag

    stack.send("Order Created", order_created("o-1"))
    stack.run_until(at(minutes=40))
    send_id = "unpaid_order#o-1#coupon"
    click = {
        "version": "0",
        "id": "e-click",
        "source": "aws.ses",
        "detail-type": "Email Clicked",
        "detail": {
            "eventType": "Click",
            "mail": {"messageId": "m-1", "tags": {"winback-send": [send_tag(send_id)]}},
            "click": {"link": "https://shop.example.com/pay/o-1"},
        },
    }
    assert stack.rt.invoke("SesEventsFunction", click) == {"click": "clicked"}
    assert stack.rt.invoke("SesEventsFunction", click) == {"click": "repeated"}  # SES delivers at least once
    stack.send("Order Paid", order_paid("o-1"), when=at(hours=1))
    [credit] = stack.entries("order.attributed")
    assert credit["clicked"] is True and credit["outcome"] == "recovered"
