"""Helpers for the RFM and win-back tests: a shop with years of orders behind it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal

from conftest import T0, Harness
from winback.aws.store import ContactRecord
from winback.domain import history, pools
from winback.model.campaigns import Campaign, WinBackCampaign, default_campaigns
from winback_local.runtime import LocalRuntime


def winback_campaign(**overrides: object) -> WinBackCampaign:
    base = next(c for c in default_campaigns() if isinstance(c, WinBackCampaign))
    return base.model_copy(update={"holdout_percent": 0, **overrides})  # see conftest.no_holdout


def customer(contact_id: str, orders: list[tuple[datetime, str]], consent: bool = True, email: str | None = "") -> None:
    """A contact and their past paid orders (when, total in EUR)."""
    ContactRecord(
        contact_id,
        email=f"{contact_id}@example.com" if email == "" else email,
        first_name="Ana",
        locale="en",
        marketing_consent=consent,
        updated_at=T0 - timedelta(days=800),
    ).save()
    for n, (when, total) in enumerate(orders):
        history.record_paid(contact_id, f"{contact_id}-old-{n}", when, Decimal(total), "EUR")


def seed_lapsed(campaigns: list[Campaign], codes: int = 5) -> None:
    """Ten customers with their past orders, and a pool of `codes` codes per pool campaign.

    T has three large orders, the last 300 days ago: R 2 (two customers, O1 and O2, are
    older), F 5, M 5, "At risk". Once O1 and O2 buy again (`old_customers_buy`), T is the
    oldest: R 1, "Can't lose them". The N customers bought once, recently, for little.
    """
    days = lambda n: T0 - timedelta(days=n)  # noqa: E731
    customer("T", [(days(500), "400.00"), (days(400), "500.00"), (days(300), "600.00")])
    customer("O1", [(days(600), "20.00")])
    customer("O2", [(days(650), "25.00")])
    for n in range(7):
        customer(f"N{n}", [(days(10 + n), f"{30 + n}.00")])
    for campaign in campaigns:
        if campaign.coupon.pool:
            pools.add_codes(campaign.id, [pools.generate_code() for _ in range(codes)])


def old_customers_buy(stack: Harness, when: datetime) -> None:
    from conftest import order_created, order_paid

    for who in ("O1", "O2"):
        stack.send("Order Created", order_created(f"o-{who}", who, "20.00", marketing_consent=False), when=when)
        stack.send("Order Paid", order_paid(f"o-{who}", who, "20.00"))


@contextmanager
def lapsed_shop(campaigns: list[Campaign] | None = None, codes: int = 5) -> Iterator[Harness]:
    """The win-back campaign (only contacts with 2+ orders, so T alone) over `seed_lapsed`'s
    customers, the daily RFM job on."""
    chosen = campaigns or [winback_campaign(min_orders=2)]
    with LocalRuntime(T0, chosen, daily_jobs=True) as runtime:
        seed_lapsed(chosen, codes)
        yield Harness(runtime)
