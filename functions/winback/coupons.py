"""Coupon rules the checkout asks about: valid for this contact, on this offer, now?

A code works only for a current member of its campaign's list, so a forwarded code
fails for anyone else. An unknown code and a code that is not for this contact get
the same answer, so the API does not tell a stranger which codes exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from pynamodb.exceptions import DoesNotExist, PutError

from winback import campaign_store, clock, journal
from winback.campaigns import Campaign
from winback.store import ListMember, Redemption

NOT_ELIGIBLE = "not_eligible"
OFFER_NOT_COVERED = "offer_not_covered"
ALREADY_USED = "already_used"
OK = "ok"


@dataclass(frozen=True)
class Answer:
    valid: bool
    reason: str
    price: Decimal
    discount: Decimal = Decimal("0.00")
    coupon_name: str | None = None

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
    code: str, contact_id: str, offer_id: str, price: Decimal, order_id: str | None
) -> tuple[Answer, Campaign | None]:
    code = code.strip().upper()
    campaign = campaign_store.by_coupon(code)
    if campaign is None or _member(campaign, contact_id) is None:
        return Answer(False, NOT_ELIGIBLE, price), None
    if not campaign.covers(offer_id):
        return Answer(False, OFFER_NOT_COVERED, price), None
    used = _redemption(code, contact_id)
    if used is not None and used.order_id != order_id:
        return Answer(False, ALREADY_USED, price), None
    discount = campaign.coupon.discount_on(price)
    return Answer(True, OK, price, discount, campaign.coupon.name), campaign


def validate(code: str, contact_id: str, offer_id: str, price: Decimal) -> Answer:
    answer, _ = _evaluate(code, contact_id, offer_id, price, None)
    journal.record(
        "coupon.checked", code=code, contact_id=contact_id, offer_id=offer_id, valid=answer.valid, reason=answer.reason
    )
    return answer


def redeem(code: str, contact_id: str, offer_id: str, price: Decimal, order_id: str) -> Answer:
    """Use the coupon on an order: idempotent for that order, once per contact."""
    answer, campaign = _evaluate(code, contact_id, offer_id, price, order_id)
    if campaign is not None:
        key = f"{campaign.coupon.code}#{contact_id}"
        try:
            Redemption(key, order_id=order_id, discount=str(answer.discount), redeemed_at=clock.now()).save(
                condition=Redemption.redemption_id.does_not_exist() | (Redemption.order_id == order_id)
            )
        except PutError as error:
            if getattr(error, "cause_response_code", None) != "ConditionalCheckFailedException":
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
