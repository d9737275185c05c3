"""Post-purchase: who bought what (every flow asks), the order confirmation and the
second-purchase email, the steps of infra/statemachines/post_purchase.asl.json.

The confirmation is transactional: it goes without marketing consent. The
second-purchase email is marketing: it needs consent and ends if they bought again.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import UpdateError

from winback.aws import campaign_store, flows, journal
from winback.aws.errors import TransientError
from winback.aws.store import ContactRecord, CustomerRecord, OrderRecord, condition_failed, find
from winback.domain import catalogue, coupons, sending
from winback.model import clock
from winback.model.campaigns import Coupon, PostPurchaseCampaign, Variant, choose_campaign

if TYPE_CHECKING:
    from winback.emails.render import Rendered

FLOW = "post_purchase"
POST_PURCHASE_FLOW_ENV = "POST_PURCHASE_STATE_MACHINE_ARN"
SECOND_PURCHASE_HELD_AT_MOST = timedelta(days=7)  # held longer than this, the email is skipped
# The flow's waits before the second-purchase email (infra/statemachines/post_purchase.asl.json):
# stopped in one of them, it leaves nothing to undo (the incentive comes with the email).
WAITS_BEFORE_SECOND_PURCHASE = ("WaitBeforeSecondPurchaseEmail", "WaitUntilAllowedForSecondPurchase")


class OrderNotYetKnown(TransientError):
    """ "Order Paid" came before "Order Created": the confirmation waits for the items."""


def record_order(contact_id: str, at: datetime) -> None:
    """The contact placed an order at `at` (a cart series then stops)."""
    try:
        CustomerRecord(contact_id).update(
            actions=[CustomerRecord.last_ordered_at.set(at)],
            condition=CustomerRecord.last_ordered_at.does_not_exist() | (CustomerRecord.last_ordered_at <= at),
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise


def start(order: OrderRecord, paid_orders: int, paid_at: datetime) -> None:
    """Start the post-purchase flow of a paid order (once per order, by name)."""
    campaign = choose_campaign(campaign_store.all_campaigns(), order.offer_id or "*", flow=FLOW)
    if not isinstance(campaign, PostPurchaseCampaign):
        return
    first_purchase = paid_orders == 1
    due = planned = paid_at + timedelta(hours=campaign.second_purchase.after_hours)
    # The second-purchase email waits for the morning of a night it falls due in, in the zone
    # the order was placed from (unknown if its payment came first: the step holds it then).
    zone = order.timezone if first_purchase else None
    if zone and order.contact_id:
        planned = sending.past_quiet_hours(due, zone, SECOND_PURCHASE_HELD_AT_MOST, order.contact_id)
    payload = {
        "order_id": order.order_id,
        "campaign_id": campaign.id,
        "first_purchase": first_purchase,
        "second_purchase_at": clock.iso(planned),
    }
    execution = flows.start(POST_PURCHASE_FLOW_ENV, "purchase", order.order_id, payload)
    if execution:
        journal.record("flow.started", flow=FLOW, campaign=campaign.id, execution=execution, order_id=order.order_id)
        if order.contact_id:  # noted only if the night moved it
            sending.note_quiet_hours(due, planned, order.contact_id, campaign.id, order_id=order.order_id)


def end_second_purchase_wait(first_order_id: str) -> None:
    """The contact bought a second time: the flow of their first order, if it waits to
    send the second-purchase email, stops now rather than wake only to end (its step
    ends it otherwise, as when Step Functions cannot say in time)."""
    stop = flows.stop_if_still_in(
        POST_PURCHASE_FLOW_ENV, "purchase", first_order_id, WAITS_BEFORE_SECOND_PURCHASE, "bought again"
    )
    if stop.found == flows.STOPPED:
        _end(flows.execution_arn(POST_PURCHASE_FLOW_ENV, "purchase", first_order_id), first_order_id, "bought_again")


def _end(execution: str, order_id: str, outcome: str) -> dict[str, Any]:
    journal.record("flow.ended", flow=FLOW, execution=execution, outcome=outcome, order_id=order_id)
    return {"outcome": outcome}


def send_confirmation(order_id: str, campaign_id: str, execution: str, first_purchase: bool) -> dict[str, Any]:
    """The order confirmation: summary, link, complementary products, best sellers."""
    order = OrderRecord.get(order_id, consistent_read=True)
    if order.created_at is None:
        raise OrderNotYetKnown(f"order {order_id} is paid but its details have not arrived yet")
    campaign = campaign_store.get(campaign_id, PostPurchaseCampaign)
    person = sending.contact(order.contact_id)
    reason = sending.cannot_email(person, marketing=False)  # transactional: an address that works is enough
    if reason:
        journal.record("email.skipped", contact_id=order.contact_id, campaign=campaign.id, reason=reason)
        return _end(execution, order_id, f"skipped_{reason}")
    assert person is not None
    items = order.items or []
    recommended = catalogue.recommendations([item["sku"] for item in items])
    content = confirmation_email(order, person, campaign, *recommended)
    sending.send_once(
        f"{FLOW}#{order_id}#confirmation",
        person=person,
        campaign=campaign,
        template=campaign.template,
        content=content,
        order_id=order_id,
        marketing=False,
    )
    if not first_purchase:
        return _end(execution, order_id, "completed")  # only first-time buyers get the second-purchase email
    return {"outcome": None}


def confirmation_email(
    order: OrderRecord,
    person: ContactRecord,
    campaign: PostPurchaseCampaign,
    complementary: list[dict[str, Any]],
    best_sellers: list[dict[str, Any]],
) -> Rendered:
    """The order confirmation (the preview renders the same)."""
    context = {
        "order_id": order.order_id,
        "items": order.items or [],
        "item_count": order.item_count or len(order.items or []),
        "currency": order.currency,
        "total": Decimal(order.paid_total or order.total or "0"),
        "order_url": campaign.order_url.replace("{order_id}", order.order_id),
        "complementary": complementary,
        "best_sellers": best_sellers,
        "email": person.email,
    }
    return sending.render_for(campaign, person, campaign.template, context)


def second_purchase_email(
    order: OrderRecord,
    person: ContactRecord,
    campaign: PostPurchaseCampaign,
    coupon: Coupon | None,
    variant: Variant | None,
    now: datetime,
) -> Rendered:
    """The second-purchase email, with the incentive unless the cool-down withheld it
    (the preview renders the same)."""
    context = {
        "currency": order.currency,
        "coupon": coupon.model_dump() if coupon else None,
        "valid_hours": campaign.window_hours,
        "valid_until": now + timedelta(hours=campaign.window_hours),
        "shop_url": sending.with_coupon(campaign.shop_url, campaign, coupon.code if coupon else None),
        "hero_image": variant.hero_image if variant else None,
    }
    subject = variant.subject_for(person.locale) if variant else None
    return sending.render_for(campaign, person, campaign.second_purchase_template, context, subject)


def send_second_purchase(order_id: str, campaign_id: str, execution: str, first_purchase: bool) -> dict[str, Any]:
    """After the wait: a first-time buyer who has not bought again gets the incentive."""
    order = OrderRecord.get(order_id, consistent_read=True)
    campaign = campaign_store.get(campaign_id, PostPurchaseCampaign)
    contact_id = order.contact_id
    assert contact_id is not None
    customer = find(CustomerRecord, contact_id)
    if customer is not None and len(customer.paid_orders or ()) > 1:
        return _end(execution, order_id, "bought_again")
    person = sending.contact(contact_id)
    reason = sending.cannot_email(person)
    if reason:
        journal.record("email.skipped", contact_id=contact_id, campaign=campaign.id, reason=reason, order_id=order_id)
        return _end(execution, order_id, f"skipped_{reason}")
    assert person is not None
    send_id = f"{FLOW}#{order_id}#second_purchase"
    held = sending.hold(person, campaign, send_id, SECOND_PURCHASE_HELD_AT_MOST, customer)
    if held and "skip" in held:
        return _end(execution, order_id, f"skipped_{held['skip']}")
    if held:
        return {"outcome": None, **held}
    now = clock.now()
    coupon = None
    code = coupons.offer(
        contact_id, campaign, send_id, f"purchase#{order_id}", now, order.currency or "", order_id=order_id
    )
    if code:
        coupon = campaign.coupon.model_copy(update={"code": code})
    variant = sending.variant_for(contact_id, campaign, campaign.second_purchase)
    content = second_purchase_email(order, person, campaign, coupon, variant, now)
    template = campaign.second_purchase_template
    sending.send_once(
        send_id,
        person=person,
        campaign=campaign,
        template=template,
        content=content,
        coupon_code=coupon.code if coupon else None,
        variant=variant.name if variant else None,
        order_id=order_id,
    )
    return _end(execution, order_id, "completed")
