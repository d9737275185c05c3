"""Shoppers who buy on their own, and a little more often after an email: so that a
simulated holdout has something to measure.

A scenario's `baseline` makes each contact that a flow emails, or holds out at the
moment it would have emailed, pay with `probability` (plus `email_lift` if the email
really went) at a random time within `within_hours`: the unpaid order is paid, the cart
is ordered and paid, a lapsed customer orders again. Seeded: a run is repeatable.
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from winback.aws import journal
from winback.aws.store import CartRecord, ContactRecord, OrderRecord, find
from winback.model import clock
from winback_local.runtime import LocalRuntime


class Baseline(BaseModel):
    model_config = ConfigDict(extra="forbid")
    probability: float = Field(ge=0, le=1)
    email_lift: float = Field(default=0.0, ge=-1, le=1)
    within_hours: float = Field(default=48, gt=0, le=24 * 30)
    seed: int = 1


FIRST_EMAILS = {"unpaid_order_coupon", "winback_coupon", "abandoned_cart"}


class Shoppers:
    """Watches the timeline as it is written and schedules the payments the baseline draws."""

    def __init__(self, runtime: LocalRuntime, baseline: Baseline):
        self.runtime, self.baseline = runtime, baseline
        self.rng = random.Random(baseline.seed)  # noqa: S311 (a repeatable simulation, no secret)
        self.seen: set[str] = set()
        self.scheduled = 0

    def install(self) -> None:
        def sink(entry: dict[str, Any]) -> None:
            self.runtime.timeline.append(entry)
            if entry["type"] in ("email.sent", "email.held_out"):
                self._maybe_buy(entry)

        journal.use(sink)

    def _maybe_buy(self, entry: dict[str, Any]) -> None:
        key = str(entry.get("order_id") or entry.get("cart_id") or f"{entry.get('campaign')}#{entry.get('contact_id')}")
        if entry.get("template") not in FIRST_EMAILS or key in self.seen:
            return
        self.seen.add(key)
        chance = self.baseline.probability + (self.baseline.email_lift if entry["type"] == "email.sent" else 0.0)
        if self.rng.random() >= chance:
            return
        delay = timedelta(hours=self.rng.uniform(0.05, self.baseline.within_hours))
        contact_id = str(entry["contact_id"])
        order_id, cart_id = entry.get("order_id"), entry.get("cart_id")
        self.scheduled += 1
        self.runtime.clock.call_at(clock.now() + delay, lambda: self._pay(contact_id, order_id, cart_id))

    def _pay(self, contact_id: str, order_id: str | None, cart_id: str | None) -> None:
        envelopes = []
        if order_id and (order := find(OrderRecord, order_id)) is not None and order.status == "unpaid":
            total, currency = order.total or "0", order.currency or "EUR"
        else:
            contact = find(ContactRecord, contact_id)
            if contact is None or not contact.email:
                return
            cart = find(CartRecord, cart_id) if cart_id else None
            total = cart.subtotal if cart and cart.subtotal else "49.00"
            currency = cart.currency if cart and cart.currency else "EUR"
            order_id = f"baseline-{cart_id or contact_id}-{self.scheduled}"
            created = {
                "order_id": order_id,
                "offer_id": "baseline",
                "contact": {
                    "id": contact_id,
                    "email": contact.email,
                    "marketing_consent": bool(contact.marketing_consent),
                },
                "items": [{"sku": "baseline", "name": "Order", "unit_price": total, "quantity": 1}],
                "currency": currency,
                "total": total,
                "pay_url": "https://shop.example.com/pay",
                **({"cart_id": cart_id} if cart_id else {}),
            }
            envelopes.append(self.runtime.envelope("Order Created", created))
        paid = {"order_id": order_id, "contact_id": contact_id, "total": str(Decimal(total)), "currency": currency}
        envelopes.append(self.runtime.envelope("Order Paid", paid))
        self.runtime.put_events(envelopes)
