"""Events every shop sends sooner or later: a misspelt optional field, a misspelt
detail-type, an emptied cart, an order from a cart that is then cancelled."""

from __future__ import annotations

from typing import Any

import pytest
from flows import checkout, sent, shop

from conftest import T0, Harness, at, contact, order_created
from winback.model import clock
from winback.model.events import InvalidEvent, parse_event


def envelope(detail_type: str, detail: dict) -> dict:
    return {"id": "e-1", "time": clock.iso(T0), "source": "shop", "detail-type": detail_type, "detail": detail}


@pytest.fixture
def _now(monkeypatch):
    """Parsing alone: the event's time is now (the harness keeps its own virtual clock)."""
    monkeypatch.setattr(clock, "now", lambda: T0)


def test_a_misspelt_time_zone_falls_back_to_the_shops_with_a_warning(monkeypatch, _now) -> None:
    event = parse_event(envelope("Order Created", order_created(timezone="Europe/Pariss")))
    assert event.detail.contact.timezone == "UTC"  # type: ignore[union-attr]
    assert event.warnings == ("detail.contact.timezone: 'Europe/Pariss' is not an IANA time zone; using UTC",)
    monkeypatch.setenv("SHOP_TIMEZONE", "Europe/Rome")
    event = parse_event(envelope("Order Created", order_created(timezone="Europe/Pariss")))
    assert event.detail.contact.timezone == "Europe/Rome"  # type: ignore[union-attr]
    missing = {k: v for k, v in contact().items() if k != "timezone"}
    event = parse_event(envelope("Contact Updated", {"contact": missing}))
    assert event.detail.contact.timezone == "Europe/Rome" and event.warnings == ()  # type: ignore[union-attr]


def test_an_order_with_a_misspelt_time_zone_is_recovered_and_the_warning_recorded(stack: Harness) -> None:
    stack.send("Order Created", order_created(timezone="Europe/Pariss"))
    stack.run_until(at(minutes=30))
    [warning] = stack.entries("event.warning")
    assert "Europe/Pariss" in warning["reason"]
    assert len(stack.entries("email.sent")) == 1 and stack.rt.rejected() == []


def test_a_misspelt_detail_type_is_rejected_with_its_reason_not_dropped(stack: Harness) -> None:
    let_through = stack.rt.put_events([stack.rt.envelope("Order Creatd", order_created())])
    assert let_through == 1  # the bus rule takes everything from the shop's source
    [dead] = stack.rt.rejected()
    assert dead["reason"].startswith("detail-type: must be one of Checkout Started, Order Created")
    assert '"Order Creatd"' in dead["body"]


def test_a_cart_of_a_thousand_lines_is_accepted(_now) -> None:
    items = [{"sku": f"s{n}", "name": "Mug", "unit_price": "1.00", "quantity": 1} for n in range(1000)]
    assert len(parse_event(envelope("Checkout Started", checkout(items=items))).detail.items) == 1000  # type: ignore[union-attr]
    with pytest.raises(InvalidEvent, match=r"detail\.items: List should have at most 1000 items"):
        parse_event(envelope("Checkout Started", checkout(items=[*items, items[0]])))


def test_an_emptied_cart_ends_its_series() -> None:
    with shop() as stack:
        stack.send("Checkout Started", checkout())
        stack.send("Checkout Started", checkout(items=[]), when=at(minutes=30))
        stack.run_until(at(days=4))
        assert sent(stack, "abandoned_cart") == []
        [ended] = stack.entries("flow.ended", flow="abandoned_cart")
        assert ended["outcome"] == "emptied"
        assert stack.rt.rejected() == []


def test_an_order_from_a_cart_cancelled_unpaid_gives_the_cart_its_remaining_emails() -> None:
    with shop() as stack:
        stack.send("Checkout Started", checkout())
        stack.run_until(at(hours=1))  # "need help?"
        stack.send("Order Created", order_created("o-9", cart_id="cart-1"), when=at(hours=2))
        stack.run_until(at(hours=25))  # the series stopped at its second email: the cart was ordered
        assert [e["outcome"] for e in stack.entries("flow.ended", flow="abandoned_cart")] == ["ordered"]
        # the payment never came and the shop cancelled the order
        stack.send("Order Cancelled", {"order_id": "o-9", "contact_id": "c-42"}, when=at(hours=30))
        stack.run_until(at(days=5))
        steps = [(e["step"], e["at"]) for e in sent(stack, "abandoned_cart")]
        # each email not yet sent at its usual offset, counted from the cancellation
        assert steps == [(1, "2026-03-02T10:00:00Z"), (2, "2026-03-04T15:00:00Z"), (3, "2026-03-06T15:00:00Z")]
        assert len(sent(stack, "unpaid_order_coupon")) == 1  # while the order waited for payment


def test_a_cart_order_cancelled_before_the_next_email_gives_the_cart_one_series_from_the_cancellation() -> None:
    with shop() as stack:
        stack.send("Checkout Started", checkout())
        stack.send("Order Created", order_created("o-9", cart_id="cart-1"), when=at(hours=2))
        stack.send("Order Cancelled", {"order_id": "o-9", "contact_id": "c-42"}, when=at(hours=2, minutes=10))
        stack.run_until(at(days=3, hours=7))
        # the offer's coupon is good for its 5 hours from 11:10
        assert stack.validate("CART10", "c-42", offer_id="any", price="150.00")["valid"]
        stack.run_until(at(days=4))
        steps = [(e["step"], e["at"]) for e in sent(stack, "abandoned_cart")]
        # the order stopped the first series; the rest go at their offsets from 11:10
        assert steps == [(1, "2026-03-02T10:00:00Z"), (2, "2026-03-03T11:10:00Z"), (3, "2026-03-05T11:10:00Z")]
        outcomes = [e["outcome"] for e in stack.entries("flow.ended", flow="abandoned_cart")]
        assert outcomes == ["ordered", "completed"]


def test_an_order_the_shopper_cancelled_themselves_ends_everything() -> None:
    with shop() as stack:
        stack.send("Checkout Started", checkout())
        stack.send("Order Created", order_created("o-9", cart_id="cart-1"), when=at(hours=2))
        cancel = {"order_id": "o-9", "contact_id": "c-42", "reason": "customer"}
        stack.send("Order Cancelled", cancel, when=at(hours=2, minutes=10))
        stack.run_until(at(days=4))
        assert [e["step"] for e in sent(stack, "abandoned_cart")] == [1]


def test_a_cancellation_retried_after_a_failed_start_still_resumes_the_cart(monkeypatch: pytest.MonkeyPatch) -> None:
    from botocore.exceptions import ClientError

    from winback.aws import flows

    refused: list[str] = []

    with shop() as stack:
        client = flows._sfn()
        real = client.start_execution

        def throttled_once(**request: Any) -> Any:
            if "_after_" in request["name"] and not refused:
                refused.append(request["name"])
                error = {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}
                raise ClientError(error, "StartExecution")  # type: ignore[arg-type]
            return real(**request)

        monkeypatch.setattr(client, "start_execution", throttled_once)
        stack.send("Checkout Started", checkout())
        stack.send("Order Created", order_created("o-9", cart_id="cart-1"), when=at(minutes=30))
        stack.send("Order Cancelled", {"order_id": "o-9", "contact_id": "c-42"}, when=at(minutes=40))
        stack.run_until(at(days=4))
        assert refused  # the first try failed, and the queue gave the event back
        assert [e["step"] for e in sent(stack, "abandoned_cart")] == [1, 2, 3]
        resumed = [e for e in stack.entries("flow.ended", cart_id="cart-1") if "_after_" in e["execution"]]
        assert [e["outcome"] for e in resumed] == ["completed"]
