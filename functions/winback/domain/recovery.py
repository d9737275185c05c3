"""The steps of the unpaid-order recovery flow, one function per state machine task.

infra/statemachines/unpaid_order_recovery.asl.json holds the waits and the order of
the steps; each step re-reads the order so a payment that arrived meanwhile stops
the flow before anything else is sent.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from winback.aws import campaign_store, journal
from winback.aws.store import ContactRecord, OrderRecord
from winback.domain import coupons, sending
from winback.model import clock
from winback.model.campaigns import UnpaidOrderCampaign

if TYPE_CHECKING:
    from winback.emails.render import Rendered

FLOW = "unpaid_order"
OUTCOME_BY_STATUS = {"paid": "paid", "cancelled": "cancelled", "unpaid": "expired"}


def _order(order_id: str) -> OrderRecord:
    return OrderRecord.get(order_id, consistent_read=True)


def _campaign(campaign_id: str) -> UnpaidOrderCampaign:
    return campaign_store.get(campaign_id, UnpaidOrderCampaign)


def _send_id(order_id: str) -> str:
    return f"{FLOW}#{order_id}#coupon"


def _end(execution: str, outcome: str, **fields: Any) -> dict[str, Any]:
    journal.record("flow.ended", flow=FLOW, execution=execution, outcome=outcome, **fields)
    return {"remind": False, "coupon_offered": False, "outcome": outcome}


def remind_if_unpaid(order_id: str, campaign_id: str, execution: str) -> dict[str, Any]:
    """After the delay: still unpaid and allowed to email? Put the contact on the
    campaign's coupon list until the end of the eligibility window (unless they had a
    coupon within the cool-down: then the reminder goes without one) and send the
    reminder, once. One step: the offer and its email share the reads they need."""
    order = _order(order_id)
    if order.status != "unpaid":
        return _end(execution, OUTCOME_BY_STATUS.get(order.status or "", "unknown"), order_id=order_id)
    campaign = _campaign(campaign_id)
    person = sending.contact(order.contact_id)
    reason = sending.cannot_email(person)
    if reason:
        journal.record(
            "email.skipped", contact_id=order.contact_id, campaign=campaign.id, reason=reason, order_id=order_id
        )
        return _end(execution, f"skipped_{reason}", order_id=order_id)
    assert order.contact_id is not None and person is not None
    held = sending.hold(person, campaign, _send_id(order_id), timedelta(hours=campaign.window_hours))
    if held and "skip" in held:
        return _end(execution, f"skipped_{held['skip']}", order_id=order_id)
    if held:
        return {"remind": False, "coupon_offered": False, "outcome": None, **held}
    now = clock.now()
    code = coupons.offer(
        order.contact_id, campaign, _send_id(order_id), order_id, now, order.currency or "", order_id=order_id
    )
    # Read again: a payment heard while the contact was joining the list did not find
    # them on it. Paid now: off the list, and no email.
    order = _order(order_id)
    sent = _send_reminder(order, person, campaign, code, order.status if order.status != "unpaid" else None)
    return {"remind": True, "coupon_offered": code is not None, "outcome": None, **sent}


def coupon_email(
    order: OrderRecord,
    person: ContactRecord,
    campaign: UnpaidOrderCampaign,
    sent_at: datetime,
    code: str | None,
) -> Rendered:
    """The reminder for this order, with its coupon `code` (None when the cool-down
    withheld it), in the contact's locale and time zone (the preview renders the same)."""
    from winback.emails.i18n import resolve

    price = Decimal(order.total or "0")
    coupon = campaign.coupon
    currency = order.currency or ""
    discount = coupon.discount_on(price, currency) if code else Decimal(0)
    context = {
        "currency": currency,
        "coupon": coupon.model_dump(),
        "items": order.items or [],
        "coupon_code": code,
        "coupon_name": coupon.name_for(resolve(person.locale)),
        "percent_off": coupon.percent_off,
        "free_shipping": coupon.free_shipping,
        "discount": discount,
        "price": price,
        "price_after": price - discount,
        "valid_hours": campaign.window_hours,
        "valid_until": sent_at + timedelta(hours=campaign.window_hours),
        "pay_url": sending.with_coupon(order.pay_url or "", campaign, code),
        "order_id": order.order_id,
    }
    return sending.render_for(campaign, person, campaign.template, context)


def send_coupon_email(order_id: str, campaign_id: str, execution: str, with_coupon: bool = True) -> dict[str, Any]:
    """The reminder as its own step, as the flow ran it before `remind_if_unpaid` took
    both: an execution started then still reaches this step (the email has gone by
    now, and the send ledger keeps it from going twice)."""
    order = _order(order_id)
    campaign = _campaign(campaign_id)
    person = sending.contact(order.contact_id)
    code = coupons.issued(campaign, _send_id(order_id)) if with_coupon else None
    reason = order.status if order.status != "unpaid" else sending.cannot_email(person)
    return _send_reminder(order, person, campaign, code, reason)


def _send_reminder(
    order: OrderRecord,
    person: ContactRecord | None,
    campaign: UnpaidOrderCampaign,
    code: str | None,
    reason: str | None,
) -> dict[str, Any]:
    """Send the reminder once, unless `reason` (the order paid or cancelled, the
    contact not to be emailed) says not to: then take the contact off the list."""
    assert order.contact_id is not None
    if reason:
        coupons.leave_list(campaign, order.contact_id, order.order_id)
        journal.record(
            "email.skipped", contact_id=order.contact_id, campaign=campaign.id, reason=reason, order_id=order.order_id
        )
        return {"email_sent": False}
    assert person is not None
    sent = sending.send_once(
        _send_id(order.order_id),
        person=person,
        campaign=campaign,
        template=campaign.template,
        content=coupon_email(order, person, campaign, clock.now(), code),
        coupon_code=code,
        order_id=order.order_id,
    )
    if not sent:
        return {
            "email_sent": False,
            **({"held_out": True} if campaign.holds_out(order.contact_id) else {"duplicate": True}),
        }
    order.update(actions=[OrderRecord.reminded_at.set(clock.now()), OrderRecord.reminded_by.set(campaign.id)])
    return {"email_sent": True}


def end_coupon_eligibility(order_id: str, campaign_id: str, execution: str) -> dict[str, Any]:
    """At the end of the window: take the contact off the list (the coupon stops
    working for them) and record how the flow ended."""
    order = _order(order_id)
    campaign = _campaign(campaign_id)
    if order.contact_id:
        coupons.leave_list(campaign, order.contact_id, order_id)
    outcome = OUTCOME_BY_STATUS.get(order.status or "", "unknown")
    journal.record("flow.ended", flow=FLOW, execution=execution, outcome=outcome, order_id=order_id)
    return {"outcome": outcome}
