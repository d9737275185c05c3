"""Simulate N orders over two virtual days on the local runtime; print orders/s.

    python bench/unpaid_orders.py [--orders 1000] [--seed 7] [--only-unpaid]

Every default campaign runs (all flows on: unpaid-order recovery, confirmation and
second purchase, abandoned carts, the daily RFM job and win-back); --only-unpaid keeps
the unpaid-order flow alone. No coupon codes are loaded, so the win-back offers (about
a quarter of the contacts enter "Can't lose them" on the second night: one order each,
R decides) end as `skipped_no_coupon`, as they would on AWS with an empty pool.

A mix as the cost model assumes: 40% pay within the 30-minute delay, 20% pay after
the coupon email, 40% never pay. Orders arrive over the first 12 hours. Prints the
funnel, wall time, orders per second and how many times faster than real time the
run went; checks that every order ended the way its script says.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from winback.model.campaigns import default_campaigns
from winback_local.simulate import Scenario, Simulation

START = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
UNTIL = START + timedelta(days=2)


def scenario(orders: int, seed: int) -> tuple[Scenario, dict[str, int]]:
    rng = random.Random(seed)
    events: list[dict[str, Any]] = []
    mix = {"pay_before_delay": 0, "pay_after_email": 0, "never_pay": 0}
    for n in range(orders):
        created = START + timedelta(seconds=rng.randrange(12 * 3600))
        order_id, contact_id = f"o-{n}", f"c-{n}"
        total = f"{rng.randrange(10, 300)}.00"
        events.append(
            {
                "at": created,
                "detail-type": "Order Created",
                "detail": {
                    "order_id": order_id,
                    "offer_id": "course",
                    "contact": {"id": contact_id, "email": f"{contact_id}@example.com", "marketing_consent": True},
                    "items": [{"sku": "s", "name": "Course", "unit_price": total, "quantity": 1}],
                    "currency": "EUR",
                    "total": total,
                    "pay_url": f"https://shop.example.com/pay/{order_id}",
                },
            }
        )
        roll = rng.random()
        if roll < 0.4:
            mix["pay_before_delay"] += 1
            paid = created + timedelta(minutes=rng.randrange(1, 29))
        elif roll < 0.6:
            mix["pay_after_email"] += 1
            paid = created + timedelta(minutes=rng.randrange(31, 23 * 60))
        else:
            mix["never_pay"] += 1
            continue
        detail = {"order_id": order_id, "contact_id": contact_id, "total": total, "currency": "EUR"}
        events.append({"at": paid, "detail-type": "Order Paid", "detail": detail})
    return Scenario.model_validate({"start": START, "until": UNTIL, "events": events}), mix


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--only-unpaid", action="store_true", help="the unpaid-order campaign alone")
    args = parser.parse_args()
    plan, mix = scenario(args.orders, args.seed)
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        campaigns = [c for c in default_campaigns() if c.flow == "unpaid_order" or not args.only_unpaid]
        report = Simulation(plan, campaigns, progress=None).run(Path(out))
        reminders = Counter(
            entry["type"]
            for line in (Path(out) / "timeline.jsonl").open(encoding="utf-8")
            for entry in [json.loads(line)]
            if entry.get("template") == "unpaid_order_coupon"
        )
        elapsed = time.perf_counter() - started
    virtual = (UNTIL - START).total_seconds()
    print(f"orders              {args.orders}  (mix: {mix})")
    print(f"events in           {report['events_in']}  rejected {report['events_rejected']}")
    print(f"flows started       {report['flows_started']}  ended {report['flows_ended']}")
    print(
        f"emails sent         {report['emails_sent']}  ({reminders['email.sent']} unpaid-order reminders, "
        f"{reminders['email.held_out']} held out)"
    )
    print(f"orders recovered    {report['orders_recovered']}  revenue {report['revenue_recovered']}")
    print(f"wall time           {elapsed:.1f} s for {virtual / 3600:.0f} virtual hours")
    print(f"peak memory         {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    print(f"orders per second   {args.orders / elapsed:.0f}")
    print(f"virtual/real ratio  {virtual / elapsed:,.0f}x")
    expected_emails = mix["pay_after_email"] + mix["never_pay"]
    # A held-out contact's reminder is not sent; one held by quiet hours may meet the payment first.
    reminded = reminders["email.sent"] + reminders["email.held_out"]
    ok = mix["never_pay"] <= reminded <= expected_emails and report["flows_failed"] == 0
    print("check               " + ("every order ended as scripted" if ok else "MISMATCH: see the figures above"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
