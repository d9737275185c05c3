"""The order-event contract: what is accepted, and the reason given for what is not."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import pytest

from conftest import order_created
from winback.model import clock
from winback.model.events import InvalidEvent, OrderCreated, OrderPaid, parse_event


def envelope(detail_type: str = "Order Created", detail: Any = None, **overrides: Any) -> dict[str, Any]:
    base = {
        "id": "evt-1",
        "time": clock.iso(clock.now()),
        "source": "shop",
        "detail-type": detail_type,
        "detail": order_created() if detail is None else detail,
    }
    base.update(overrides)
    return base


def with_change(path: str, value: Any) -> dict[str, Any]:
    event = envelope()
    target = event
    *parents, last = path.split(".")
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    if value is KeyError:
        del target[last]
    else:
        target[last] = value
    return event


def test_a_valid_order_created_parses_into_its_model() -> None:
    event = parse_event(envelope())
    assert isinstance(event.detail, OrderCreated)
    assert str(event.detail.total) == "120.00"
    assert event.detail.contact.locale == "en"


def test_unknown_fields_are_kept_not_rejected() -> None:
    raw = envelope()
    raw["detail"]["loyalty_tier"] = "gold"
    raw["detail"]["contact"]["phone"] = "+33 6"
    event = parse_event(raw)
    assert event.detail.model_extra == {"loyalty_tier": "gold"}


@pytest.mark.parametrize(
    ("path", "value", "reason"),
    [
        ("detail.order_id", KeyError, "detail.order_id: is required"),
        ("detail.contact.email", "ana@", "detail.contact.email: is not a valid email address"),
        ("detail.total", "-5.00", "detail.total: must not be negative"),
        ("detail.total", "NaN", "detail.total: must be a finite amount"),
        ("detail.total", "1e30", "detail.total: is larger than 1000000000"),
        ("detail.total", "twelve", "detail.total: 'twelve' is not a decimal amount"),
        ("detail.currency", "EURO", "detail.currency: 'EURO' is not an ISO 4217 currency code"),
        # a misspelt zone falls back with a warning (test_event_edges.py); a value that is no zone name at all:
        (
            "detail.contact.timezone",
            42,
            "detail.contact.timezone: is not an IANA time zone (a name such as Europe/Paris)",
        ),
        ("detail.contact.locale", "français!", "detail.contact.locale: 'français!' is not a language tag"),
        ("detail.pay_url", "javascript:alert(1)", "detail.pay_url: is not an http(s) URL"),
        (
            "detail.contact.first_name",
            "x" * 100_000,
            "detail.contact.first_name: String should have at most 200 characters",
        ),
        (
            "detail-type",
            "Order Shipped",
            "detail-type: must be one of Checkout Started, Order Created, Order Paid, Order Cancelled, "
            "Contact Updated, Contact Consent Changed, Contact Erasure Requested",
        ),
        ("id", "", "id: String should have at least 1 character"),
    ],
)
def test_a_broken_event_is_rejected_with_a_reason_naming_the_field(path: str, value: Any, reason: str) -> None:
    with pytest.raises(InvalidEvent) as raised:
        parse_event(with_change(path, value))
    assert raised.value.reason == reason


def test_an_event_from_the_future_is_rejected() -> None:
    future = clock.iso(clock.now() + timedelta(days=2))
    with pytest.raises(InvalidEvent, match="time: is in the future"):
        parse_event(envelope(time=future))


def test_a_regional_locale_is_cut_to_its_language_and_an_unsupported_one_is_kept() -> None:
    raw = envelope()
    raw["detail"]["contact"]["locale"] = "fr-FR"
    assert parse_event(raw).detail.contact.locale == "fr"
    other = copy.deepcopy(raw)
    other["detail"]["contact"]["locale"] = "de"
    assert parse_event(other).detail.contact.locale == "de"  # rendered in en, never rejected


def test_order_paid_needs_no_contact_details() -> None:
    event = parse_event(
        envelope("Order Paid", {"order_id": "o-1", "contact_id": "c-1", "total": "10", "currency": "UAH"})
    )
    assert isinstance(event.detail, OrderPaid)


def test_a_body_that_is_not_an_object_is_rejected() -> None:
    with pytest.raises(InvalidEvent, match="event: must be a JSON object"):
        parse_event(["not", "an", "event"])
