"""Coupon rules the checkout asks about: valid for this contact, on this offer, now?

A code works only for a current member of its campaign's list, so a forwarded code
fails for anyone else. An unknown code and a code that is not for this contact get
the same answer, so the API does not tell a stranger which codes exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from pynamodb.exceptions import DeleteError, DoesNotExist, PutError, UpdateError

from winback.aws import campaign_store, journal
from winback.aws.store import CustomerRecord, ListMember, Redemption, condition_failed
from winback.domain import pools
from winback.model import clock
from winback.model.campaigns import Campaign

NOT_ELIGIBLE = "not_eligible"
OFFER_NOT_COVERED = "offer_not_covered"
CURRENCY_NOT_COVERED = "currency_not_covered"
ALREADY_USED = "already_used"
OK = "ok"


def _cooldown_start(campaign: Campaign, now: datetime) -> datetime:
    """A coupon given after this moment withholds the next one (`grant`)."""
    return now - timedelta(days=campaign.coupon_cooldown_days)


def grant(contact_id: str, campaign: Campaign, send_id: str, now: datetime) -> bool:
    """May this contact get a coupon now? At most one per cool-down (the campaign's
    `coupon_cooldown_days`, default 30) whatever the campaign, so abandoning carts
    again and again does not farm coupons. The same send asking again (a retried
    task) gets the same answer."""
    since = _cooldown_start(campaign, now)
    try:
        CustomerRecord(contact_id).update(
            actions=[CustomerRecord.last_coupon_at.set(now), CustomerRecord.last_coupon_for.set(send_id)],
            condition=CustomerRecord.last_coupon_at.does_not_exist()
            | (CustomerRecord.last_coupon_at <= since)
            | (CustomerRecord.last_coupon_for == send_id),
        )
    except UpdateError as error:
        if condition_failed(error):
            return False
        raise
    return True


def unavailable(
    contact_id: str, campaign: Campaign, send_id: str, now: datetime, currency: str, customer: CustomerRecord | None
) -> str | None:
    """Why `offer` would give no coupon now (currency, pool_empty, cooldown; recorded), as
    far as the contact's record (`customer`, just read) and the pool's count say. A flow
    whose email means nothing without a coupon asks first, so that an empty pool takes
    nothing else from the contact: their marketing slot, the campaign's cool-down. Two
    sends racing for the last code can still both pass here; `offer` then says so."""
    reason = None
    if not campaign.coupon.applies_to(currency):
        reason = "currency"
    elif campaign.coupon.pool and pools.remaining(campaign.id) <= 0 and pools.issued(send_id) is None:
        reason = "pool_empty"
    elif (
        customer is not None
        and customer.last_coupon_at is not None
        and customer.last_coupon_at > _cooldown_start(campaign, now)
        and customer.last_coupon_for != send_id  # as `grant`'s condition reads the record
    ):
        reason = "cooldown"
    if reason:
        journal.record("coupon.skipped", contact_id=contact_id, campaign=campaign.id, reason=reason)
    return reason


def offer(
    contact_id: str, campaign: Campaign, send_id: str, source: str, now: datetime, currency: str, **fields: Any
) -> str | None:
    """Give this contact the campaign's coupon and return its code, unless the cool-down
    withholds it, the campaign's pool is empty or the coupon is a fixed amount in other
    currencies than `currency` (recorded with the reason). A shared code works once the
    contact joins the campaign's list; a pool code is theirs alone."""
    if campaign.holds_out(contact_id):
        journal.record("coupon.skipped", contact_id=contact_id, campaign=campaign.id, reason="holdout", **fields)
        return None
    if not campaign.coupon.applies_to(currency):
        journal.record(
            "coupon.skipped",
            contact_id=contact_id,
            campaign=campaign.id,
            reason="currency",
            currency=currency,
            **fields,
        )
        return None
    code = pools.assign(campaign, contact_id, send_id, now) if campaign.coupon.pool else campaign.coupon.code
    if code is None:
        journal.record("coupon.skipped", contact_id=contact_id, campaign=campaign.id, reason="pool_empty", **fields)
        return None
    if not grant(contact_id, campaign, send_id, now):
        if campaign.coupon.pool:
            pools.release(code, send_id)
        journal.record("coupon.skipped", contact_id=contact_id, campaign=campaign.id, reason="cooldown", **fields)
        return None
    if not campaign.coupon.pool:
        join_list(campaign, contact_id, source, now)
    return code


def issued(campaign: Campaign, send_id: str) -> str | None:
    """The code `offer` gave for `send_id` (a later step of the same flow reads it)."""
    return pools.issued(send_id) if campaign.coupon.pool else campaign.coupon.code


def join_list(campaign: Campaign, contact_id: str, source: str, now: datetime) -> None:
    """Make the campaign's coupon work for this contact until the window ends;
    `source` is what put them there (an order id, "cart#..." or "purchase#...")."""
    ListMember(
        campaign.list,
        contact_id,
        order_id=source,
        campaign_id=campaign.id,
        added_at=now,
        expires_at=now + timedelta(seconds=campaign.window_seconds),
    ).save()
    journal.record("list.added", list=campaign.list, contact_id=contact_id, source=source)


def leave_list(campaign: Campaign, contact_id: str, source: str) -> bool:
    """Take the contact off the list if `source` put them there (another order of
    theirs may have renewed the membership since)."""
    try:
        ListMember(campaign.list, contact_id).delete(condition=ListMember.order_id == source)
    except DeleteError as error:
        if condition_failed(error):
            return False
        raise
    journal.record("list.removed", list=campaign.list, contact_id=contact_id, source=source)
    return True


@dataclass(frozen=True)
class Answer:
    valid: bool
    reason: str
    price: Decimal
    discount: Decimal = Decimal("0.00")
    coupon_name: str | None = None
    free_shipping: bool = False

    @property
    def price_after(self) -> Decimal:
        return self.price - self.discount

    def as_json(self) -> dict[str, object]:
        return {
            "valid": self.valid,
            "reason": self.reason,
            "coupon_name": self.coupon_name,
            "discount": str(self.discount),
            "price": str(self.price),
            "price_after_discount": str(self.price_after),
            "free_shipping": self.free_shipping,
        }


def _member(campaign: Campaign, contact_id: str) -> ListMember | None:
    try:
        member = ListMember.get(campaign.list, contact_id, consistent_read=True)
    except DoesNotExist:
        return None
    # TTL deletion lags by up to two days: the expiry itself is what counts.
    if member.expires_at is None or member.expires_at <= clock.now():
        return None
    return member


def _redemption(code: str, contact_id: str) -> Redemption | None:
    try:
        return Redemption.get(f"{code}#{contact_id}", consistent_read=True)
    except DoesNotExist:
        return None


def _evaluate(
    code: str, contact_id: str, offer_id: str, price: Decimal, currency: str, order_id: str | None
) -> tuple[Answer, Campaign | None]:
    code = code.strip().upper()
    campaign = campaign_store.by_coupon(code)
    if campaign is None or _member(campaign, contact_id) is None:
        pooled = pools.holder(code, clock.now())  # a code of a pool: its contact's alone
        if pooled is None or pooled.contact_id != contact_id or not pooled.pool:
            return Answer(False, NOT_ELIGIBLE, price), None
        campaign = campaign_store.get(pooled.pool, Campaign)
    if not campaign.covers(offer_id):
        return Answer(False, OFFER_NOT_COVERED, price), None
    if not campaign.coupon.applies_to(currency):
        return Answer(False, CURRENCY_NOT_COVERED, price), None
    used = _redemption(code, contact_id)
    if used is not None and used.order_id != order_id:
        return Answer(False, ALREADY_USED, price), None
    discount = campaign.coupon.discount_on(price, currency)
    name = campaign.coupon.name or campaign.coupon.code  # what the checkout labels the discount with
    return Answer(True, OK, price, discount, name, campaign.coupon.free_shipping), campaign


def validate(code: str, contact_id: str, offer_id: str, price: Decimal, currency: str) -> Answer:
    answer, _ = _evaluate(code, contact_id, offer_id, price, currency, None)
    journal.record(
        "coupon.checked", code=code, contact_id=contact_id, offer_id=offer_id, valid=answer.valid, reason=answer.reason
    )
    return answer


def redeem(code: str, contact_id: str, offer_id: str, price: Decimal, currency: str, order_id: str) -> Answer:
    """Use the coupon on an order: idempotent for that order, once per contact."""
    answer, campaign = _evaluate(code, contact_id, offer_id, price, currency, order_id)
    if campaign is not None:
        key = f"{code.strip().upper()}#{contact_id}"
        try:
            Redemption(key, order_id=order_id, discount=str(answer.discount), redeemed_at=clock.now()).save(
                condition=Redemption.redemption_id.does_not_exist() | (Redemption.order_id == order_id)
            )
        except PutError as error:
            if not condition_failed(error):
                raise
            answer = Answer(False, ALREADY_USED, price)
    journal.record(
        "coupon.redeemed" if answer.valid else "coupon.checked",
        code=code,
        contact_id=contact_id,
        offer_id=offer_id,
        order_id=order_id,
        valid=answer.valid,
        reason=answer.reason,
    )
    return answer
