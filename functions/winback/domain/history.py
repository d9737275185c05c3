"""Each contact's purchase history: what RFM and the win-back flow read.

Every paid order adds one entry "order_id|paid_at|total|currency" to the contact's
`purchases` set (and, in the same write, its id to `paid_orders`), and a refund (a
cancellation after payment) adds the order id to `refunded_orders`. Both are set
additions: a duplicated event adds nothing, and the history is right whatever order
the events come in (a refund before its payment included). The aggregate (first and
last purchase, orders, revenue in the reporting currency's minor units) is computed
from the sets when it is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.update import Action

from winback.aws.store import CustomerRecord, condition_failed
from winback.model import clock
from winback.model.money import in_reporting_minor, reporting_currency
from winback.model.rfm import Purchase

SEPARATOR = "|"


def entry(order_id: str, paid_at: datetime, total: Decimal, currency: str) -> str:
    return SEPARATOR.join((order_id, clock.iso(paid_at), str(total), currency))


def record_paid(contact_id: str, order_id: str, paid_at: datetime, total: Decimal, currency: str) -> set[str]:
    """Adds the payment to the history, to the set of paid orders and, unless a newer
    payment is already there, as the last payment (a cart series stops on it), in one
    write. Returns the orders of theirs that are paid: a set, so a duplicate counts once."""
    customer = CustomerRecord(contact_id)
    added: list[Action] = [
        CustomerRecord.purchases.add({entry(order_id, paid_at, total, currency)}),
        CustomerRecord.paid_orders.add({order_id}),
    ]
    try:
        customer.update(
            actions=[*added, CustomerRecord.last_paid_at.set(paid_at)],
            condition=CustomerRecord.last_paid_at.does_not_exist() | (CustomerRecord.last_paid_at <= paid_at),
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise
        customer.update(actions=added)  # an older payment, heard late
    return set(customer.paid_orders or ())


def record_refund(contact_id: str, order_id: str) -> None:
    CustomerRecord(contact_id).update(actions=[CustomerRecord.refunded_orders.add({order_id})])


def purchases(customer: CustomerRecord | None) -> list[Purchase]:
    """The paid, unrefunded orders, one per order id (the earliest payment if two
    entries name the same order)."""
    if customer is None:
        return []
    refunded = customer.refunded_orders or set()
    found: dict[str, Purchase] = {}
    for raw in customer.purchases or ():
        order_id, paid_at, total, currency = raw.rsplit(SEPARATOR, 3)
        if order_id in refunded:
            continue
        when = datetime.fromisoformat(paid_at.replace("Z", "+00:00")).astimezone(UTC)
        purchase = Purchase(order_id, when, in_reporting_minor(Decimal(total), currency))
        if order_id not in found or when < found[order_id].paid_at:
            found[order_id] = purchase
    return sorted(found.values(), key=lambda p: p.paid_at)


@dataclass(frozen=True)
class Summary:
    orders: int
    first_paid_at: datetime | None
    last_paid_at: datetime | None
    revenue_minor: int  # in the reporting currency; orders without a rate left out
    currency: str
    without_rate: int  # orders whose currency has no rate


def summary(customer: CustomerRecord | None) -> Summary:
    bought = purchases(customer)
    amounts = [p.amount_minor for p in bought if p.amount_minor is not None]
    return Summary(
        orders=len(bought),
        first_paid_at=bought[0].paid_at if bought else None,
        last_paid_at=bought[-1].paid_at if bought else None,
        revenue_minor=sum(amounts),
        currency=reporting_currency(),
        without_rate=len(bought) - len(amounts),
    )


def bought_since(customer: CustomerRecord | None, since: datetime) -> bool:
    return any(p.paid_at >= since for p in purchases(customer))
