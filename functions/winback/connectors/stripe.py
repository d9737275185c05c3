"""Stripe events (custom shops that take payment through Stripe Checkout) as winback's.

checkout.session.completed is an order (paid at once, or unpaid for a delayed method);
checkout.session.expired is an abandoned cart whose restore link is
`after_expiration.recovery.url` (enable recovery in the Checkout Session to get one);
payment_intent.succeeded pays an order (`metadata.order_id`, else the intent's id).
Amounts are integers in minor units (JPY 1999 is ¥1,999; EUR 1999 is €19.99). Consent is
Checkout's own promotional consent (`consent.promotions == "opt_in"`). The order id is
`client_reference_id` when the shop sets one (put its own order id there), else the session id.
"""

from __future__ import annotations

from typing import Any

from winback.connectors.common import Mapped, Unmapped, envelope, guest_id, obj, text, timestamp
from winback.model.money import from_minor, is_currency

SOURCE = "stripe"
TYPES = ("checkout.session.completed", "checkout.session.expired", "payment_intent.succeeded")


def _currency(resource: dict[str, Any]) -> str:
    currency = str(resource.get("currency") or "").upper()
    if not is_currency(currency):
        raise Unmapped(f"currency: {currency[:12]!r} is not an ISO 4217 currency code")
    return currency


def _minor(value: Any, currency: str, what: str) -> str:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Unmapped(f"{what}: {str(value)[:40]!r} is not an integer amount in minor units")
    return f"{from_minor(value, currency):f}"


def _contact(session: dict[str, Any]) -> dict[str, Any] | None:
    details = obj(session.get("customer_details"))
    email = text(details.get("email")) or text(session.get("customer_email"))
    if email is None:
        return None
    consent = obj(session.get("consent"))
    contact: dict[str, Any] = {
        "id": text(session.get("customer")) or guest_id(SOURCE, email),
        "email": email,
        "marketing_consent": consent.get("promotions") == "opt_in",
    }
    name = text(details.get("name"))
    if name:
        contact["first_name"] = name.split()[0]
    locale = text(session.get("locale"))
    if locale and locale != "auto":
        contact["locale"] = locale
    return contact


def _items(session: dict[str, Any], currency: str) -> list[dict[str, Any]]:
    """The session's line items when the shop expands them; otherwise one line for the whole."""
    lines = (session.get("line_items") or {}).get("data") if isinstance(session.get("line_items"), dict) else None
    if not lines:
        total = session.get("amount_subtotal", session.get("amount_total"))
        name = text((session.get("metadata") or {}).get("description")) or text(session.get("client_reference_id"))
        return [
            {
                "sku": "checkout",
                "name": name or "Checkout",
                "unit_price": _minor(total, currency, "amount_subtotal"),
                "quantity": 1,
            }
        ]
    items = []
    for n, line in enumerate(lines):
        price = line.get("price") or {}
        quantity = line.get("quantity") or 1
        unit = price.get("unit_amount")
        if unit is None and isinstance(line.get("amount_subtotal"), int):
            unit = line["amount_subtotal"] // max(quantity, 1)
        items.append(
            {
                "sku": text(price.get("id")) or text(line.get("id")) or f"line-{n}",
                "name": text(line.get("description")) or "Item",
                "unit_price": _minor(unit, currency, f"line_items[{n}].price.unit_amount"),
                "quantity": quantity,
            }
        )
    return items


def _completed(session: dict[str, Any], event_id: str, at: Any) -> Mapped:
    contact = _contact(session)
    if contact is None:
        raise Unmapped("checkout session: no customer email")
    currency = _currency(session)
    order_id = text(session.get("client_reference_id")) or text(session.get("id"))
    metadata = obj(session.get("metadata"))
    created = {
        "order_id": order_id,
        "contact": contact,
        "offer_id": text(metadata.get("offer_id")) or "stripe-checkout",
        "items": _items(session, currency),
        "currency": currency,
        "total": _minor(session.get("amount_total"), currency, "amount_total"),
        "pay_url": text(metadata.get("pay_url")) or text(session.get("success_url")),
    }
    events = [
        envelope(f"{event_id}#created", SOURCE, timestamp(session.get("created"), "created"), "Order Created", created)
    ]
    if session.get("payment_status") in ("paid", "no_payment_required"):
        paid = {"order_id": order_id, "contact_id": contact["id"], "total": created["total"], "currency": currency}
        events.append(envelope(f"{event_id}#paid", SOURCE, at, "Order Paid", paid))
    return Mapped(events)


def _expired(session: dict[str, Any], event_id: str) -> Mapped:
    contact = _contact(session)
    if contact is None:
        return Mapped(ignored="expired session without an email")
    recovery = (
        ((session.get("after_expiration") or {}).get("recovery") or {})
        if isinstance(session.get("after_expiration"), dict)
        else {}
    )
    if not recovery.get("url"):
        return Mapped(ignored="expired session without a recovery URL (after_expiration.recovery.enabled)")
    currency = _currency(session)
    detail = {
        "cart_id": text(session.get("id")),
        "contact": contact,
        "items": _items(session, currency),
        "currency": currency,
        "subtotal": _minor(session.get("amount_subtotal", session.get("amount_total")), currency, "amount_subtotal"),
        "restore_url": str(recovery["url"]),
    }
    at = timestamp(session.get("expires_at") or session.get("created"), "expires_at")
    return Mapped([envelope(event_id, SOURCE, at, "Checkout Started", detail)])


def _succeeded(intent: dict[str, Any], event_id: str, at: Any) -> Mapped:
    currency = _currency(intent)
    metadata = obj(intent.get("metadata"))
    email = text(intent.get("receipt_email"))
    contact_id = (
        text(metadata.get("contact_id")) or text(intent.get("customer")) or (guest_id(SOURCE, email) if email else None)
    )
    if contact_id is None:
        raise Unmapped("payment intent: no customer, receipt_email or metadata.contact_id")
    detail = {
        "order_id": text(metadata.get("order_id")) or text(intent.get("id")),
        "contact_id": contact_id,
        "total": _minor(intent.get("amount_received", intent.get("amount")), currency, "amount_received"),
        "currency": currency,
    }
    return Mapped([envelope(event_id, SOURCE, at, "Order Paid", detail)])


def map_delivery(payload: Any) -> Mapped:
    """One Stripe event: its `id` names it, its `created` dates it, `data.object` is the resource."""
    if not isinstance(payload, dict) or not isinstance((payload.get("data") or {}).get("object"), dict):
        raise Unmapped("body: not a Stripe event (no data.object)")
    kind = str(payload.get("type"))
    event_id = f"stripe:{payload.get('id')}"
    resource = payload["data"]["object"]
    at = timestamp(payload.get("created"), "created")
    if kind == "checkout.session.completed":
        return _completed(resource, event_id, at)
    if kind == "checkout.session.expired":
        return _expired(resource, event_id)
    if kind == "payment_intent.succeeded":
        return _succeeded(resource, event_id, at)
    raise Unmapped(f"type: {kind[:60]!r} is not one winback takes ({', '.join(TYPES)})")
