"""The abandoned-cart series: capture carts, and the steps of its state machine.

infra/statemachines/abandoned_cart_series.asl.json holds the three waits (default
1 h, 24 h and 72 h after the checkout started). Before each email the step reads
the cart and the customer again: a cart ordered or bought meanwhile ends the series,
and the email shows the items as they are now, not as they were at the start.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import PutError, UpdateError

from winback.aws import campaign_store, flows, journal
from winback.aws.store import CartRecord, ContactRecord, CustomerRecord, condition_failed, find, kept_until
from winback.domain import coupons, sending
from winback.model import clock
from winback.model.campaigns import CartCampaign, Coupon, Variant
from winback.model.events import SHOWN_ITEMS, CheckoutStarted

if TYPE_CHECKING:
    from winback.emails.render import Rendered

FLOW = "abandoned_cart"
HELD_AT_MOST = timedelta(hours=24)  # a cart reminder held longer than this is skipped
CART_FLOW_ENV = "CART_SERIES_STATE_MACHINE_ARN"
# The series' waits before its emails (infra/statemachines/abandoned_cart_series.asl.json),
# each with the emails sent before it: stopped in one of them, a series leaves nothing to
# undo (the offer's coupon comes with the third email, after its wait).
WAITS_BEFORE_EMAILS = {
    "WaitForFirstReminder": 0,
    "WaitUntilAllowedForFirstReminder": 0,
    "WaitForSecondReminder": 1,
    "WaitUntilAllowedForSecondReminder": 1,
    "WaitForOfferReminder": 2,
    "WaitUntilAllowedForOfferReminder": 2,
}


def _campaign_for_carts() -> CartCampaign | None:
    found = [c for c in campaign_store.all_campaigns() if c.enabled and isinstance(c, CartCampaign)]
    return found[0] if found else None


def capture(detail: CheckoutStarted, at: datetime) -> None:
    """Store the cart; the first checkout of a cart starts its series. A later one
    replaces the items (the shopper changed the cart), unless the cart was ordered.
    A checkout with no items means the shopper emptied the cart: its series ends."""
    if not detail.items:
        _emptied(detail.cart_id, detail.contact.id, at)
        return
    details: dict[str, Any] = {
        "contact_id": detail.contact.id,
        "currency": detail.currency,
        "subtotal": str(detail.subtotal),
        "restore_url": detail.restore_url,
        "items": [item.model_dump(mode="json") for item in detail.items[:SHOWN_ITEMS]],
        "item_count": len(detail.items),
        "updated_at": at,
        "expires_at": kept_until(at),
    }
    try:
        CartRecord(detail.cart_id, status="open", started_at=at, **details).save(
            condition=CartRecord.cart_id.does_not_exist()
        )
        first = True
    except PutError as error:
        if not condition_failed(error):
            raise
        first = False
        try:
            CartRecord(detail.cart_id).update(
                actions=[getattr(CartRecord, name).set(value) for name, value in details.items()],
                condition=(CartRecord.status == "open") & (CartRecord.updated_at <= at),
            )
        except UpdateError as update_error:
            if not condition_failed(update_error):
                raise
            return  # ordered already, or an older checkout arriving late
    # Started on later checkouts too (a retry after a failed start); the name keeps it to one series per cart.
    _start_series(
        detail.cart_id, detail.cart_id, at, record=first, contact=(detail.contact.id, detail.contact.timezone)
    )


def _start_series(
    cart_id: str, key: str, at: datetime, record: bool, contact: tuple[str, str] | None = None, **fields: Any
) -> None:
    """The cart's series, each email at its offset from `at` (after the quiet hours of
    the time zone of `contact`, (id, zone), when known), under an execution named after
    `key` (so one series per key); recorded when `record` and it started."""
    campaign = _campaign_for_carts()
    if campaign is None:
        return
    due = [at + timedelta(hours=step.after_hours) for step in campaign.steps]
    planned = list(due)
    if contact:
        contact_id, zone = contact
        for n, moment in enumerate(due):
            pushed = sending.past_quiet_hours(moment, zone, HELD_AT_MOST, contact_id)
            planned[n] = max(pushed, planned[n - 1]) if n else pushed  # a push never overtakes the next email
    execution = flows.start(
        CART_FLOW_ENV,
        "cart",
        key,
        {
            "cart_id": cart_id,
            "campaign_id": campaign.id,
            "due": [clock.iso(moment) for moment in planned],
            "offer_seconds": campaign.window_seconds,
        },
    )
    if execution and record:
        journal.record("flow.started", flow=FLOW, campaign=campaign.id, execution=execution, cart_id=cart_id, **fields)
        if contact:
            for step, (moment, moved) in enumerate(zip(due, planned, strict=True), start=1):
                sending.note_quiet_hours(moment, moved, contact[0], campaign.id, cart_id=cart_id, step=step)


def _emptied(cart_id: str, contact_id: str, at: datetime) -> None:
    """The shopper emptied the cart: nothing left to remind them of, so the series ends
    now (and never starts for a cart first seen empty)."""
    cart = CartRecord(cart_id)
    try:
        cart.update(
            actions=[
                CartRecord.status.set("emptied"),
                CartRecord.contact_id.set(CartRecord.contact_id | contact_id),
                CartRecord.items.set([]),
                CartRecord.item_count.set(0),
                CartRecord.updated_at.set(at),
                CartRecord.closed_at.set(at),
                CartRecord.expires_at.set(kept_until(at)),
            ],
            condition=CartRecord.status.does_not_exist()
            | ((CartRecord.status == "open") & (CartRecord.updated_at <= at)),
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise
        return  # ordered already, or an older checkout arriving late
    journal.record("cart.emptied", cart_id=cart_id, contact_id=contact_id)
    _stop_series(cart, "emptied")


def close(cart_id: str, order_id: str, at: datetime) -> None:
    """An order was placed for this cart: the series ends now (the unpaid-order flow
    takes over while the order is unpaid)."""
    cart = CartRecord(cart_id)
    try:
        cart.update(
            actions=[
                CartRecord.status.set("ordered"),
                CartRecord.order_id.set(order_id),
                CartRecord.closed_at.set(at),
            ],
            condition=CartRecord.status.does_not_exist() | (CartRecord.status == "open"),
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise
        return
    _stop_series(cart, "ordered")


def _series_key(cart: CartRecord) -> str:
    return cart.series or cart.cart_id


def _is_current(cart: CartRecord, execution: str) -> bool:
    """Is `execution` (an ARN) the cart's series? An order for the cart ends a series,
    and its cancellation starts the next one: an earlier series that was not stopped
    then (Step Functions throttling, or a step under way) must leave the cart to it."""
    return execution.rsplit(":", 1)[-1] == flows.execution_name("cart", _series_key(cart))


def _stop_series(cart: CartRecord, outcome: str) -> None:
    """Stop the cart's series if it waits for its next email: it would only wake to
    end. Otherwise (or if Step Functions cannot say in time) its next step ends it."""
    if cart.started_at is None or _campaign_for_carts() is None:
        return  # never a series: no checkout with items, or no cart campaign
    key = _series_key(cart)
    stop = flows.stop_if_still_in(CART_FLOW_ENV, "cart", key, tuple(WAITS_BEFORE_EMAILS), f"cart {outcome}")
    if stop.found == flows.STOPPED:
        journal.record(
            "flow.ended",
            flow=FLOW,
            execution=flows.execution_arn(CART_FLOW_ENV, "cart", key),
            outcome=outcome,
            cart_id=cart.cart_id,
            emails_sent=WAITS_BEFORE_EMAILS.get(stop.state or "", 0),
        )


def resume(cart_id: str, order_id: str, at: datetime) -> None:
    """The order made from this cart was cancelled unpaid (a declined or expired
    payment): the cart is abandoned again, so its series resumes, each email not yet
    sent at its usual offset counted from the cancellation. Once per order."""
    key, first = f"{cart_id}#after#{order_id}", True
    try:
        CartRecord(cart_id).update(
            actions=[
                CartRecord.status.set("open"),
                CartRecord.started_at.set(at),
                CartRecord.series.set(key),
                CartRecord.order_id.remove(),
                CartRecord.closed_at.remove(),
            ],
            condition=(CartRecord.status == "ordered") & (CartRecord.order_id == order_id),
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise
        cart = find(CartRecord, cart_id)
        if cart is None or cart.status != "open" or cart.series != key:
            return  # not this order's cart any more, or bought meanwhile
        # This cancellation reopened the cart already: started again (by name, one series),
        # as a retry after a failed start must still start it.
        first = False
    _start_series(cart_id, key, at, record=first, resumed=True)


def _customer(cart: CartRecord) -> CustomerRecord | None:
    """The shopper's purchase record, read only while the cart is open (a closed cart's
    status says how it ended)."""
    return find(CustomerRecord, cart.contact_id) if cart.status == "open" else None


def _ended_by_purchase(cart: CartRecord, customer: CustomerRecord | None) -> str | None:
    """ "ordered", "emptied" or "bought" if the shopper ordered or emptied this cart or
    bought anything since it started (Order Paid does not name its cart); None while
    abandoned. `customer`: the shopper's record, as `_customer` reads it."""
    if cart.status != "open":
        return cart.status
    started = cart.started_at
    if customer is None or started is None:
        return None
    if customer.last_paid_at and customer.last_paid_at >= started:
        return "bought"
    if customer.last_ordered_at and customer.last_ordered_at >= started:
        return "ordered"
    return None


def _end(execution: str, cart_id: str, outcome: str, **fields: Any) -> dict[str, Any]:
    journal.record("flow.ended", flow=FLOW, execution=execution, outcome=outcome, cart_id=cart_id, **fields)
    return {"go_on": False, "offer": False}


def remind(cart_id: str, campaign_id: str, execution: str, step: int) -> dict[str, Any]:
    """Email `step` (1 need help, 2 on hold, 3 the offer) unless the cart was bought."""
    cart = CartRecord.get(cart_id, consistent_read=True)
    if not _is_current(cart, execution):
        return _end(execution, cart_id, "ordered", emails_sent=step - 1)
    customer = _customer(cart)
    outcome = _ended_by_purchase(cart, customer)
    if outcome:
        return _end(execution, cart_id, outcome, emails_sent=step - 1)
    campaign = campaign_store.get(campaign_id, CartCampaign)
    person = sending.contact(cart.contact_id)
    reason = sending.cannot_email(person)
    if reason:
        journal.record(
            "email.skipped", contact_id=cart.contact_id, campaign=campaign.id, reason=reason, cart_id=cart_id
        )
        return _end(execution, cart_id, f"skipped_{reason}")
    assert person is not None and cart.contact_id is not None
    send_id = f"{FLOW}#{cart_id}#{step}"
    if sending.was_sent(send_id):
        return {"go_on": True, "offer": False}  # sent before the cart was ordered: a resumed series
    held = sending.hold(person, campaign, send_id, HELD_AT_MOST, customer)
    if held and "skip" in held:
        return {"go_on": True, "offer": False}  # this email is skipped, the series goes on
    if held:
        return {"go_on": True, "offer": False, **held}
    now = clock.now()
    coupon = None
    last = step == len(campaign.steps)
    code = (
        coupons.offer(cart.contact_id, campaign, send_id, f"cart#{cart_id}", now, cart.currency or "", cart_id=cart_id)
        if last
        else None
    )
    if code:
        coupon = campaign.coupon.model_copy(update={"code": code})
    variant = sending.variant_for(cart.contact_id, campaign, campaign.steps[step - 1])
    content = cart_email(cart, person, campaign, step, coupon, variant, now)
    sending.send_once(
        send_id,
        person=person,
        campaign=campaign,
        template=campaign.template,
        content=content,
        coupon_code=coupon.code if coupon else None,
        variant=variant.name if variant else None,
        cart_id=cart_id,
        step=step,
    )
    return {"go_on": True, "offer": coupon is not None}


def cart_email(
    cart: CartRecord,
    person: ContactRecord,
    campaign: CartCampaign,
    step: int,
    coupon: Coupon | None,
    variant: Variant | None,
    now: datetime,
) -> Rendered:
    """Email `step` of the series for this cart as it is now (the preview renders the same)."""
    context = {
        "step": step,
        "items": cart.items or [],
        "item_count": cart.item_count or len(cart.items or []),
        "currency": cart.currency,
        "subtotal": Decimal(cart.subtotal or "0"),
        "restore_url": sending.with_coupon(cart.restore_url or "", campaign, coupon.code if coupon else None),
        "coupon": coupon.model_dump() if coupon else None,
        "valid_hours": campaign.window_hours,
        "valid_until": now + timedelta(hours=campaign.window_hours),
        "hero_image": variant.hero_image if variant else None,
    }
    subject = variant.subject_for(person.locale) if variant else None
    return sending.render_for(campaign, person, campaign.template, context, subject, step=step)


def end_series(cart_id: str, campaign_id: str, execution: str) -> dict[str, Any]:
    """After the last email (and the offer's window): the coupon stops working, and
    the outcome is recorded: bought or ordered during the series, or completed."""
    cart = CartRecord.get(cart_id, consistent_read=True)
    campaign = campaign_store.get(campaign_id, CartCampaign)
    if cart.contact_id:
        coupons.leave_list(campaign, cart.contact_id, f"cart#{cart_id}")
    if not _is_current(cart, execution):
        outcome = "ordered"  # and cancelled: the cart's next series goes on
    else:
        outcome = _ended_by_purchase(cart, _customer(cart)) or "completed"
    journal.record("flow.ended", flow=FLOW, execution=execution, outcome=outcome, cart_id=cart_id)
    return {"outcome": outcome}
