"""Shop connectors: each platform's payloads, as documented, through the real endpoint
handler and the mapping; signatures both ways; duplicates and disorder."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from flows import sent, shop

from conftest import T0, Harness, at
from winback.connectors import shopify, signatures, stripe, woocommerce
from winback.connectors.common import Unmapped
from winback.model.events import parse_event
from winback_local.provision import LOCAL_CONNECTOR_SECRETS
from winback_local.replay import signed

ROOT = Path(__file__).resolve().parents[1]
HOOKS = ROOT / "examples" / "webhooks"
SECRET = {platform: secrets[0] for platform, secrets in LOCAL_CONNECTOR_SECRETS.items()}


def fixture(name: str) -> dict[str, Any]:
    return json.loads((HOOKS / name).read_text())


def raw(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


# -- signatures ------------------------------------------------------------------------
BODY = (HOOKS / "shopify" / "orders_create.json").read_bytes()


def test_a_shopify_signature_is_checked_on_the_raw_body_in_constant_time() -> None:
    good = signatures.shopify_signature(BODY, "s3cret")
    assert signatures.base64_hmac_ok(BODY, good, ["s3cret"])
    assert not signatures.base64_hmac_ok(BODY.replace(b"89.00", b"1.00"), good, ["s3cret"])  # tampered
    reserialised = json.dumps(json.loads(BODY)).encode()  # same JSON, other bytes
    assert reserialised != BODY and not signatures.base64_hmac_ok(reserialised, good, ["s3cret"])
    assert not signatures.base64_hmac_ok(BODY, good, ["other"])
    assert not signatures.base64_hmac_ok(BODY, None, ["s3cret"]) and not signatures.base64_hmac_ok(
        BODY, "%%", ["s3cret"]
    )


def test_two_secrets_are_accepted_during_a_rotation() -> None:
    old, new = signatures.shopify_signature(BODY, "old"), signatures.shopify_signature(BODY, "new")
    assert signatures.base64_hmac_ok(BODY, old, ["new", "old"]) and signatures.base64_hmac_ok(BODY, new, ["new", "old"])
    assert not signatures.base64_hmac_ok(BODY, old, ["new"])  # the old one retired


def test_a_stripe_signature_has_a_five_minute_tolerance_and_may_carry_several_v1() -> None:
    header = signatures.stripe_signature(BODY, "whsec_a", 1_000_000)
    assert signatures.stripe_ok(BODY, header, ["whsec_a"], now=1_000_000 + 300)
    assert not signatures.stripe_ok(BODY, header, ["whsec_a"], now=1_000_000 + 301)  # replayed later
    assert not signatures.stripe_ok(BODY + b" ", header, ["whsec_a"], now=1_000_000)
    rolled = header + "," + signatures.stripe_signature(BODY, "whsec_b", 1_000_000).split(",")[1]
    assert signatures.stripe_ok(BODY, rolled, ["whsec_b"], now=1_000_000)
    assert not signatures.stripe_ok(BODY, "t=abc,v1=00", ["whsec_a"], now=1_000_000)


# -- mapping, as each platform documents its payloads -----------------------------------
def detail_types(mapped) -> list[str]:
    return [event["detail-type"] for event in mapped.events]


def test_a_shopify_order_keeps_its_18_digit_ids_as_strings_and_reads_consent_only_from_the_consent_state() -> None:
    order = fixture("shopify/orders_create.json")
    [created] = shopify.map_delivery("orders/create", order, "wh-1", T0).events
    detail = parse_event(created).detail
    assert detail.order_id == "5678901234567890123" and detail.contact.id == "7390046552345"  # type: ignore[union-attr]
    assert detail.contact.marketing_consent is True and detail.cart_id == order["checkout_token"]  # type: ignore[union-attr]
    order["customer"]["email_marketing_consent"]["state"] = "not_subscribed"  # buyer_accepts_marketing stays true
    [created] = shopify.map_delivery("orders/create", order, "wh-1", T0).events
    assert created["detail"]["contact"]["marketing_consent"] is False


def test_shopify_money_is_all_presentment_or_all_shop_currency_never_mixed() -> None:
    order = fixture("shopify/orders_create.json")
    order["total_price_set"]["presentment_money"] = {"amount": "96.50", "currency_code": "USD"}
    order["line_items"][0]["price_set"]["presentment_money"] = {"amount": "96.50", "currency_code": "USD"}
    [created] = shopify.map_delivery("orders/create", order, "wh-1", T0).events
    assert (created["detail"]["currency"], created["detail"]["total"]) == ("USD", "96.50")
    assert created["detail"]["items"][0]["unit_price"] == "96.50"
    del order["line_items"][0]["price_set"]
    with pytest.raises(Unmapped, match=r"line_items\[0\].price: price_set is missing"):
        shopify.map_delivery("orders/create", order, "wh-1", T0)


def test_a_shopify_checkout_is_a_cart_whose_restore_link_is_the_abandoned_checkout_url() -> None:
    checkout = fixture("shopify/checkouts_create.json")
    [started] = shopify.map_delivery("checkouts/create", checkout, "wh-2", T0).events
    assert started["detail"]["restore_url"] == checkout["abandoned_checkout_url"]
    assert started["detail"]["cart_id"] == checkout["token"]
    assert shopify.map_delivery("checkouts/update", {**checkout, "email": None, "customer": None}, "w", T0).ignored


@pytest.mark.parametrize(
    ("status", "kinds"),
    [
        ("pending", ["Order Created"]),
        ("on-hold", ["Order Created"]),
        ("processing", ["Order Created", "Order Paid"]),
        ("completed", ["Order Created", "Order Paid"]),
        ("cancelled", ["Order Cancelled"]),
        ("failed", ["Order Cancelled"]),
        ("refunded", ["Order Cancelled"]),
    ],
)
def test_a_woocommerce_status_says_created_paid_or_cancelled(status: str, kinds: list[str]) -> None:
    order = {**fixture("woocommerce/order_created_pending.json"), "status": status}
    mapped = woocommerce.map_delivery("order.created", order, T0)
    assert detail_types(mapped) == kinds
    for event in mapped.events:
        parse_event(event)  # each one the contract accepts; line prices came as numbers
    ids = {event["id"] for event in mapped.events}
    assert len(ids) == len(kinds) and all(f":727:{status}:" in i for i in ids)


def test_woocommerce_without_an_email_is_rejected_by_name() -> None:
    order = fixture("woocommerce/order_created_pending.json")
    order["billing"]["email"] = ""
    with pytest.raises(Unmapped, match=r"billing\.email is missing"):
        woocommerce.map_delivery("order.created", order, T0)


def test_stripe_amounts_are_integers_in_minor_units() -> None:
    event = fixture("stripe/checkout_session_completed.json")
    mapped = stripe.map_delivery(event)
    assert detail_types(mapped) == ["Order Created", "Order Paid"]
    assert mapped.events[0]["detail"]["total"] == "1999" and mapped.events[0]["detail"]["currency"] == "JPY"
    event["data"]["object"]["amount_total"] = "1999"
    with pytest.raises(Unmapped, match="amount_total: '1999' is not an integer amount in minor units"):
        stripe.map_delivery(event)
    event["data"]["object"]["currency"] = "xyz"
    with pytest.raises(Unmapped, match="currency: 'XYZ' is not an ISO 4217 currency code"):
        stripe.map_delivery(event)


def test_an_expired_stripe_session_is_a_cart_restored_by_its_recovery_url() -> None:
    [started] = stripe.map_delivery(fixture("stripe/checkout_session_expired.json")).events
    assert started["detail-type"] == "Checkout Started"
    assert started["detail"]["restore_url"] == "https://buy.stripe.com/r/live_YWNjdF8xTjJ4"
    assert started["detail"]["contact"]["marketing_consent"] is True


def test_an_unknown_topic_is_named() -> None:
    with pytest.raises(Unmapped, match="X-Shopify-Topic: 'products/update' is not one winback takes"):
        shopify.map_delivery("products/update", {}, "w", T0)
    with pytest.raises(Unmapped, match=r"type: 'charge\.refunded' is not one winback takes"):
        stripe.map_delivery({"id": "evt", "type": "charge.refunded", "created": 1, "data": {"object": {}}})


# -- through the endpoint, on the local runtime -----------------------------------------
def post(stack: Harness, platform: str, payload: Any, topic: str = "", webhook_id: str = "wh", **headers: str) -> int:
    body = raw(payload)
    base = {"X-Shopify-Topic": topic, "X-Shopify-Webhook-Id": webhook_id} if platform == "shopify" else {}
    if platform == "woocommerce":
        base = {"X-WC-Webhook-Topic": topic, "X-WC-Webhook-Delivery-ID": webhook_id}
    now = int(stack.rt.clock.now().timestamp())
    status, _ = stack.rt.webhook(platform, signed(platform, {**base, **headers}, body, SECRET[platform], now), body)
    return status


def test_a_shopify_checkout_then_order_then_payment_runs_the_right_flows() -> None:
    with shop() as stack:
        assert post(stack, "shopify", fixture("shopify/checkouts_create.json"), "checkouts/create", "wh-1") == 200
        stack.run_until(at(hours=1, minutes=30))  # the first cart email went out
        assert [e["step"] for e in sent(stack, "abandoned_cart")] == [1]
        [email] = sent(stack, "abandoned_cart")
        assert email["locale"] == "fr"
        assert post(stack, "shopify", fixture("shopify/orders_create.json"), "orders/create", "wh-2") == 200
        stack.run_until(at(hours=3, minutes=10))
        assert post(stack, "shopify", fixture("shopify/orders_paid.json"), "orders/paid", "wh-3") == 200
        stack.run_until(at(days=4))
        assert [e["step"] for e in sent(stack, "abandoned_cart")] == [1]  # the order ended the series
        # the unpaid-order reminder waited for the 4-hour gap after the cart email; paid meanwhile
        assert sent(stack, "unpaid_order_coupon") == []
        assert [e["reason"] for e in stack.entries("email.delayed")] == ["min_gap"]
        assert stack.entries("flow.started", flow="unpaid_order")
        assert len(sent(stack, "order_confirmation")) == 1
        assert [e["outcome"] for e in stack.entries("flow.ended", flow="abandoned_cart")] == ["ordered"]
        assert stack.rt.rejected() == []


def test_a_duplicate_delivery_sends_nothing_twice_and_a_payment_heard_first_starts_no_recovery() -> None:
    with shop() as stack:
        stack.run_until(at(hours=2, minutes=10))
        assert post(stack, "shopify", fixture("shopify/orders_paid.json"), "orders/paid", "wh-3") == 200
        for _ in range(2):  # Shopify retries with the same webhook id
            assert post(stack, "shopify", fixture("shopify/orders_create.json"), "orders/create", "wh-2") == 200
        stack.run_until(at(days=1))
        assert sent(stack, "unpaid_order_coupon") == []  # paid before we heard it was created
        assert len(sent(stack, "order_confirmation")) == 1


def test_a_bad_signature_gets_401_is_counted_and_never_becomes_an_event() -> None:
    with shop() as stack:
        body = raw(fixture("shopify/orders_create.json"))
        headers = {"X-Shopify-Topic": "orders/create", "X-Shopify-Hmac-Sha256": signatures.shopify_signature(body, "x")}
        assert stack.rt.webhook("shopify", headers, body)[0] == 401
        assert stack.rt.webhook("shopify", {"X-Shopify-Topic": "orders/create"}, body)[0] == 401
        assert len(stack.entries("webhook.unauthorized", platform="shopify")) == 2
        assert stack.entries("order.seen") == [] and stack.rt.rejected() == []


def test_woocommerce_creation_ping_gets_200_and_an_order_paid_at_once_is_created_and_paid() -> None:
    with shop() as stack:
        assert stack.rt.webhook(
            "woocommerce", {"content-type": "application/x-www-form-urlencoded"}, b"webhook_id=42"
        ) == (
            200,
            "ok",
        )
        stack.run_until(at(hours=2, minutes=10))
        processing = fixture("woocommerce/order_updated_processing.json")
        assert post(stack, "woocommerce", processing, "order.created", "d-1") == 200
        stack.run_until(at(days=1))
        assert sent(stack, "unpaid_order_coupon") == [] and len(sent(stack, "order_confirmation")) == 1


def test_a_verified_delivery_that_cannot_be_mapped_is_rejected_with_its_reason() -> None:
    with shop() as stack:
        order = copy.deepcopy(fixture("shopify/orders_create.json"))
        order["email"] = order["contact_email"] = None
        order["customer"]["email"] = None
        assert post(stack, "shopify", order, "orders/create", "wh-9") == 200  # accepted: verified
        body = b"{not json"
        headers = signed("shopify", {"X-Shopify-Topic": "orders/create"}, body, SECRET["shopify"], 0)
        assert stack.rt.webhook("shopify", headers, body)[0] == 200
        reasons = [dead["reason"] for dead in stack.rt.rejected()]
        assert reasons[0] == "shopify: order: has no email"
        assert reasons[1].startswith("shopify body: not valid JSON")


def test_consent_withdrawn_and_erasure_requested_in_shopify_reach_the_contact() -> None:
    with shop() as stack:
        post(stack, "shopify", fixture("shopify/orders_create.json"), "orders/create", "wh-2")
        stack.run_until(at(days=1))
        consent = "customers_email_marketing_consent/update"
        assert post(stack, "shopify", fixture("shopify/customers_email_marketing_consent_update.json"), consent) == 200
        from winback.aws.store import ContactRecord

        assert ContactRecord.get("7390046552345").marketing_consent is False
        assert ContactRecord.get("7390046552345").locale == "fr"  # the rest of the contact stays
        assert post(stack, "shopify", fixture("shopify/customers_redact.json"), "customers/redact", "wh-r") == 200
        stack.run_until(at(days=1, minutes=1))
        assert stack.entries("contact.erased")


def test_a_day_of_shop_webhooks_replays_locally_signatures_and_duplicates_included(tmp_path, capsys) -> None:
    from winback_local.cli import main

    assert main(["simulate", str(HOOKS / "scenario.json"), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "webhooks in         6 (1 unauthorized: 401)" in out
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["orders"] == 2 and report["orders_recovered"] == 1  # the Shopify order, paid after its reminder
    timeline = [json.loads(line) for line in (tmp_path / "timeline.jsonl").read_text().splitlines()]
    started = [e for e in timeline if e["type"] == "flow.started" and e["flow"] == "abandoned_cart"]
    assert len(started) == 1  # the checkout delivered twice started one series


def test_connect_prints_the_steps_and_keeps_the_previous_secret_during_a_rotation() -> None:
    from winback_local.connect import instructions, with_secret

    steps = instructions("shopify", "https://abc.lambda-url.eu-west-1.on.aws/", "winback")
    assert "https://abc.lambda-url.eu-west-1.on.aws/shopify" in steps
    assert all(topic in steps for topic in shopify.TOPICS)
    assert "winback connect shopify --stack winback --secret" in steps
    first = with_secret({"shopify": [], "stripe": ["whsec_1"]}, "shopify", "s1")
    assert first == {"shopify": ["s1"], "stripe": ["whsec_1"]}
    assert with_secret(with_secret(first, "shopify", "s2"), "shopify", "s3")["shopify"] == ["s3", "s2"]
