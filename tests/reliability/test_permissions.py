"""Every AWS call a function makes in a full local run is allowed by its policy in
template.yaml: a missing permission is an AccessDenied on the first real order."""

from __future__ import annotations

import copy
from pathlib import Path

from flows import checkout, shop
from stack_checks import missing_permissions
from winback_helpers import old_customers_buy, seed_lapsed

from conftest import Harness, at, order_created, order_paid
from winback_local import aws_events
from winback_local.meter import Meter
from winback_local.provision import LOCAL_CONNECTOR_SECRETS
from winback_local.replay import signed


def _exercise(stack: Harness) -> None:
    """Every path of every flow, the daily RFM job and win-back, and the API."""
    seed_lapsed(stack.rt.campaigns)
    stack.send("Order Created", order_created("o-1", "c-1"))
    stack.send("Order Created", order_created("o-2", "c-2"))
    stack.send("Order Created", order_created("o-3", "c-3"))
    stack.send("Order Created", order_created("o-3", "c-3"))  # a duplicate delivery
    stack.send("Order Paid", order_paid("o-4", "c-4"))  # paid before created
    stack.send("Order Created", order_created("o-4", "c-4"))
    stack.send("Order Paid", order_paid("o-2", "c-2"), when=at(minutes=5))  # stops the waiting flow
    stack.send("Order Cancelled", {"order_id": "o-3", "contact_id": "c-3"})
    stack.send("Order Created", {"order_id": "bad"})  # rejected to the dead-letter queue
    stack.send("Checkout Started", checkout("cart-5", "c-5"))  # the whole cart series, with its offer
    stack.send("Checkout Started", checkout("cart-6", "c-6"))  # ordered: the series ends early
    stack.send("Order Created", order_created("o-6", "c-6", cart_id="cart-6"), when=at(minutes=20))
    stack.run_until(at(hours=1))
    # An execution started before the reminder became one step reaches the retired step.
    retired = {"order_id": "o-1", "campaign_id": "unpaid-order-default", "execution": "before", "with_coupon": True}
    assert stack.rt.invoke("SendCouponEmailFunction", retired)["duplicate"] is True
    code = "COMEBACK10"
    assert stack.validate(code, "c-1")["valid"]
    assert stack.redeem(code, "c-1", "o-1")["valid"]
    stack.send("Order Paid", order_paid("o-1", "c-1", coupon_code=code), when=at(hours=2))
    old_customers_buy(stack, at(days=1, hours=1))  # someone enters "Can't lose them" the next night
    stack.run_until(at(days=2, hours=10))  # the win-back email went out at 09:00
    winback = stack.entries("email.sent", template="winback_coupon")
    assert winback and stack.validate(winback[0]["coupon_code"], winback[0]["contact_id"])["valid"]
    stack.run_until(at(days=16))  # through the second-purchase email
    # Deliverability: a one-click unsubscribe from the first email's link, and a bounce.
    # The raw MIME of every marketing email, whatever its flow, holds both headers; the
    # order confirmation (transactional) has no one-click unsubscribe.
    for message in stack.emails():
        transactional = str(message["X-Winback-Send"]).endswith("#confirmation")
        assert bool(message["List-Unsubscribe-Post"]) is not transactional, message["X-Winback-Send"]
        assert transactional or "https://" in str(message["List-Unsubscribe"])
    marketing = next(m for m in stack.emails() if m["List-Unsubscribe-Post"])
    link = str(marketing["List-Unsubscribe"]).split("<")[1].split(">")[0]
    stack.rt.invoke("UnsubscribeFunction", aws_events.function_url("POST", link, "List-Unsubscribe=One-Click"))
    stack.rt.invoke("SesEventsFunction", aws_events.ses_event("Email Bounced", "c-3@example.com"))
    stack.send("Contact Erasure Requested", {"contact_id": "c-5"})  # the shop asks to forget c-5
    # Shop webhooks: a signed Shopify order (catalogue pictures), a consent change, a
    # redaction (passed to the erasure rule), a bad signature.
    hooks = Path(__file__).resolve().parents[2] / "examples" / "webhooks" / "shopify"
    secret = LOCAL_CONNECTOR_SECRETS["shopify"][0]
    for topic, name in (
        ("orders/create", "orders_create.json"),
        ("customers_email_marketing_consent/update", "customers_email_marketing_consent_update.json"),
        ("customers/redact", "customers_redact.json"),
    ):
        body = (hooks / name).read_bytes()
        headers = signed("shopify", {"X-Shopify-Topic": topic, "X-Shopify-Webhook-Id": name}, body, secret, 0)
        assert stack.rt.webhook("shopify", headers, body)[0] == 200
    assert stack.rt.webhook("shopify", {"X-Shopify-Topic": "orders/create"}, b"{}")[0] == 401
    stack.run_until(at(days=16, minutes=1))


def test_every_call_a_function_makes_is_allowed_by_its_policy() -> None:
    with shop(daily_jobs=True) as stack:
        runtime = stack.rt
        meter = Meter().attach(runtime)
        try:
            _exercise(stack)
        finally:
            meter.detach()
        templates = sorted({e["template"] for e in stack.entries("email.sent")})
        assert templates == [
            "abandoned_cart",
            "order_confirmation",
            "second_purchase",
            "unpaid_order_coupon",
            "winback_coupon",
        ]
        assert set(meter.calls) >= set(runtime.stack.functions)  # every function ran
        assert missing_permissions(runtime.stack, runtime.physical, meter.targets) == []
        # The check itself: take a permission away and it is reported.
        broken = copy.deepcopy(runtime.stack)
        statements = broken.resources["CouponApiFunction"]["Properties"]["Policies"][0]["Statement"]
        statements[:] = [s for s in statements if s["Action"] != "dynamodb:PutItem"]
        assert missing_permissions(broken, runtime.physical, meter.targets) == [
            "CouponApiFunction: dynamodb:PutItem on RedemptionsTable is not in its policies"
        ]
