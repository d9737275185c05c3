"""Revenue owed to winback's emails, counted when the order is paid.

At each first payment, the contact's emails of the last `MAX_WINDOW` are read from the
send ledger (its by-contact index) and model/attribution.py decides which one, if any,
the payment is owed to, with the campaign's own window and minimum gap. The result is
the journal entry "order.attributed": flow, campaign, step, variant, coupon, whether the
contact was in the holdout, "recovered" or "under_way", the revenue in the order's
currency and in minor units of the reporting currency. Orders paid after they were
cancelled are owed to nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from winback.aws import journal
from winback.aws.store import OrderRecord, SendRecord
from winback.model.attribution import DEFAULT_MIN_GAP, DEFAULT_WINDOW, Touch, attribute
from winback.model.money import in_reporting_minor

MAX_WINDOW = timedelta(days=90)  # the longest attribution_days a campaign may set


def touches(contact_id: str, since: datetime, until: datetime) -> list[Touch]:
    """The contact's flow emails (and holdout "would have sent") between the two times."""
    found = SendRecord.by_contact.query(contact_id, SendRecord.sent_at.between(since, until))
    return [
        Touch(
            send_id=record.send_id,
            campaign=record.campaign_id,
            at=record.sent_at,
            variant=record.variant,
            coupon_code=record.coupon_code,
            held_out=record.status == "held_out",
            clicked_at=record.clicked_at,
        )
        for record in found
        if record.sent_at is not None and record.status in ("sent", "held_out")
    ]


def clicked(event: dict[str, object]) -> str:
    """SES's "Email Clicked" for one of winback's emails: the first click is kept on its
    send, so a later payment is "clicked then paid". Anything else is counted, not raised."""
    from pynamodb.exceptions import UpdateError

    from winback.aws.mailer import SEND_TAG, send_of_tag
    from winback.aws.store import condition_failed
    from winback.model import clock

    detail = event.get("detail")
    tags = ((detail or {}).get("mail") or {}).get("tags") or {} if isinstance(detail, dict) else {}
    found = tags.get(SEND_TAG) if isinstance(tags, dict) else None
    if not found:
        journal.record("ses_event.rejected", reason="Email Clicked without winback's send tag")
        return "ignored"
    send_id = send_of_tag(str(found[0]))
    try:
        SendRecord(send_id).update(
            actions=[SendRecord.clicked_at.set(clock.now())],
            condition=SendRecord.send_id.exists() & SendRecord.clicked_at.does_not_exist(),
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise
        return "repeated"
    journal.record("email.clicked", send_id=send_id)
    return "clicked"


def _rules(campaign_id: str) -> tuple[timedelta, timedelta]:
    # Imported here: SES's events come through `clicked` and never read a campaign, and
    # the campaign models (pydantic) are most of what a function's cold start imports.
    from winback.aws import campaign_store
    from winback.model.campaigns import Campaign

    campaign = next((c for c in campaign_store.all_campaigns() if c.id == campaign_id), None)
    if not isinstance(campaign, Campaign):  # removed since it sent: the documented defaults
        return DEFAULT_WINDOW, DEFAULT_MIN_GAP
    return timedelta(days=campaign.attribution_days), timedelta(minutes=campaign.attribution_min_gap_minutes)


def credit(order: OrderRecord, contact_id: str, paid_at: datetime, total: Decimal, currency: str) -> None:
    """Attribute one paid order (its first payment) and record the result."""
    if order.cancelled_at is not None and order.cancelled_at <= paid_at:
        journal.record("order.unattributed", order_id=order.order_id, reason="paid_after_cancel")
        return
    candidates = [t for t in touches(contact_id, paid_at - MAX_WINDOW, paid_at) if t.counts]
    if not candidates:
        return
    last = max(candidates, key=lambda t: (t.at, t.send_id))  # the last email before paying
    window, min_gap = _rules(last.campaign)
    found = attribute([last], paid_at, window, min_gap)
    if found is not None:
        touch = found.touch
        owed = {
            "flow": touch.flow,
            "campaign": touch.campaign,
            "step": touch.step,
            "variant": touch.variant,
            "coupon_code": touch.coupon_code,
            "held_out": touch.held_out,
            "outcome": found.outcome,
            "revenue": str(total),
            "currency": currency,
            "revenue_reporting_minor": in_reporting_minor(total, currency),
            "minutes_after_email": int((paid_at - touch.at).total_seconds() // 60),
            # "clicked then paid", where the configuration set reports clicks (ClickTracking)
            "clicked": touch.clicked_at is not None and touch.clicked_at <= paid_at,
        }
        # Kept on the order, so `winback report` reads what the journal said from the table.
        order.update(actions=[OrderRecord.attribution.set({**owed, "paid_at": paid_at.isoformat()})])
        journal.record("order.attributed", order_id=order.order_id, contact_id=contact_id, **owed)
