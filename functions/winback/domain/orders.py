"""Order events in: order state, contact details, and starting the recovery flow.

Every update is conditional so the state is right whatever order the events arrive
in: a paid order never turns unpaid again, and an older contact update never
overwrites a newer one.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from pynamodb.exceptions import PutError, UpdateError

from winback.aws import campaign_store, flows, journal, rejects
from winback.aws.store import ContactRecord, OrderRecord, condition_failed, kept_until
from winback.domain import carts, coupons, history, purchases, revenue, sending, webhooks
from winback.model import clock
from winback.model.campaigns import UnpaidOrderCampaign, choose_campaign
from winback.model.events import (
    SHOWN_ITEMS,
    CheckoutStarted,
    Contact,
    ContactConsentChanged,
    ContactErasureRequested,
    ContactUpdated,
    InvalidEvent,
    OrderCancelled,
    OrderCreated,
    OrderEvent,
    OrderPaid,
    parse_event,
)

UNPAID_FLOW_ENV = "UNPAID_ORDER_STATE_MACHINE_ARN"
FIRST_WAIT = "WaitBeforeReminder"  # the state in infra/statemachines/unpaid_order_recovery.asl.json


def _purchases_matter() -> bool:
    """Who bought what and when is read by the cart and post-purchase flows only: a
    shop running unpaid-order recovery alone saves the write on every order event."""
    return any(c.enabled and c.flow in ("abandoned_cart", "post_purchase") for c in campaign_store.all_campaigns())


def save_contact(contact: Contact, at: datetime) -> None:
    """Keep the newest details: an update older than the stored one is ignored.
    The event carries the whole contact, so the record is replaced, not merged."""
    record = ContactRecord(
        contact.id,
        email=contact.email,
        first_name=contact.first_name,
        locale=contact.locale,
        timezone=contact.timezone,
        marketing_consent=contact.marketing_consent,
        updated_at=at,
    )
    try:
        record.save(condition=ContactRecord.updated_at.does_not_exist() | (ContactRecord.updated_at <= at))
    except PutError as error:
        if not condition_failed(error):
            raise


def _record_created(detail: OrderCreated, at: datetime, remind_after: datetime | None) -> tuple[OrderRecord, bool]:
    """Store the order; returns it and whether this was the first delivery of its
    creation (conditional writes, so exactly one delivery of a duplicate wins)."""
    details: dict[str, Any] = {
        "remind_after": remind_after,
        "contact_id": detail.contact.id,
        "offer_id": detail.offer_id,
        "currency": detail.currency,
        "total": str(detail.total),
        "pay_url": detail.pay_url,
        "items": [item.model_dump(mode="json") for item in detail.items[:SHOWN_ITEMS]],
        "item_count": len(detail.items),
        "cart_id": detail.cart_id,
        "timezone": detail.contact.timezone,
        "created_at": at,
        "expires_at": kept_until(at),
    }
    order = OrderRecord(detail.order_id, status="unpaid", **details)
    try:  # the usual case: nothing is known of this order yet
        order.save(condition=OrderRecord.order_id.does_not_exist())
        return order, True
    except PutError as error:
        if not condition_failed(error):
            raise
    order = OrderRecord(detail.order_id)
    try:  # paid or cancelled arrived first: fill in the details, keep the status
        order.update(
            actions=[getattr(OrderRecord, name).set(value) for name, value in details.items()],
            condition=OrderRecord.created_at.does_not_exist(),
        )
        return order, True
    except UpdateError as error:
        if not condition_failed(error):
            raise
    return OrderRecord.get(detail.order_id, consistent_read=True), False  # a duplicate


def order_created(event: OrderEvent, detail: OrderCreated) -> None:
    save_contact(detail.contact, event.time)
    # An order ends the contact's cart series: the unpaid-order flow takes over.
    if _purchases_matter():
        purchases.record_order(detail.contact.id, event.time)
    if detail.cart_id:
        carts.close(detail.cart_id, detail.order_id, event.time)
    campaign = choose_campaign(campaign_store.all_campaigns(), detail.offer_id)
    if not isinstance(campaign, UnpaidOrderCampaign) or detail.total == 0:
        campaign = None  # a free sample, a 100 % discount: nothing to pay, so nothing is "unpaid"
    # The reminder falls due after the campaign's delay; one due in the contact's quiet
    # hours waits for their morning in WaitBeforeReminder, where a payment stops it. The
    # order keeps that moment: a payment well before it stops the flow straight away.
    now = clock.now()
    due = planned = now
    if campaign is not None:
        due = now + timedelta(seconds=campaign.delay_seconds)
        planned = sending.past_quiet_hours(
            due, detail.contact.timezone, timedelta(hours=campaign.window_hours), detail.contact.id
        )
    order, first = _record_created(detail, event.time, planned if campaign is not None else None)
    if first:
        journal.record("order.seen", order_id=detail.order_id, offer_id=detail.offer_id)
    if order.status != "unpaid":
        return  # paid or cancelled before we heard it was created: nothing to recover
    if campaign is None:
        if first and detail.total == 0:
            journal.record("flow.skipped", flow="unpaid_order", order_id=detail.order_id, reason="nothing_to_pay")
        return
    # Started again on a duplicate too: if the first delivery failed between the
    # write above and this call, the retry must still start the flow. Step Functions
    # keeps it to one execution per order by name.
    execution = flows.start(
        UNPAID_FLOW_ENV,
        "order",
        detail.order_id,
        {
            "order_id": detail.order_id,
            "campaign_id": campaign.id,
            "delay_seconds": clock.seconds_until(planned, now),
            "window_seconds": campaign.window_seconds,
        },
    )
    if execution and first:
        journal.record(
            "flow.started",
            flow="unpaid_order",
            campaign=campaign.id,
            execution=execution,
            order_id=detail.order_id,
        )
        sending.note_quiet_hours(due, planned, detail.contact.id, campaign.id, order_id=detail.order_id)


def order_paid(event: OrderEvent, detail: OrderPaid) -> None:
    order = OrderRecord(detail.order_id)
    actions: list[Any] = [
        OrderRecord.status.set("paid"),
        OrderRecord.paid_at.set(event.time),
        OrderRecord.paid_total.set(str(detail.total)),
        OrderRecord.contact_id.set(OrderRecord.contact_id | detail.contact_id),
        OrderRecord.currency.set(OrderRecord.currency | detail.currency),
        OrderRecord.expires_at.set(kept_until(event.time)),
    ]
    if detail.coupon_code:
        actions.append(OrderRecord.coupon_code.set(detail.coupon_code))
    try:
        order.update(
            actions=actions,
            condition=OrderRecord.status.does_not_exist() | (OrderRecord.status != "paid"),
        )
        first = True
    except UpdateError as error:
        if not condition_failed(error):
            raise
        first = False  # already paid: a duplicate, or a retry after a failure below
        order = OrderRecord.get(detail.order_id, consistent_read=True)
    # All idempotent, so a retry finishes what a failed delivery started. The purchase
    # history feeds RFM, which runs whatever the campaigns (any may trigger on a segment).
    paid_orders = history.record_paid(detail.contact_id, detail.order_id, event.time, detail.total, detail.currency)
    if order.cancelled_at is not None and order.cancelled_at >= event.time:
        history.record_refund(detail.contact_id, detail.order_id)  # cancelled after this payment, heard first
    post_purchase = _purchases_matter()
    if post_purchase:
        purchases.start(order, len(paid_orders), event.time)
    if not first:
        return
    if post_purchase and len(paid_orders) == 2:  # the first order's flow waits for nothing now
        purchases.end_second_purchase_wait(*(paid_orders - {detail.order_id}))
    revenue.credit(order, detail.contact_id, event.time, detail.total, detail.currency)
    if _end_waiting_flow(detail.order_id, "paid", order.remind_after) == flows.PAST:
        _end_coupon_now(order)  # the flow may have put them on the coupon list
    if order.reminded_at is not None and order.reminded_at <= event.time:
        journal.record(
            "order.recovered",
            order_id=detail.order_id,
            contact_id=detail.contact_id,
            campaign=order.reminded_by,
            revenue=Decimal(detail.total),
            currency=detail.currency,
            coupon_code=detail.coupon_code,
        )


def _end_waiting_flow(order_id: str, outcome: str, remind_after: datetime | None = None) -> str:
    """Paid or cancelled while the flow still waits out its delay: nothing was offered,
    so stop it now (one state transition instead of four). Returns what
    flows.stop_if_still_in found."""
    found = flows.stop_if_still_in(
        UNPAID_FLOW_ENV, "order", order_id, (FIRST_WAIT,), f"order {outcome} before the reminder", remind_after
    ).found
    if found == flows.STOPPED:
        execution = flows.execution_arn(UNPAID_FLOW_ENV, "order", order_id)
        journal.record("flow.ended", flow="unpaid_order", execution=execution, outcome=outcome, order_id=order_id)
    return found


def _end_coupon_now(order: OrderRecord) -> None:
    """Paid after the flow offered the coupon (or while it was offering it): the coupon
    list keeps nobody for an order that is paid, not even until the window ends."""
    campaign = choose_campaign(campaign_store.all_campaigns(), order.offer_id) if order.offer_id else None
    if isinstance(campaign, UnpaidOrderCampaign) and order.contact_id:
        coupons.leave_list(campaign, order.contact_id, order.order_id)


# Cancellations after which the shopper should hear nothing more about that cart.
FINAL_CANCEL_REASONS = frozenset({"customer", "fraud", "inventory"})


def order_cancelled(event: OrderEvent, detail: OrderCancelled) -> None:
    order = OrderRecord(detail.order_id)
    try:
        order.update(
            actions=[
                OrderRecord.status.set("cancelled"),
                OrderRecord.cancelled_at.set(event.time),
                # The flow is stopped below or left to end: a payment after this asks Step
                # Functions where the flow is rather than stop one that may have ended.
                OrderRecord.remind_after.remove(),
                OrderRecord.expires_at.set(kept_until(event.time)),
                OrderRecord.contact_id.set(OrderRecord.contact_id | detail.contact_id),
            ],
            condition=OrderRecord.status.does_not_exist() | (OrderRecord.status == "unpaid"),
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise
        order = OrderRecord.get(detail.order_id, consistent_read=True)
        if order.status != "cancelled" or order.cancelled_at != event.time:
            _refund_if_paid(event, detail, order)
            return
        # This cancellation, again: a retry finishes what a failed delivery started.
    else:
        _end_waiting_flow(detail.order_id, "cancelled")
    if order.cart_id and (detail.reason or "").lower() not in FINAL_CANCEL_REASONS:
        carts.resume(order.cart_id, detail.order_id, event.time)


def _refund_if_paid(event: OrderEvent, detail: OrderCancelled, order: OrderRecord) -> None:
    """A cancellation of a paid order, dated after its payment, is a refund: the order
    leaves the contact's purchase history (RFM, win-back)."""
    if order.status == "paid" and order.paid_at is not None and event.time >= order.paid_at:
        history.record_refund(order.contact_id or detail.contact_id, detail.order_id)
        journal.record("order.refunded", order_id=detail.order_id, contact_id=detail.contact_id)


def consent_changed(detail: ContactConsentChanged, at: datetime) -> None:
    """Only the consent: the rest of the contact stays (an older change is ignored)."""
    try:
        ContactRecord(detail.contact_id).update(
            actions=[
                ContactRecord.marketing_consent.set(detail.marketing_consent),
                ContactRecord.updated_at.set(at),
            ],
            condition=ContactRecord.email.exists()
            & (ContactRecord.updated_at.does_not_exist() | (ContactRecord.updated_at <= at)),
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise


def apply(event: OrderEvent) -> None:
    """Apply one valid event to the store and start what it triggers."""
    detail = event.detail
    if isinstance(detail, OrderCreated):
        order_created(event, detail)
    elif isinstance(detail, OrderPaid):
        order_paid(event, detail)
    elif isinstance(detail, OrderCancelled):
        order_cancelled(event, detail)
    elif isinstance(detail, ContactUpdated):
        save_contact(detail.contact, event.time)
    elif isinstance(detail, ContactConsentChanged):
        consent_changed(detail, event.time)
    elif isinstance(detail, ContactErasureRequested):
        # From a connector (Shopify's customers/redact): to the erasure function's rule,
        # as the shop's own request, so one place erases.
        from winback.aws import bus

        bus.put("Contact Erasure Requested", [detail.model_dump()], source=os.environ.get("EVENT_SOURCE", "shop"))
    elif isinstance(detail, CheckoutStarted):
        save_contact(detail.contact, event.time)
        carts.capture(detail, event.time)


def ingest(body: str) -> str:
    """One queued event: applied, or rejected with its reason. Returns the outcome.

    Raises only for failures a retry may fix (the batch then reports this record).
    """
    try:
        raw = json.loads(body)
    except json.JSONDecodeError as error:
        return rejects.reject(body, f"event: not valid JSON ({error.msg})", None)
    delivery = None
    if isinstance(raw, dict) and isinstance(raw.get("webhook"), dict):  # a shop webhook, verified and queued
        delivery = raw["webhook"]
    elif isinstance(raw, dict) and str(raw.get("source", "")).startswith("aws.partner/shopify.com"):
        delivery = webhooks.from_shopify_bridge(raw)
    if delivery is not None:
        found = webhooks.events_of(delivery, body)
        if isinstance(found, str):
            return found
        for mapped in found:
            accept(mapped)
        return "applied"
    try:
        event = parse_event(raw)
    except InvalidEvent as invalid:
        event_id = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else None
        return rejects.reject(body, invalid.reason, event_id)
    accept(event)
    return "applied"


def accept(event: OrderEvent) -> None:
    """A valid event, from the bus or mapped from a shop's webhook: its warnings
    recorded, then applied."""
    for warning in event.warnings:
        journal.record("event.warning", event_id=event.id, reason=warning)
    apply(event)
