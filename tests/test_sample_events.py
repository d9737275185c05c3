"""events/ holds a sample event per function, for `sam local invoke`; each one works."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import Harness, at
from winback_local.template import read

EVENTS = Path(__file__).resolve().parents[1] / "events"
STACK = read()


def sample(name: str) -> dict:
    return json.loads((EVENTS / f"{name}.json").read_text())


@pytest.mark.parametrize("function", sorted(STACK.functions))
def test_every_function_has_a_sample_event(function: str) -> None:
    assert (EVENTS / f"{function}.json").is_file()


def test_the_sample_events_drive_a_whole_flow_through_the_real_handlers(stack: Harness) -> None:
    assert stack.rt.invoke("OrderEventsFunction", sample("OrderEventsFunction")) == {"batchItemFailures": []}
    assert stack.entries("flow.started", order_id="o-1001")
    reminded = stack.rt.invoke("OfferCouponFunction", sample("OfferCouponFunction"))
    assert reminded["coupon_offered"] is True and reminded["email_sent"] is True
    # The retired step (executions started before the upgrade) finds the email sent.
    assert stack.rt.invoke("SendCouponEmailFunction", sample("SendCouponEmailFunction"))["duplicate"] is True
    answer = stack.rt.invoke("CouponApiFunction", sample("CouponApiFunction"))
    assert answer["statusCode"] == 200 and json.loads(answer["body"])["valid"] is True
    redeemed = stack.rt.invoke("CouponApiFunction", sample("CouponApiFunction.redeem"))
    assert json.loads(redeemed["body"])["valid"] is True
    assert stack.rt.invoke("EndCouponEligibilityFunction", sample("EndCouponEligibilityFunction")) == {
        "outcome": "expired"
    }


def test_the_put_events_sample_is_a_valid_order_created(stack: Harness) -> None:
    [entry] = json.loads((EVENTS / "put-events.order-created.json").read_text())
    assert stack.rt.put_events([stack.rt.envelope(entry["DetailType"], json.loads(entry["Detail"]))]) == 1
    assert stack.rt.rejected() == []


def test_the_cart_and_purchase_samples_work_through_the_real_handlers() -> None:
    from flows import checkout, shop

    with shop() as stack:
        stack.send("Checkout Started", checkout("cart-2001"))
        assert stack.rt.invoke("SendCartReminderFunction", sample("SendCartReminderFunction")) == {
            "go_on": True,
            "offer": False,
        }
        assert stack.rt.invoke("EndCartSeriesFunction", sample("EndCartSeriesFunction")) == {"outcome": "completed"}
        stack.rt.invoke("OrderEventsFunction", sample("OrderEventsFunction"))
        stack.send("Order Paid", {"order_id": "o-1001", "contact_id": "c-42", "total": "120.00", "currency": "EUR"})
        confirmation = stack.rt.invoke("SendOrderConfirmationFunction", sample("SendOrderConfirmationFunction"))
        assert confirmation == {"outcome": None}
        # The cart reminder went out a moment ago: the minimum gap holds the next marketing email.
        held = stack.rt.invoke("SendSecondPurchaseEmailFunction", sample("SendSecondPurchaseEmailFunction"))
        assert held == {"outcome": None, "delay_until": "2026-03-02T13:00:00Z"}
        stack.run_until(at(hours=4))
        second = stack.rt.invoke("SendSecondPurchaseEmailFunction", sample("SendSecondPurchaseEmailFunction"))
        assert second == {"outcome": "completed"}
        assert [e["template"] for e in stack.entries("email.sent")][:2] == ["abandoned_cart", "order_confirmation"]


def test_the_webhooks_sample_is_a_signed_shopify_order_the_endpoint_accepts(stack: Harness) -> None:
    """Signed with the local runtime's Shopify secret; on AWS, the stack's secret decides."""
    answer = stack.rt.invoke("WebhooksFunction", sample("WebhooksFunction"))
    assert answer["statusCode"] == 200
    stack.rt.drain()
    assert stack.entries("order.seen", order_id="5678901234567890123")
