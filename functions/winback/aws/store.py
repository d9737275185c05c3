"""DynamoDB tables, one per concept, through pynamodb.

Table names come from the environment that template.yaml sets on every function;
the defaults are the names the local runtime creates.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import TypeVar

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import DoesNotExist
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from winback.aws.connection import one_client_for_every_table

TABLE_ENV = {
    "OrderRecord": ("ORDERS_TABLE", "winback-orders"),
    "ContactRecord": ("CONTACTS_TABLE", "winback-contacts"),
    "CampaignRecord": ("CAMPAIGNS_TABLE", "winback-campaigns"),
    "ListMember": ("LIST_MEMBERS_TABLE", "winback-list-members"),
    "SendRecord": ("SENDS_TABLE", "winback-sends"),
    "Redemption": ("REDEMPTIONS_TABLE", "winback-redemptions"),
    "CartRecord": ("CARTS_TABLE", "winback-carts"),
    "CustomerRecord": ("CUSTOMERS_TABLE", "winback-customers"),
    "ProductRecord": ("PRODUCTS_TABLE", "winback-products"),
    "CouponCode": ("COUPON_CODES_TABLE", "winback-coupon-codes"),
    "RfmRun": ("RFM_RUNS_TABLE", "winback-rfm-runs"),
    "SuppressionRecord": ("SUPPRESSIONS_TABLE", "winback-suppressions"),
    "SendRateRecord": ("SEND_RATE_TABLE", "winback-send-rate"),
}


M = TypeVar("M", bound=Model)

one_client_for_every_table()


def find[M: Model](model: type[M], key: str | None, range_key: str | None = None) -> M | None:
    """The item under `key` (and `range_key`, for a table that has one), a consistent
    read, or None if there is none."""
    if not key:
        return None
    try:
        return model.get(key, range_key, consistent_read=True)
    except DoesNotExist:
        return None


def condition_failed(error: Exception) -> bool:
    """A conditional write that lost: the expected answer to a duplicate or a race."""
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"


def kept_until(moment: datetime) -> datetime:
    """When an order, a cart or a send-ledger row written at `moment` expires (DynamoDB
    TTL): the stack's RetentionDays after its last change, 730 by default."""
    return moment + timedelta(days=int(os.environ.get("RETENTION_DAYS", "730")))


def _table(model: str) -> str:
    env, default = TABLE_ENV[model]
    return os.environ.get(env, default)


class OrderRecord(Model):
    """An order's payment state and what the email needs. Status only moves forward:
    unpaid -> paid | cancelled, and cancelled -> paid (money received wins)."""

    class Meta:
        table_name = _table("OrderRecord")

    order_id = UnicodeAttribute(hash_key=True)
    status = UnicodeAttribute(null=True)  # unpaid | paid | cancelled
    contact_id = UnicodeAttribute(null=True)
    offer_id = UnicodeAttribute(null=True)
    currency = UnicodeAttribute(null=True)
    total = UnicodeAttribute(null=True)  # decimal string, as received
    pay_url = UnicodeAttribute(null=True)
    items = JSONAttribute(null=True)  # the first SHOWN_ITEMS lines
    item_count = NumberAttribute(null=True)  # all the lines
    cart_id = UnicodeAttribute(null=True)  # the cart it was made from, if the shop said
    timezone = UnicodeAttribute(null=True)  # the contact's when ordering: plans the emails' nights
    created_at = UTCDateTimeAttribute(null=True)
    paid_at = UTCDateTimeAttribute(null=True)
    paid_total = UnicodeAttribute(null=True)
    coupon_code = UnicodeAttribute(null=True)
    cancelled_at = UTCDateTimeAttribute(null=True)
    # The soonest the recovery flow's first wait can end (its start plus the delay): a
    # payment well before it stops the flow without reading the flow's history.
    remind_after = UTCDateTimeAttribute(null=True)
    reminded_at = UTCDateTimeAttribute(null=True)  # when a recovery email went out
    reminded_by = UnicodeAttribute(null=True)  # the campaign that sent it
    # What its payment is owed to (domain/revenue.py): flow, campaign, step, variant,
    # coupon_code, held_out, outcome, paid_at, revenue, currency, revenue_reporting_minor.
    attribution = JSONAttribute(null=True)
    expires_at = TTLAttribute(null=True)  # retention: deleted by DynamoDB after this


class ContactRecord(Model):
    """The latest known contact details; personal data, never logged."""

    class Meta:
        table_name = _table("ContactRecord")

    contact_id = UnicodeAttribute(hash_key=True)
    email = UnicodeAttribute(null=True)
    first_name = UnicodeAttribute(null=True)
    locale = UnicodeAttribute(default="en")
    timezone = UnicodeAttribute(default="UTC")
    marketing_consent = BooleanAttribute(default=False)
    updated_at = UTCDateTimeAttribute(null=True)  # event time of the last update applied


class CouponCodeIndex(GlobalSecondaryIndex["CampaignRecord"]):
    class Meta:
        index_name = "coupon_code-index"
        projection = AllProjection()

    coupon_code = UnicodeAttribute(hash_key=True)


class CampaignRecord(Model):
    """A campaign as applied by `winback campaigns apply` (config is its JSON)."""

    class Meta:
        table_name = _table("CampaignRecord")

    campaign_id = UnicodeAttribute(hash_key=True)
    coupon_code = UnicodeAttribute()
    config = JSONAttribute()
    applied_at = UTCDateTimeAttribute(null=True)
    by_coupon = CouponCodeIndex()


class ListMember(Model):
    """Membership of a coupon-eligible list. `expires_at` is both the end of the
    eligibility window that validation checks and the table's TTL attribute."""

    class Meta:
        table_name = _table("ListMember")

    list_id = UnicodeAttribute(hash_key=True)
    contact_id = UnicodeAttribute(range_key=True)
    order_id = UnicodeAttribute()
    campaign_id = UnicodeAttribute()
    added_at = UTCDateTimeAttribute()
    expires_at = TTLAttribute()


class ContactSendsIndex(GlobalSecondaryIndex["SendRecord"]):
    """A contact's emails by the time they went out (sparse: only sends with a sent_at,
    holdout "would have sent" included): what a payment is attributed to."""

    class Meta:
        index_name = "contact_id-sent_at-index"
        projection = AllProjection()

    contact_id = UnicodeAttribute(hash_key=True)
    sent_at = UTCDateTimeAttribute(range_key=True)


class SendRecord(Model):
    """The send ledger: one row per email that a flow step may send, claimed before
    SES is called, so a retried task never sends twice."""

    class Meta:
        table_name = _table("SendRecord")

    send_id = UnicodeAttribute(hash_key=True)  # flow#campaign#order#step
    status = UnicodeAttribute()  # sending | sent | skipped
    reason = UnicodeAttribute(null=True)  # why skipped
    contact_id = UnicodeAttribute()
    campaign_id = UnicodeAttribute()
    order_id = UnicodeAttribute(null=True)
    template = UnicodeAttribute(null=True)
    subject = UnicodeAttribute(null=True)
    coupon_code = UnicodeAttribute(null=True)
    variant = UnicodeAttribute(null=True)  # the A/B variant this contact got
    message_id = UnicodeAttribute(null=True)
    claimed_at = UTCDateTimeAttribute()
    sent_at = UTCDateTimeAttribute(null=True)
    clicked_at = UTCDateTimeAttribute(null=True)  # the first click SES reported (ClickTracking)
    expires_at = TTLAttribute(null=True)  # retention
    by_contact = ContactSendsIndex()


class Redemption(Model):
    """One coupon use by one contact; the conditional put makes it single-use."""

    class Meta:
        table_name = _table("Redemption")

    redemption_id = UnicodeAttribute(hash_key=True)  # CODE#contact_id
    order_id = UnicodeAttribute()
    discount = UnicodeAttribute()
    redeemed_at = UTCDateTimeAttribute()


class CartRecord(Model):
    """A checkout the shopper started. The latest "Checkout Started" (by event time)
    holds the items; an order for it closes it, and so does emptying it. Status:
    open -> ordered | emptied | bought."""

    class Meta:
        table_name = _table("CartRecord")

    cart_id = UnicodeAttribute(hash_key=True)
    status = UnicodeAttribute()  # open | ordered | emptied | bought
    contact_id = UnicodeAttribute(null=True)
    currency = UnicodeAttribute(null=True)
    subtotal = UnicodeAttribute(null=True)
    restore_url = UnicodeAttribute(null=True)
    items = JSONAttribute(null=True)  # the first SHOWN_ITEMS lines
    item_count = NumberAttribute(null=True)  # all the lines
    started_at = UTCDateTimeAttribute(null=True)  # the first "Checkout Started"
    updated_at = UTCDateTimeAttribute(null=True)  # the event time of the items held
    closed_at = UTCDateTimeAttribute(null=True)
    order_id = UnicodeAttribute(null=True)  # the order that closed it
    series = UnicodeAttribute(null=True)  # the key of its series since an order was cancelled; None: the first
    expires_at = TTLAttribute(null=True)  # retention


class CustomerRecord(Model):
    """What a contact bought and when winback last gave them a coupon: the facts
    every flow checks before an email (bought since? first purchase? cool-down?)."""

    class Meta:
        table_name = _table("CustomerRecord")

    contact_id = UnicodeAttribute(hash_key=True)
    paid_orders = UnicodeSetAttribute(null=True)  # a set, so a duplicate counts once
    last_ordered_at = UTCDateTimeAttribute(null=True)
    last_paid_at = UTCDateTimeAttribute(null=True)
    last_coupon_at = UTCDateTimeAttribute(null=True)
    last_coupon_for = UnicodeAttribute(null=True)  # the send that got it (a retry gets it again)
    # Purchase history (history.py): one "order_id|paid_at|total|currency" per paid order,
    # added as a set so a duplicate counts once; refunded orders by id, in any order.
    purchases = UnicodeSetAttribute(null=True)
    refunded_orders = UnicodeSetAttribute(null=True)
    # Pacing (model/pacing.py): the last marketing emails (ISO times, the newest 20) and the
    # send that took the last slot (its retry goes on).
    marketing_sent = JSONAttribute(null=True)
    marketing_last_at = UTCDateTimeAttribute(null=True)
    marketing_last_for = UnicodeAttribute(null=True)
    # RFM (rfm.py): the segment now, the one before, since when, the scores "RFM" and
    # the inputs they came from, the day they were computed and why they changed.
    segment = UnicodeAttribute(null=True)
    previous_segment = UnicodeAttribute(null=True)
    segment_since = UnicodeAttribute(null=True)  # a UTC day, YYYY-MM-DD
    rfm_scores = UnicodeAttribute(null=True)
    rfm_raw = JSONAttribute(null=True)
    rfm_day = UnicodeAttribute(null=True)
    rfm_cause = UnicodeAttribute(null=True)


class BestSellerIndex(GlobalSecondaryIndex["ProductRecord"]):
    """Sparse: only best sellers carry `best_seller`, ranked by `best_seller_rank`."""

    class Meta:
        index_name = "best_seller-index"
        projection = AllProjection()

    best_seller = UnicodeAttribute(hash_key=True)
    best_seller_rank = NumberAttribute(range_key=True)


class ProductRecord(Model):
    """The merchant's catalogue, loaded by `winback catalogue load`: what the
    confirmation email recommends."""

    class Meta:
        table_name = _table("ProductRecord")

    sku = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    price = UnicodeAttribute()
    currency = UnicodeAttribute()
    url = UnicodeAttribute()
    image_url = UnicodeAttribute(null=True)
    complementary = ListAttribute(of=UnicodeAttribute, null=True)
    best_seller = UnicodeAttribute(null=True)
    best_seller_rank = NumberAttribute(null=True)
    by_best_seller = BestSellerIndex()


class FreeCodeIndex(GlobalSecondaryIndex["CouponCode"]):
    """Sparse: only free codes carry `available_in` (their pool)."""

    class Meta:
        index_name = "available_in-index"
        projection = AllProjection()

    available_in = UnicodeAttribute(hash_key=True)
    code = UnicodeAttribute(range_key=True)


class CouponCode(Model):
    """A unique code of a campaign's pool (pools.py). Besides the codes, the table holds
    two kinds of bookkeeping items: "#COUNT#<pool>" (free codes left) and
    "#FOR#<send id>" (which code a send got, so a retried step gets the same one)."""

    class Meta:
        table_name = _table("CouponCode")

    code = UnicodeAttribute(hash_key=True)
    pool = UnicodeAttribute(null=True)  # the campaign id
    status = UnicodeAttribute(null=True)  # free | assigned
    available_in = UnicodeAttribute(null=True)
    contact_id = UnicodeAttribute(null=True)
    assigned_for = UnicodeAttribute(null=True)  # the send id
    assigned_at = UTCDateTimeAttribute(null=True)
    expires_at = UTCDateTimeAttribute(null=True)
    remaining = NumberAttribute(null=True)  # "#COUNT#" items
    points_to = UnicodeAttribute(null=True)  # "#FOR#" items
    by_pool = FreeCodeIndex()


class RfmRun(Model):
    """One day's RFM job: the histogram of each part of the table, the day's cuts, and
    the baseline marker a history import leaves (rfm.py). Kept a week (TTL)."""

    class Meta:
        table_name = _table("RfmRun")

    run_day = UnicodeAttribute(hash_key=True)  # YYYY-MM-DD, or "baseline"
    part = UnicodeAttribute(range_key=True)  # "measure#<n>", "cuts", "done" or "pending"
    data = JSONAttribute(null=True)
    expires_at = TTLAttribute(null=True)


class SuppressionRecord(Model):
    """An address no marketing goes to (suppression.py), by salted hash, never in clear."""

    class Meta:
        table_name = _table("SuppressionRecord")

    email_key = UnicodeAttribute(hash_key=True)
    reason = UnicodeAttribute(null=True)  # unsubscribed | complained | bounced
    since = UTCDateTimeAttribute(null=True)
    soft_bounces = NumberAttribute(null=True)


class SendRateRecord(Model):
    """How many emails went to SES in one second (sending.py keeps under the SES rate)."""

    class Meta:
        table_name = _table("SendRateRecord")

    second = UnicodeAttribute(hash_key=True)  # the epoch second
    sent = NumberAttribute(null=True)
    expires_at = TTLAttribute(null=True)


ALL_MODELS: tuple[type[Model], ...] = (
    OrderRecord,
    ContactRecord,
    CampaignRecord,
    ListMember,
    SendRecord,
    Redemption,
    CartRecord,
    CustomerRecord,
    ProductRecord,
    CouponCode,
    RfmRun,
    SuppressionRecord,
    SendRateRecord,
)
