"""A person's data: what winback holds about them (access request), and erasure.

`erase` removes the contact from every table (contact, purchase history, orders, carts,
coupon-list memberships, the send ledger, redemptions; a pool code they hold is kept as
used, without them), stops their running flows, and keeps only the salted hash of the
address as a suppression, so they are never mailed again. The timeline records how many
items went, never who.

Finding a person by email or by id scans the tables that are keyed otherwise: an
erasure is rare, and a scan costs about a dollar per 10 GB read.
"""

from __future__ import annotations

import os
from typing import Any

from pynamodb.models import Model

from winback.aws import journal
from winback.aws.store import (
    CartRecord,
    ContactRecord,
    CouponCode,
    CustomerRecord,
    ListMember,
    OrderRecord,
    Redemption,
    SendRecord,
    find,
)
from winback.domain import history, suppression

ERASED = "erased"
# The state machines whose executions are named after an order or a cart ("order-o-1").
FLOWS_BY_KEY = {
    "UNPAID_ORDER_STATE_MACHINE_ARN": "order",
    "POST_PURCHASE_STATE_MACHINE_ARN": "purchase",
    "CART_SERIES_STATE_MACHINE_ARN": "cart",
}


class UnknownPerson(LookupError):
    pass


def contact_ids(email_or_id: str) -> list[str]:
    """The contacts behind an email address or a contact id."""
    if "@" not in email_or_id:
        return [email_or_id] if find(ContactRecord, email_or_id) or find(CustomerRecord, email_or_id) else []
    wanted = email_or_id.strip().lower()
    return sorted(c.contact_id for c in ContactRecord.scan() if (c.email or "").lower() == wanted)


def _owned(model: type[Model], contact_id: str) -> list[Any]:
    return list(model.scan(model.contact_id == contact_id))  # type: ignore[attr-defined]


def export(email_or_id: str) -> dict[str, Any]:
    """Everything winback holds about the person, as JSON-ready data."""
    found = contact_ids(email_or_id)
    if not found:
        raise UnknownPerson(email_or_id)
    people = []
    for contact_id in found:
        contact = find(ContactRecord, contact_id)
        customer = find(CustomerRecord, contact_id)
        summary = history.summary(customer)
        people.append(
            {
                "contact": contact.to_simple_dict() if contact else None,
                "purchases": [p.__dict__ for p in history.purchases(customer)],
                "purchase_summary": summary.__dict__,
                "segment": customer.segment if customer else None,
                "orders": [o.to_simple_dict() for o in _owned(OrderRecord, contact_id)],
                "carts": [c.to_simple_dict() for c in _owned(CartRecord, contact_id)],
                "coupon_lists": [m.to_simple_dict() for m in _owned(ListMember, contact_id)],
                "emails": [
                    {k: v for k, v in s.to_simple_dict().items() if k != "message_id"}
                    for s in _owned(SendRecord, contact_id)
                ],
                "pool_codes": [c.code for c in _owned(CouponCode, contact_id)],
                "suppressed": suppression.reason(contact.email) if contact and contact.email else None,
            }
        )
    return {"contacts": people}


def erase(email_or_id: str) -> dict[str, int]:
    found = contact_ids(email_or_id)
    if not found:
        raise UnknownPerson(email_or_id)
    counts = {"contacts": 0, "orders": 0, "carts": 0, "list_memberships": 0, "sends": 0, "redemptions": 0}
    counts["flows_stopped"] = 0
    for contact_id in found:
        contact = find(ContactRecord, contact_id)
        if contact and contact.email:
            suppression.suppress(suppression.email_key(contact.email), ERASED, cause="erasure")
        orders = _owned(OrderRecord, contact_id)
        carts = _owned(CartRecord, contact_id)
        series = [key for cart in carts for key in (cart.cart_id, cart.series) if key]  # a resumed one too
        counts["flows_stopped"] += _stop_flows([o.order_id for o in orders], series)
        for order in orders:
            order.delete()
        for cart in carts:
            cart.delete()
        counts["orders"] += len(orders)
        counts["carts"] += len(carts)
        for member in _owned(ListMember, contact_id):
            member.delete()
            counts["list_memberships"] += 1
        for send in _owned(SendRecord, contact_id):
            send.delete()
            counts["sends"] += 1
        for code in _owned(CouponCode, contact_id):
            code.update(actions=[CouponCode.contact_id.set("erased")])
        for used in Redemption.scan(Redemption.redemption_id.contains(f"#{contact_id}")):
            if used.redemption_id.endswith(f"#{contact_id}"):
                used.delete()
                counts["redemptions"] += 1
        for record in (find(CustomerRecord, contact_id), contact):
            if record is not None:
                record.delete()
        counts["contacts"] += 1
    journal.record("contact.erased", **counts)
    return counts


def on_request(raw: dict[str, Any]) -> dict[str, Any]:
    """A "Contact Erasure Requested" event from the shop: erase, or reject it with the
    reason to the dead-letter queue (a malformed request must not be lost)."""
    import json

    from winback.aws import rejects
    from winback.model.events import ContactErasureRequested, InvalidEvent, parse_event

    try:
        event = parse_event(raw)
        if not isinstance(event.detail, ContactErasureRequested):
            raise InvalidEvent("detail-type: must be Contact Erasure Requested")
    except InvalidEvent as invalid:
        return {"outcome": rejects.reject(json.dumps(raw), invalid.reason, raw.get("id"))}
    try:
        return {"outcome": "erased", **erase(event.detail.contact_id)}
    except UnknownPerson:
        journal.record("contact.erasure_unknown")  # nothing held: nothing to do
        return {"outcome": "unknown"}


def _stop_flows(order_ids: list[str], cart_series: list[str]) -> int:
    """Stop the person's running executions (their input names only ids, but the flows
    would read records that are gone)."""
    from botocore.exceptions import ClientError

    from winback.aws import flows

    stopped = 0
    for env, kind in FLOWS_BY_KEY.items():
        if not os.environ.get(env):
            continue
        for key in cart_series if kind == "cart" else order_ids:
            try:
                flows._sfn().stop_execution(executionArn=flows.execution_arn(env, kind, key), cause="contact erased")
                stopped += 1
            except ClientError:  # ended, or never started: nothing to stop
                continue
    return stopped
