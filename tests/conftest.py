"""Shared helpers: order events as the shop sends them, and the local runtime."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import Message
from typing import Any

import pytest

from winback.model.campaigns import Campaign, default_campaigns
from winback_local.runtime import LocalRuntime

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(minutes: float = 0, hours: float = 0, days: float = 0) -> datetime:
    return T0 + timedelta(minutes=minutes, hours=hours, days=days)


def contact(cid: str = "c-42", **overrides: Any) -> dict[str, Any]:
    base = {"id": cid, "email": f"{cid}@example.com", "first_name": "Ana", "locale": "en", "marketing_consent": True}
    base.update(overrides)
    return base


def order_created(
    order_id: str = "o-1",
    cid: str = "c-42",
    total: str = "120.00",
    offer: str = "python-course",
    cart_id: str | None = None,
    **contact_overrides: Any,
) -> dict[str, Any]:
    return {
        **({"cart_id": cart_id} if cart_id else {}),
        "order_id": order_id,
        "offer_id": offer,
        "contact": contact(cid, **contact_overrides),
        "items": [{"sku": "py-101", "name": "Python 101", "unit_price": total, "quantity": 1}],
        "currency": "EUR",
        "total": total,
        "pay_url": f"https://shop.example.com/pay/{order_id}",
    }


def order_paid(order_id: str = "o-1", cid: str = "c-42", total: str = "120.00", **extra: Any) -> dict[str, Any]:
    return {"order_id": order_id, "contact_id": cid, "total": total, "currency": "EUR", **extra}


class Harness:
    """The local runtime plus the questions tests ask of it."""

    def __init__(self, runtime: LocalRuntime):
        self.rt = runtime

    def send(self, detail_type: str, detail: Any, when: datetime | None = None, event_id: str | None = None) -> None:
        if when is not None:
            self.rt.run_until(when)
        self.rt.put_events([self.rt.envelope(detail_type, detail, event_id)])

    def send_batch(self, events: list[tuple[str, Any]]) -> None:
        self.rt.put_events([self.rt.envelope(kind, detail) for kind, detail in events])

    def run_until(self, when: datetime) -> None:
        self.rt.run_until(when)

    def entries(self, kind: str, **match: Any) -> list[dict[str, Any]]:
        return [e for e in self.rt.timeline if e["type"] == kind and all(e.get(k) == v for k, v in match.items())]

    def emails(self) -> list[Message]:
        return [email.message_from_bytes(raw, policy=email.policy.default) for raw in self.rt.outbox]

    def validate(
        self, code: str, contact_id: str, offer_id: str = "python-course", price: str = "120.00"
    ) -> dict[str, Any]:
        status, body = self.rt.call_api(
            "POST", "/coupons/validate", {"code": code, "contact_id": contact_id, "offer_id": offer_id, "price": price}
        )
        assert status == 200, body
        return body

    def redeem(self, code: str, contact_id: str, order_id: str, price: str = "120.00") -> dict[str, Any]:
        status, body = self.rt.call_api(
            "POST",
            "/coupons/redeem",
            {"code": code, "contact_id": contact_id, "offer_id": "python-course", "price": price, "order_id": order_id},
        )
        assert status == 200, body
        return body


def parts(message: Message) -> dict[str, str]:
    found = {}
    for part in message.walk():
        if part.get_content_type() in ("text/plain", "text/html"):
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            found[part.get_content_type()] = payload.decode(part.get_content_charset() or "utf-8")
    return found


def no_holdout(campaigns: list[Campaign]) -> list[Campaign]:
    """Tests of what a flow sends use no holdout, so each contact gets the emails under
    test; the holdout has tests of its own (test_holdout.py)."""
    return [c.model_copy(update={"holdout_percent": 0}) for c in campaigns]


@pytest.fixture
def campaigns() -> list[Campaign]:
    """The default unpaid-order campaign alone: tests of that flow count its emails only."""
    return no_holdout([c for c in default_campaigns() if c.flow == "unpaid_order"])


@pytest.fixture
def stack(campaigns: list[Campaign]) -> Iterator[Harness]:
    with LocalRuntime(T0, campaigns) as runtime:
        yield Harness(runtime)
