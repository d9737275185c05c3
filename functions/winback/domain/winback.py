"""Win-back of lapsed customers, the steps of infra/statemachines/win_back.asl.json.

"Contact Segment Entered" (the daily RFM job) starts the flow. `enter` picks the
campaign for the segment and checks the contact: an email, marketing consent, enough
orders, not within the campaign's cool-down, not a duplicate of the same entry. After
the wait, `offer` checks consent again and whether they bought in the last hours, asks
whether there is a coupon for them (before taking their marketing slot or the campaign's
cool-down: without a coupon there is no email), then gives them one (a unique pool code
by default) and sends the email. Each decision is recorded with its reason.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import PutError

from winback.aws import campaign_store, journal
from winback.aws.store import ContactRecord, CustomerRecord, SendRecord, condition_failed, find
from winback.domain import catalogue, coupons, history, pools, sending
from winback.model import clock
from winback.model.campaigns import WinBackCampaign, winback_for
from winback.model.money import reporting_currency

if TYPE_CHECKING:
    from winback.emails.render import Rendered

FLOW = "winback"
OFFER_HELD_AT_MOST = timedelta(days=7)  # held longer than this, the offer is skipped


def _skip(contact_id: str, campaign_id: str, reason: str, **fields: Any) -> dict[str, Any]:
    journal.record("email.skipped", contact_id=contact_id, campaign=campaign_id, reason=reason, **fields)
    return {"enter": False, "outcome": f"skipped_{reason}"}


def _last_offer_key(campaign: WinBackCampaign, contact_id: str) -> str:
    return f"{FLOW}#{campaign.id}#{contact_id}#last"


def _within_cooldown(campaign: WinBackCampaign, contact_id: str, now: datetime) -> bool:
    last = find(SendRecord, _last_offer_key(campaign, contact_id))
    return last is not None and last.claimed_at > now - timedelta(days=campaign.cooldown_days)


def enter(contact_id: str, segment: str, day: str, execution: str) -> dict[str, Any]:
    """A contact entered `segment` on `day`: does a campaign take them?"""
    campaign = winback_for(campaign_store.all_campaigns(), segment)
    if campaign is None:
        return {"enter": False, "outcome": "no_campaign"}
    journal.record("segment.entered", campaign=campaign.id, contact_id=contact_id, segment=segment)
    person = sending.contact(contact_id)
    reason = sending.cannot_email(person)
    if reason:
        return _skip(contact_id, campaign.id, reason)
    if history.summary(find(CustomerRecord, contact_id)).orders < campaign.min_orders:
        return _skip(contact_id, campaign.id, "too_few_orders")
    now = clock.now()
    if _within_cooldown(campaign, contact_id, now):
        return _skip(contact_id, campaign.id, "cooldown")
    send_id = f"{FLOW}#{campaign.id}#{contact_id}#{day}"
    try:  # the same entry announced twice (the RFM job retried): one flow only
        SendRecord(
            f"{send_id}#entry", status="entered", contact_id=contact_id, campaign_id=campaign.id, claimed_at=now
        ).save(condition=SendRecord.send_id.does_not_exist())
    except PutError as error:
        if not condition_failed(error):
            raise
        return {"enter": False, "outcome": "duplicate"}
    journal.record("flow.started", flow=FLOW, campaign=campaign.id, execution=execution, contact_id=contact_id)
    assert person is not None  # cannot_email said why otherwise
    due = now + timedelta(hours=campaign.wait_hours)
    planned = sending.past_quiet_hours(due, sending.zone_of(person), OFFER_HELD_AT_MOST, contact_id)
    sending.note_quiet_hours(due, planned, contact_id, campaign.id)
    return {
        "enter": True,
        "outcome": None,
        "campaign_id": campaign.id,
        "contact_id": contact_id,
        "send_id": send_id,
        "entered_at": clock.iso(now),
        "wait_seconds": clock.seconds_until(planned, now),
    }


def _end(execution: str, contact_id: str, outcome: str) -> dict[str, Any]:
    journal.record("flow.ended", flow=FLOW, execution=execution, outcome=outcome, contact_id=contact_id)
    return {"outcome": outcome}


def offer(campaign_id: str, contact_id: str, send_id: str, execution: str) -> dict[str, Any]:
    """After the wait: still allowed, not bought meanwhile? A coupon and the email."""
    campaign = campaign_store.get(campaign_id, WinBackCampaign)
    now = clock.now()
    customer = find(CustomerRecord, contact_id)
    if history.bought_since(customer, now - timedelta(hours=campaign.purchase_window_hours)):
        return _end(execution, contact_id, "bought")
    person = sending.contact(contact_id)
    reason = sending.cannot_email(person)
    if reason:
        journal.record("email.skipped", contact_id=contact_id, campaign=campaign.id, reason=reason)
        return _end(execution, contact_id, f"skipped_{reason}")
    assert person is not None
    if coupons.unavailable(contact_id, campaign, send_id, now, reporting_currency(), customer):
        return _no_coupon(execution, contact_id, campaign)
    held = sending.hold(person, campaign, send_id, OFFER_HELD_AT_MOST, customer)
    if held and "skip" in held:
        return _end(execution, contact_id, f"skipped_{held['skip']}")
    if held:
        return {"outcome": None, **held}
    if not _claim_cooldown(campaign, contact_id, send_id, now):
        journal.record("email.skipped", contact_id=contact_id, campaign=campaign.id, reason="cooldown")
        return _end(execution, contact_id, "skipped_cooldown")
    if campaign.holds_out(contact_id):  # the comparison: no code from the pool, no email, recorded
        sending.hold_out(send_id, person, campaign, campaign.template)
        return _end(execution, contact_id, "held_out")
    code = coupons.offer(contact_id, campaign, send_id, f"winback#{contact_id}", now, reporting_currency())
    if code is None:  # another send took the last code since `unavailable` looked
        return _no_coupon(execution, contact_id, campaign)
    if campaign.coupon.pool:
        _warn_if_pool_low(campaign)
    best_sellers = catalogue.best_sellers(campaign.products) if campaign.products else []
    content = winback_email(person, campaign, code, now, best_sellers)
    sending.send_once(
        send_id, person=person, campaign=campaign, template=campaign.template, content=content, coupon_code=code
    )
    return _end(execution, contact_id, "completed")


def _no_coupon(execution: str, contact_id: str, campaign: WinBackCampaign) -> dict[str, Any]:
    journal.record("email.skipped", contact_id=contact_id, campaign=campaign.id, reason="no_coupon")
    return _end(execution, contact_id, "skipped_no_coupon")


def _claim_cooldown(campaign: WinBackCampaign, contact_id: str, send_id: str, now: datetime) -> bool:
    """At most one win-back per contact per cool-down, even if two entries race; the
    same send asking again (a retried step) passes."""
    since = now - timedelta(days=campaign.cooldown_days)
    try:
        SendRecord(
            _last_offer_key(campaign, contact_id),
            status="offered",
            contact_id=contact_id,
            campaign_id=campaign.id,
            order_id=send_id,
            claimed_at=now,
        ).save(
            condition=SendRecord.send_id.does_not_exist()
            | (SendRecord.claimed_at <= since)
            | (SendRecord.order_id == send_id)
        )
    except PutError as error:
        if condition_failed(error):
            return False
        raise
    return True


def _warn_if_pool_low(campaign: WinBackCampaign) -> None:
    left = pools.remaining(campaign.id)
    if left <= campaign.pool_low_at:
        journal.record("coupon.pool_low", campaign=campaign.id, remaining=left)


def winback_email(
    person: ContactRecord, campaign: WinBackCampaign, code: str, now: datetime, best_sellers: list[dict[str, Any]]
) -> Rendered:
    """The win-back email (the preview renders the same)."""
    from winback.emails.i18n import resolve

    context = {
        "offer_name": campaign.coupon.name_for(resolve(person.locale)),
        "coupon": campaign.coupon.model_copy(update={"code": code}).model_dump(),
        "currency": reporting_currency(),
        "valid_hours": campaign.window_hours,
        "valid_until": now + timedelta(hours=campaign.window_hours),
        "shop_url": sending.with_coupon(campaign.shop_url, campaign, code),
        "best_sellers": best_sellers,
    }
    return sending.render_for(campaign, person, campaign.template, context)
