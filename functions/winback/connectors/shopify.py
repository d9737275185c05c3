"""Shopify webhooks (HTTPS or Amazon EventBridge) as winback's events.

Topics: orders/create, orders/paid, orders/cancelled, checkouts/create,
checkouts/update, customers/update, customers_email_marketing_consent/update,
customers/redact. Ids stay strings. Money comes either all from the presentment
amounts (`*_set.presentment_money`, in the currency the customer saw and paid), or, for a
payload without them, all from the shop amounts with the shop `currency`: never mixed.
Consent is `email_marketing_consent.state == "subscribed"` and nothing else (the
checkout's tick box, `buyer_accepts_marketing`, is not consent to marketing email).
`abandoned_checkout_url` is the restore link; it holds a secret and is never logged.
"""

from __future__ import annotations

from typing import Any

from winback.connectors.common import Mapped, Unmapped, amount, envelope, guest_id, obj, text, timestamp

SOURCE = "shopify"
TOPICS = (
    "orders/create",
    "orders/paid",
    "orders/cancelled",
    "checkouts/create",
    "checkouts/update",
    "customers/update",
    "customers_email_marketing_consent/update",
    "customers/redact",
)


def _consent(customer: dict[str, Any] | None) -> bool:
    consent = (customer or {}).get("email_marketing_consent") or {}
    return isinstance(consent, dict) and consent.get("state") == "subscribed"


def _contact(resource: dict[str, Any], what: str) -> dict[str, Any] | None:
    """The buyer as winback's contact, or None when the resource has no email yet."""
    customer = resource.get("customer") if isinstance(resource.get("customer"), dict) else None
    email = text(resource.get("email")) or text(resource.get("contact_email")) or text((customer or {}).get("email"))
    if email is None:
        return None
    billing = obj(resource.get("billing_address"))
    contact: dict[str, Any] = {
        "id": text((customer or {}).get("id")) or guest_id(SOURCE, email),
        "email": email,
        "marketing_consent": _consent(customer),
    }
    first_name = text((customer or {}).get("first_name")) or text(billing.get("first_name"))
    if first_name:
        contact["first_name"] = first_name
    locale = text(resource.get("customer_locale"))
    if locale:
        contact["locale"] = locale
    return contact


class _Money:
    """Reads every amount of one payload the same way: presentment or shop money."""

    def __init__(self, resource: dict[str, Any], total_field: str):
        self.presentment = isinstance(resource.get(f"{total_field}_set"), dict)
        if self.presentment:
            self.currency = str(resource[f"{total_field}_set"]["presentment_money"]["currency_code"])
        else:
            self.currency = str(resource.get("presentment_currency") or resource.get("currency") or "")
        if not self.currency:
            raise Unmapped(f"{total_field}: no currency")

    def of(self, thing: dict[str, Any], name: str, what: str) -> str:
        if not self.presentment:
            return amount(thing.get(name), what)
        money = (thing.get(f"{name}_set") or {}).get("presentment_money")
        if not isinstance(money, dict):
            raise Unmapped(f"{what}: {name}_set is missing where the rest of the payload has presentment money")
        if money.get("currency_code") != self.currency:
            raise Unmapped(f"{what}: in {money.get('currency_code')}, the order is in {self.currency}")
        return amount(money.get("amount"), what)


def _items(resource: dict[str, Any], money: _Money) -> list[dict[str, Any]]:
    items = []
    for n, line in enumerate(resource.get("line_items") or []):
        if not isinstance(line, dict):
            raise Unmapped(f"line_items[{n}]: not an object")
        sku = text(line.get("sku")) or text(line.get("variant_id")) or text(line.get("id")) or f"line-{n}"
        item = {
            "sku": sku,
            "name": text(line.get("name")) or text(line.get("title")) or sku,
            "unit_price": money.of(line, "price", f"line_items[{n}].price"),
            "quantity": line.get("quantity"),
        }
        items.append(item)
    return items


def _order_created(order: dict[str, Any], event_id: str) -> list[dict[str, Any]]:
    contact = _contact(order, "order")
    if contact is None:
        raise Unmapped("order: has no email")
    money = _Money(order, "total_price")
    lines = order.get("line_items") or []
    product = text(lines[0].get("product_id")) if lines and isinstance(lines[0], dict) else None
    detail: dict[str, Any] = {
        "order_id": text(order.get("id")),
        "contact": contact,
        "offer_id": product or "shopify-order",
        "items": _items(order, money),
        "currency": money.currency,
        "total": money.of(order, "total_price", "total_price"),
        "pay_url": text(order.get("order_status_url")),
    }
    if order.get("checkout_token"):
        detail["cart_id"] = str(order["checkout_token"])
    created = envelope(event_id, SOURCE, timestamp(order.get("created_at"), "created_at"), "Order Created", detail)
    events = [created]
    if order.get("financial_status") == "paid":  # paid at once: orders/paid may come later, or first
        events.append(_order_paid(order, f"{event_id}#paid", contact["id"]))
    return events


def _order_paid(order: dict[str, Any], event_id: str, contact_id: str | None = None) -> dict[str, Any]:
    contact = _contact(order, "order")
    money = _Money(order, "total_price")
    codes = [c.get("code") for c in order.get("discount_codes") or [] if isinstance(c, dict) and c.get("code")]
    detail: dict[str, Any] = {
        "order_id": text(order.get("id")),
        "contact_id": contact_id or (contact or {}).get("id") or text((order.get("customer") or {}).get("id")),
        "total": money.of(order, "total_price", "total_price"),
        "currency": money.currency,
    }
    if codes:
        detail["coupon_code"] = str(codes[0]).upper()
    at = timestamp(order.get("processed_at") or order.get("updated_at") or order.get("created_at"), "processed_at")
    return envelope(event_id, SOURCE, at, "Order Paid", detail)


def _order_cancelled(order: dict[str, Any], event_id: str) -> dict[str, Any]:
    contact = _contact(order, "order")
    detail: dict[str, Any] = {
        "order_id": text(order.get("id")),
        "contact_id": (contact or {}).get("id") or text((order.get("customer") or {}).get("id")),
    }
    if order.get("cancel_reason"):
        detail["reason"] = str(order["cancel_reason"])
    at = timestamp(order.get("cancelled_at") or order.get("updated_at"), "cancelled_at")
    return envelope(event_id, SOURCE, at, "Order Cancelled", detail)


def _checkout(checkout: dict[str, Any], event_id: str) -> Mapped:
    if checkout.get("completed_at"):
        return Mapped(ignored="checkout completed: its order follows")
    contact = _contact(checkout, "checkout")
    if contact is None:
        return Mapped(ignored="checkout without an email yet")
    if not checkout.get("abandoned_checkout_url"):
        return Mapped(ignored="checkout without abandoned_checkout_url")
    money = _Money(checkout, "subtotal_price")
    detail = {
        "cart_id": text(checkout.get("token")) or text(checkout.get("id")),
        "contact": contact,
        "items": _items(checkout, money),
        "currency": money.currency,
        "subtotal": money.of(checkout, "subtotal_price", "subtotal_price"),
        "restore_url": str(checkout["abandoned_checkout_url"]),
    }
    at = timestamp(checkout.get("updated_at") or checkout.get("created_at"), "updated_at")
    return Mapped([envelope(event_id, SOURCE, at, "Checkout Started", detail)])


def _customer(customer: dict[str, Any], event_id: str) -> Mapped:
    email = text(customer.get("email"))
    if email is None:
        return Mapped(ignored="customer without an email")
    contact: dict[str, Any] = {"id": text(customer.get("id")), "email": email, "marketing_consent": _consent(customer)}
    if customer.get("first_name"):
        contact["first_name"] = str(customer["first_name"])
    if customer.get("locale"):
        contact["locale"] = str(customer["locale"])
    at = timestamp(customer.get("updated_at"), "updated_at")
    return Mapped([envelope(event_id, SOURCE, at, "Contact Updated", {"contact": contact})])


def _consent_changed(change: dict[str, Any], event_id: str) -> Mapped:
    consent = change.get("email_marketing_consent") or {}
    detail = {
        "contact_id": text(change.get("customer_id")),
        "marketing_consent": isinstance(consent, dict) and consent.get("state") == "subscribed",
    }
    at = timestamp(
        (consent or {}).get("consent_updated_at") if isinstance(consent, dict) else None, "consent_updated_at"
    )
    return Mapped([envelope(event_id, SOURCE, at, "Contact Consent Changed", detail)])


def _redact(request: dict[str, Any], event_id: str, now: Any) -> Mapped:
    customer = request.get("customer") or {}
    contact_id = text(customer.get("id")) if isinstance(customer, dict) else None
    if contact_id is None:
        raise Unmapped("customers/redact: no customer.id")
    return Mapped([envelope(event_id, SOURCE, now, "Contact Erasure Requested", {"contact_id": contact_id})])


def map_delivery(topic: str, payload: Any, webhook_id: str, now: Any) -> Mapped:
    """One Shopify delivery (topic from `X-Shopify-Topic`, id from `X-Shopify-Webhook-Id`)."""
    if not isinstance(payload, dict):
        raise Unmapped("body: not a JSON object")
    event_id = f"shopify:{webhook_id}"
    if topic == "orders/create":
        return Mapped(_order_created(payload, event_id))
    if topic == "orders/paid":
        return Mapped([_order_paid(payload, event_id)])
    if topic == "orders/cancelled":
        return Mapped([_order_cancelled(payload, event_id)])
    if topic in ("checkouts/create", "checkouts/update"):
        return _checkout(payload, event_id)
    if topic == "customers/update":
        return _customer(payload, event_id)
    if topic == "customers_email_marketing_consent/update":
        return _consent_changed(payload, event_id)
    if topic == "customers/redact":
        return _redact(payload, event_id, now)
    raise Unmapped(f"X-Shopify-Topic: {topic[:60]!r} is not one winback takes ({', '.join(TOPICS)})")
