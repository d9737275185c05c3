"""Ingestion: events per second through the order-events function, batches of 10.

    python bench/ingestion.py [--events 3000]

Puts order events on the local runtime's bus (through the rule and the queue, as on
AWS), 10 to a batch, and prints events per second through the ingestion handler and
the AWS calls it makes per event (target: at most 3). The mix: Order Created, Order
Paid for 40% of them, 10% duplicates and 2% invalid events.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, datetime
from typing import Any

from winback.model.campaigns import default_campaigns
from winback_local.meter import Meter
from winback_local.runtime import LocalRuntime

START = datetime(2026, 3, 2, tzinfo=UTC)
TARGET_CALLS = 3


def events(count: int, seed: int = 11) -> list[tuple[str, dict[str, Any], str]]:
    rng = random.Random(seed)
    found: list[tuple[str, dict[str, Any], str]] = []
    n = 0
    while len(found) < count:
        n += 1
        order, contact = f"o-{n}", f"c-{n}"
        created: dict[str, Any] = {
            "order_id": order,
            "offer_id": "course",
            "currency": "EUR",
            "total": "49.00",
            "contact": {"id": contact, "email": f"{contact}@example.com", "marketing_consent": True},
            "items": [{"sku": "s", "name": "Course", "unit_price": "49.00", "quantity": 1}],
            "pay_url": f"https://shop.example.com/pay/{order}",
        }
        if rng.random() < 0.02:
            created["contact"]["email"] = "not-an-email"
        found.append(("Order Created", created, f"created-{n}"))
        if rng.random() < 0.10:
            found.append(("Order Created", created, f"created-{n}"))  # the same event again
        if rng.random() < 0.40:
            paid = {"order_id": order, "contact_id": contact, "total": "49.00", "currency": "EUR"}
            found.append(("Order Paid", paid, f"paid-{n}"))
    return found[:count]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument(
        "--flow", action="append", choices=["unpaid_order", "abandoned_cart", "post_purchase"], help="default: all"
    )
    args = parser.parse_args()
    plan = events(args.events)
    campaigns = [c for c in default_campaigns() if not args.flow or c.flow in args.flow]
    with LocalRuntime(START, campaigns) as runtime:
        meter = Meter().attach(runtime)
        started = time.perf_counter()
        for first in range(0, len(plan), 10):
            batch = plan[first : first + 10]
            runtime.put_events([runtime.envelope(kind, detail, event_id) for kind, detail, event_id in batch])
        elapsed = time.perf_counter() - started
        meter.detach()
        rejected = sum(1 for e in runtime.timeline if e["type"] == "event.rejected")
    calls = meter.calls["OrderEventsFunction"]
    per_event = sum(calls.values()) / len(plan)
    print(f"events              {len(plan)} ({rejected} rejected), batches of 10")
    print(f"handler invocations {meter.invocations['OrderEventsFunction']}")
    print(f"events per second   {len(plan) / elapsed:.0f}  ({elapsed:.1f} s, includes the local queue and bus)")
    print(
        f"AWS calls per event {per_event:.2f}  (target {TARGET_CALLS}): "
        + ", ".join(f"{op} {n / len(plan):.2f}" for op, n in calls.most_common())
    )
    print("target              " + ("met" if per_event <= TARGET_CALLS else "NOT met"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
