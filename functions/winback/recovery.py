"""The steps of the unpaid-order recovery flow, one function per state machine task.

infra/statemachines/unpaid_order_recovery.asl.json holds the waits and the order of
the steps; each step re-reads the order so a payment that arrived meanwhile stops
the flow before anything else is sent.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import DeleteError, DoesNotExist, PutError

from winback import campaign_store, clock, journal
from winback.campaigns import Campaign
from winback.store import ContactRecord, ListMember, OrderRecord, SendRecord

if TYPE_CHECKING:
    from winback.mailer import Outgoing
    from winback.render import Rendered

FLOW = "unpaid_order"
OUTCOME_BY_STATUS = {"paid": "paid", "cancelled": "cancelled", "unpaid": "expired"}


def _order(order_id: str) -> OrderRecord:
    return OrderRecord.get(order_id, consistent_read=True)


def _contact(contact_id: str | None) -> ContactRecord | None:
    if not contact_id:
        return None
    try:
        return ContactRecord.get(contact_id, consistent_read=True)
    except DoesNotExist:
        return None


def _end(execution: str, outcome: str, **fields: Any) -> dict[str, Any]:
    journal.record("flow.ended", flow=FLOW, execution=execution, outcome=outcome, **fields)
    return {"coupon_offered": False, "outcome": outcome}


def _leave_list(campaign: Campaign, contact_id: str, order_id: str) -> bool:
    """Remove the contact from the coupon list if this order put them there
    (another unpaid order of theirs may have renewed the membership since)."""
    try:
        ListMember(campaign.list, contact_id).delete(condition=ListMember.order_id == order_id)
    except DeleteError as error:
        if getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException":
            return False
        raise
    journal.record("list.removed", list=campaign.list, contact_id=contact_id, order_id=order_id)
    return True


def offer_coupon_if_unpaid(order_id: str, campaign_id: str, execution: str) -> dict[str, Any]:
    """After the delay: still unpaid and allowed to email? Put the contact on the
    campaign's coupon list until the end of the eligibility window."""
    order = _order(order_id)
    if order.status != "unpaid":
        return _end(execution, OUTCOME_BY_STATUS.get(order.status or "", "unknown"), order_id=order_id)
    campaign = campaign_store.get(campaign_id)
    contact = _contact(order.contact_id)
    reason = None
    if contact is None or not contact.email:
        reason = "no_email"
    elif not contact.marketing_consent:
        reason = "no_consent"
    if reason:
        journal.record(
            "email.skipped", contact_id=order.contact_id, campaign=campaign.id, reason=reason, order_id=order_id
        )
        return _end(execution, f"skipped_{reason}", order_id=order_id)
    assert order.contact_id is not None
    now = clock.now()
    ListMember(
        campaign.list,
        order.contact_id,
        order_id=order_id,
        campaign_id=campaign.id,
        added_at=now,
        expires_at=now + timedelta(seconds=campaign.window_seconds),
    ).save()
    journal.record("list.added", list=campaign.list, contact_id=order.contact_id, order_id=order_id)
    return {"coupon_offered": True, "outcome": None}


def coupon_email(order: OrderRecord, contact: ContactRecord, campaign: Campaign, sent_at: datetime) -> Rendered:
    """The coupon email for this order, in the contact's locale and time zone (the
    preview renders the same function on sample records)."""
    # Jinja2, Babel and css-inline load here, on the one path that sends: cold start.
    from winback import mailer
    from winback.i18n import resolve
    from winback.render import render

    price = Decimal(order.total or "0")
    discount = campaign.coupon.discount_on(price)
    context = {
        "first_name": contact.first_name or "",
        "currency": order.currency,
        "items": order.items or [],
        "coupon_code": campaign.coupon.code,
        "coupon_name": campaign.coupon.name_for(resolve(contact.locale)),
        "percent_off": campaign.coupon.percent_off,
        "discount": discount,
        "price": price,
        "price_after": price - discount,
        "valid_hours": campaign.window_hours,
        "valid_until": sent_at + timedelta(hours=campaign.window_hours),
        "pay_url": order.pay_url,
        "order_id": order.order_id,
    }
    return render(
        campaign.template,
        context,
        locale=contact.locale,
        timezone=contact.timezone or "UTC",
        branding=campaign.branding,
        unsubscribe_url=mailer.unsubscribe_placeholder(campaign.branding.reply_to or campaign.sender),
    )


def coupon_message(campaign: Campaign, to: str, content: Rendered) -> Outgoing:
    """The message as handed to SES: the campaign's sender (or the stack's) and the
    branding's reply-to."""
    from winback import mailer

    headers = {"Reply-To": campaign.branding.reply_to} if campaign.branding.reply_to else {}
    return mailer.Outgoing(campaign.sender or mailer.default_sender(), to, content, headers)


def send_coupon_email(order_id: str, campaign_id: str, execution: str) -> dict[str, Any]:
    """Send the coupon email once, and only while the order is still unpaid.

    The send ledger row is claimed before SES is called: a retried task finds it and
    sends nothing (at most once). If SES refuses the call the claim is released so
    the retry can send.
    """
    order = _order(order_id)
    campaign = campaign_store.get(campaign_id)
    contact = _contact(order.contact_id)
    assert order.contact_id is not None
    if order.status != "unpaid":
        _leave_list(campaign, order.contact_id, order_id)
        journal.record(
            "email.skipped", contact_id=order.contact_id, campaign=campaign.id, reason=order.status, order_id=order_id
        )
        return {"email_sent": False}
    if contact is None or not contact.email or not contact.marketing_consent:
        _leave_list(campaign, order.contact_id, order_id)
        journal.record(
            "email.skipped", contact_id=order.contact_id, campaign=campaign.id, reason="no_consent", order_id=order_id
        )
        return {"email_sent": False}
    send_id = f"{FLOW}#{order_id}#coupon"
    content = coupon_email(order, contact, campaign, clock.now())
    claim = SendRecord(
        send_id,
        status="sending",
        contact_id=order.contact_id,
        campaign_id=campaign.id,
        order_id=order_id,
        template=campaign.template,
        coupon_code=campaign.coupon.code,
        claimed_at=clock.now(),
    )
    try:
        claim.save(condition=SendRecord.send_id.does_not_exist())
    except PutError as error:
        if getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException":
            return {"email_sent": False, "duplicate": True}
        raise
    from winback import mailer

    try:
        message_id = mailer.send(coupon_message(campaign, contact.email, content))
    except Exception:
        claim.delete()
        raise
    sent_at = clock.now()
    claim.update(
        actions=[
            SendRecord.status.set("sent"),
            SendRecord.message_id.set(message_id),
            SendRecord.sent_at.set(sent_at),
            SendRecord.subject.set(content.subject),
        ]
    )
    order.update(actions=[OrderRecord.reminded_at.set(sent_at), OrderRecord.reminded_by.set(campaign.id)])
    journal.record(
        "email.sent",
        to=contact.email,
        contact_id=order.contact_id,
        campaign=campaign.id,
        template=campaign.template,
        subject=content.subject,
        locale=contact.locale,
        coupon_code=campaign.coupon.code,
        order_id=order_id,
    )
    return {"email_sent": True}


def end_coupon_eligibility(order_id: str, campaign_id: str, execution: str) -> dict[str, Any]:
    """At the end of the window: take the contact off the list (the coupon stops
    working for them) and record how the flow ended."""
    order = _order(order_id)
    campaign = campaign_store.get(campaign_id)
    if order.contact_id:
        _leave_list(campaign, order.contact_id, order_id)
    outcome = OUTCOME_BY_STATUS.get(order.status or "", "unknown")
    journal.record("flow.ended", flow=FLOW, execution=execution, outcome=outcome, order_id=order_id)
    return {"outcome": outcome}
