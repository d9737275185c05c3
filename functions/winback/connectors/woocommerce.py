"""WooCommerce webhooks (order.created, order.updated) as winback's events.

Woo has no paid or cancelled topics: the order's `status` says it. pending and on-hold
are unpaid; processing and completed are paid (so one order.created may mean created
and paid); cancelled, failed and refunded are cancelled. Woo has no marketing consent
of its own: winback reads a `marketing_consent` meta value ("yes", "1", "true") that a
consent plugin or the checkout sets, and treats its absence as no consent. Woo never
retries a failed delivery: see docs/connectors.md for the catch-up.
"""

from __future__ import annotations

from typing import Any

from winback.connectors.common import Mapped, Unmapped, amount, envelope, guest_id, obj, text, timestamp

SOURCE = "woocommerce"
TOPICS = ("order.created", "order.updated")
UNPAID = ("pending", "on-hold")
PAID = ("processing", "completed")
CANCELLED = ("cancelled", "failed", "refunded")


def _consent(order: dict[str, Any]) -> bool:
    for meta in order.get("meta_data") or []:
        if isinstance(meta, dict) and meta.get("key") in ("marketing_consent", "_marketing_consent"):
            return str(meta.get("value")).strip().lower() in ("yes", "1", "true", "on")
    return False


def _contact(order: dict[str, Any]) -> dict[str, Any]:
    billing = obj(order.get("billing"))
    email = text(billing.get("email"))
    if email is None:
        raise Unmapped("order: billing.email is missing")
    customer = text(order.get("customer_id"))
    contact: dict[str, Any] = {
        "id": f"wc-{customer}" if customer and customer != "0" else guest_id(SOURCE, email),
        "email": email,
        "marketing_consent": _consent(order),
    }
    if billing.get("first_name"):
        contact["first_name"] = str(billing["first_name"])
    return contact


def _items(order: dict[str, Any]) -> list[dict[str, Any]]:
    items = []
    for n, line in enumerate(order.get("line_items") or []):
        if not isinstance(line, dict):
            raise Unmapped(f"line_items[{n}]: not an object")
        sku = text(line.get("sku")) or text(line.get("product_id")) or f"line-{n}"
        items.append(
            {
                "sku": sku,
                "name": text(line.get("name")) or sku,
                "unit_price": amount(line.get("price"), f"line_items[{n}].price"),  # a number in Woo's payload
                "quantity": line.get("quantity"),
            }
        )
    return items


def map_delivery(topic: str, payload: Any, now: Any) -> Mapped:
    if not isinstance(payload, dict):
        raise Unmapped("body: not a JSON object")
    if topic not in TOPICS:
        raise Unmapped(f"X-WC-Webhook-Topic: {topic[:60]!r} is not one winback takes ({', '.join(TOPICS)})")
    status = text(payload.get("status"))
    order_id = text(payload.get("id"))
    if order_id is None:
        raise Unmapped("order: id is missing")
    modified = payload.get("date_modified_gmt") or payload.get("date_created_gmt")
    # One Woo order changes status several times: each status at each modification is its own event.
    event_id = f"woocommerce:{order_id}:{status}:{modified}"
    contact = _contact(payload)
    if status in CANCELLED:
        detail = {"order_id": order_id, "contact_id": contact["id"], "reason": status}
        at = timestamp(modified, "date_modified_gmt")
        return Mapped([envelope(event_id, SOURCE, at, "Order Cancelled", detail)])
    if status not in UNPAID + PAID:
        return Mapped(ignored=f"status {status!r} says nothing about payment")
    currency = text(payload.get("currency"))
    if currency is None:
        raise Unmapped("order: currency is missing")
    lines = payload.get("line_items") or []
    product = text(lines[0].get("product_id")) if lines and isinstance(lines[0], dict) else None
    created = {
        "order_id": order_id,
        "contact": contact,
        "offer_id": product or "woocommerce-order",
        "items": _items(payload),
        "currency": currency,
        "total": amount(payload.get("total"), "total"),
        "pay_url": text(payload.get("payment_url")),
    }
    events = [
        envelope(
            f"{event_id}#created",
            SOURCE,
            timestamp(payload.get("date_created_gmt"), "date_created_gmt"),
            "Order Created",
            created,
        )
    ]
    if status in PAID:
        paid = {"order_id": order_id, "contact_id": contact["id"], "total": created["total"], "currency": currency}
        codes = [c.get("code") for c in payload.get("coupon_lines") or [] if isinstance(c, dict) and c.get("code")]
        if codes:
            paid["coupon_code"] = str(codes[0]).upper()
        at = timestamp(payload.get("date_paid_gmt") or modified, "date_paid_gmt")
        events.append(envelope(f"{event_id}#paid", SOURCE, at, "Order Paid", paid))
    return Mapped(events)
