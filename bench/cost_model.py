"""What winback costs on AWS per 1,000 orders and per 1,000 abandoned carts, counted on the
local runtime.

    python bench/cost_model.py [--orders 2000] [--carts 2000] [--json bench/results/cost.json]

Two runs, each long enough (16 virtual days) for every flow to end: N orders (40 % pay
within the 30-minute delay, 20 % after the reminder, 40 % never; a paid order gets its
confirmation, a first-time buyer the second-purchase email), and N abandoned carts (30 %
buy within the hour, 20 % after an email, 50 % never). Each counts Step Functions state
transitions (states entered and task retries: Step Functions bills each retry as a
transition), Lambda invocations and duration, DynamoDB reads and writes, SES emails, SQS
requests and EventBridge events, prices them at the list prices below, and prints them
per 1,000, with the largest cost and what would halve it. Every default campaign runs
but win-back: it and the daily RFM job it needs cost per contact and per day, not per
order (docs/rfm.md prices them).

Target: under $0.30 per 1,000 orders, all in.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from unpaid_orders import START, scenario

from winback.model.campaigns import default_campaigns
from winback_local.meter import OUTSIDE, Meter
from winback_local.runtime import LocalRuntime
from winback_local.simulate import Scenario, Simulation

# us-east-1, on-demand, as published on the AWS pricing pages; recorded 2026-11-22.
PRICES_DATE = "2026-11-22"
SFN_PER_TRANSITION = 0.025 / 1000  # Step Functions Standard
LAMBDA_PER_REQUEST = 0.20 / 1e6
LAMBDA_PER_GB_SECOND = 0.0000133334  # arm64
LAMBDA_MEMORY_GB = 256 / 1024
DDB_PER_WRITE_UNIT = 0.625 / 1e6  # on-demand
DDB_PER_READ_UNIT = 0.125 / 1e6
SES_PER_EMAIL = 0.10 / 1000
SQS_PER_REQUEST = 0.40 / 1e6
EVENTBRIDGE_PER_EVENT = 1.00 / 1e6
# On Lambda every AWS call is a network round trip the function waits for; here it is
# an in-process moto call. Billed time = time measured here + this per call.
MS_PER_AWS_CALL = 10
HORIZON = timedelta(days=16)  # the last second-purchase email goes 14 days after a payment
TARGET_PER_1000_ORDERS = 0.30
ITEMS = (
    "Step Functions transitions",
    "Lambda requests",
    "Lambda GB-seconds",
    "DynamoDB writes",
    "DynamoDB reads",
    "SES emails",
    "SQS requests",
    "EventBridge events",
)
PRICE = dict(
    zip(
        ITEMS,
        (
            SFN_PER_TRANSITION,
            LAMBDA_PER_REQUEST,
            LAMBDA_PER_GB_SECOND,
            DDB_PER_WRITE_UNIT,
            DDB_PER_READ_UNIT,
            SES_PER_EMAIL,
            SQS_PER_REQUEST,
            EVENTBRIDGE_PER_EVENT,
        ),
        strict=True,
    )
)


class MeteredSimulation(Simulation):
    """The simulation with a meter on the runtime it builds."""

    meter: Meter
    runtime: LocalRuntime

    def _schedule(self, runtime: LocalRuntime) -> None:
        self.runtime = runtime
        self.meter = Meter().attach(runtime)
        super()._schedule(runtime)


def cart_scenario(carts: int, seed: int) -> Scenario:
    """`carts` checkouts over 12 hours: 30 % bought within the hour, 20 % after an email
    (1 to 47 hours later), 50 % never."""
    rng = random.Random(seed)
    events: list[dict[str, Any]] = []
    for n in range(carts):
        started = START + timedelta(seconds=rng.randrange(12 * 3600))
        cart_id, contact_id, total = f"cart-{n}", f"c-{n}", f"{rng.randrange(10, 300)}.00"
        contact = {"id": contact_id, "email": f"{contact_id}@example.com", "marketing_consent": True}
        items = [{"sku": "s", "name": "Course", "unit_price": total, "quantity": 1}]
        cart = {"cart_id": cart_id, "contact": contact, "items": items, "currency": "EUR", "subtotal": total}
        cart["restore_url"] = f"https://shop.example.com/cart/{cart_id}"
        events.append({"at": started, "detail-type": "Checkout Started", "detail": cart})
        roll = rng.random()
        if roll >= 0.5:
            continue
        bought = started + (
            timedelta(minutes=rng.randrange(5, 55)) if roll < 0.3 else timedelta(hours=rng.randrange(1, 47))
        )
        order = {"order_id": f"o-{n}", "cart_id": cart_id, "contact": contact, "items": items, "currency": "EUR"}
        order |= {"total": total, "offer_id": "course", "pay_url": f"https://shop.example.com/pay/o-{n}"}
        events.append({"at": bought, "detail-type": "Order Created", "detail": order})
        paid = {"order_id": f"o-{n}", "contact_id": contact_id, "total": total, "currency": "EUR"}
        events.append({"at": bought + timedelta(minutes=2), "detail-type": "Order Paid", "detail": paid})
    return Scenario.model_validate({"start": START, "until": START + HORIZON, "events": events})


@dataclass
class Usage:
    """What one run would be billed for, counted."""

    units: int  # orders or carts
    counts: dict[str, float]

    def cost(self, item: str) -> float:
        return self.counts[item] * PRICE[item]

    def per_1000(self, item: str) -> tuple[float, float]:
        """(count, dollars) per 1,000 units."""
        scale = 1000 / self.units
        return self.counts[item] * scale, self.cost(item) * scale

    @property
    def total_per_1000(self) -> float:
        return sum(self.per_1000(item)[1] for item in ITEMS)


def metered(plan: Scenario, units: int) -> Usage:
    # Win-back and the daily RFM job it needs cost per contact and per day, not per order:
    # docs/rfm.md prices them.
    campaigns = [c for c in default_campaigns() if c.flow != "winback"]
    simulation = MeteredSimulation(plan, campaigns)
    with tempfile.TemporaryDirectory() as out:
        report = simulation.run(Path(out))
    if report["events_rejected"] or report["flows_failed"]:  # a cost counted on failures would mislead
        raise SystemExit(
            f"the scenario did not run cleanly: {report['events_rejected']} events rejected, "
            f"{report['flows_failed']} flows failed"
        )
    meter, runtime = simulation.meter, simulation.runtime
    in_functions = sum(sum(c.values()) for f, c in meter.calls.items() if f != OUTSIDE)
    gb_seconds = (sum(meter.billed_ms.values()) + MS_PER_AWS_CALL * in_functions) / 1000 * LAMBDA_MEMORY_GB
    events = report["events_in"]
    batches = meter.invocations.get("OrderEventsFunction", 0)
    counts = {
        "Step Functions transitions": sum(e.transitions for e in runtime.ended),
        "Lambda requests": sum(meter.invocations.values()),
        "Lambda GB-seconds": gb_seconds,
        "DynamoDB writes": sum(meter.count(f"dynamodb.{op}") for op in ("PutItem", "UpdateItem", "DeleteItem")),
        "DynamoDB reads": sum(meter.count(f"dynamodb.{op}") for op in ("GetItem", "Query", "Scan", "BatchGetItem")),
        "SES emails": report["emails_sent"],
        "SQS requests": events + 2 * batches,  # EventBridge's send per event; the event source's receive and delete
        "EventBridge events": events + meter.count("events.PutEvents"),
    }
    return Usage(units, counts)


def table(orders: Usage, carts: Usage) -> str:
    lines = [f"{'per 1,000':28s} {'orders':>10s} {'cost':>9s} {'carts':>10s} {'cost':>9s}"]
    for item in ITEMS:
        (o_count, o_cost), (c_count, c_cost) = orders.per_1000(item), carts.per_1000(item)
        lines.append(f"{item:28s} {o_count:10,.0f} ${o_cost:8.4f} {c_count:10,.0f} ${c_cost:8.4f}")
    lines.append(f"{'total':28s} {'':10s} ${orders.total_per_1000:8.4f} {'':10s} ${carts.total_per_1000:8.4f}")
    return "\n".join(lines)


HALVING = (
    "Step Functions Standard bills every state entered and every task retry: {per_order:.1f} an order here. "
    "They are the unpaid-order flow's wait, reminder (the coupon offer and its email, one step), check, "
    "eligibility wait and end (a payment during the first wait stops it there), and the post-purchase "
    "flow's confirmation, first-purchase check, wait, second-purchase email, check and end. One more change "
    "would take off about 1.2: the order confirmation sent outside the post-purchase flow, which would then "
    "start at its wait, for a first-time buyer only. Sent by the order-events function, a burst of "
    "confirmations would meet SES's send rate within the queue's five tries: it needs a sending path of its "
    "own. Even then $0.30 per 1,000 orders is out of reach while Standard workflows hold the waits: the "
    "other lines come to ${rest:.3f} (SES's emails, the product itself, ${ses:.3f}), which leaves "
    "{room:.1f} transitions an order; the flows need at least {least:.1f} in this mix (${least_total:.3f} per "
    "1,000 orders) even with the confirmation outside the flow and the coupon list's entries expiring by "
    "themselves: an order paid within the delay 1 (its wait, stopped), one reminded 4 (the wait, the "
    "reminder, the check through which a held email waits for the contact's next allowed moment, the end), "
    "a first purchase 4 (the wait, the second-purchase email, its check, the end). Meeting it would take the "
    "waits out of Standard workflows, to EventBridge Scheduler's one-time schedules ($1 per million): a "
    "change of the stack's choice."
)
# The fewest states each path above enters on Standard with a frequency cap: every email step
# keeps the check through which a held email goes back to wait. Each paid order in the
# scenario is its contact's first, so each gets the second-purchase email.
LEAST_PAID_IN_DELAY, LEAST_REMINDED, LEAST_FIRST_PURCHASE = 1, 4, 4


def halving(orders: Usage, mix: dict[str, int]) -> str:
    """What the transitions are, what would take them down, and why not below the target:
    the figures from this run (`mix`: how the scenario's orders end)."""
    transitions = orders.per_1000("Step Functions transitions")
    rest = orders.total_per_1000 - transitions[1]
    paid = mix["pay_before_delay"] + mix["pay_after_email"]
    least = (
        mix["pay_before_delay"] * LEAST_PAID_IN_DELAY
        + (mix["pay_after_email"] + mix["never_pay"]) * LEAST_REMINDED
        + paid * LEAST_FIRST_PURCHASE
    ) / sum(mix.values())
    return HALVING.format(
        per_order=transitions[0] / 1000,
        rest=rest,
        ses=orders.per_1000("SES emails")[1],
        room=(TARGET_PER_1000_ORDERS - rest) / SFN_PER_TRANSITION / 1000,
        least=least,
        least_total=rest + least * 1000 * SFN_PER_TRANSITION,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--carts", type=int, default=2000)
    parser.add_argument("--json", type=Path, help="write the figures here (bench/readme.py reads them)")
    args = parser.parse_args()
    plan, mix = scenario(args.orders, seed=7)
    orders = metered(plan.model_copy(update={"until": plan.start + HORIZON}), args.orders)
    carts = metered(cart_scenario(args.carts, seed=11), args.carts)
    print(
        f"{args.orders} orders and {args.carts} carts, every default campaign but win-back; "
        f"prices: us-east-1 on-demand, recorded {PRICES_DATE}\n"
    )
    print(table(orders, carts))
    largest = max(ITEMS, key=lambda item: orders.per_1000(item)[1])
    share = orders.per_1000(largest)[1] / orders.total_per_1000
    print(f"\nlargest cost per order: {largest}, {share:.0%} of it")
    why = halving(orders, mix)
    print(f"to halve it: {why}")
    verdict = "met" if orders.total_per_1000 <= TARGET_PER_1000_ORDERS else "NOT met"
    print(f"cost per 1,000 orders ${orders.total_per_1000:.3f} (target ${TARGET_PER_1000_ORDERS:.2f}: {verdict})")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        figures = {
            "date": date.today().isoformat(),
            "prices_date": PRICES_DATE,
            "halving": why,
            "orders": args.orders,
            "carts": args.carts,
            "per_1000": {item: {"orders": orders.per_1000(item), "carts": carts.per_1000(item)} for item in ITEMS},
            "total_per_1000": {"orders": orders.total_per_1000, "carts": carts.total_per_1000},
            "largest": {"item": largest, "share": share},
            "target_per_1000_orders": TARGET_PER_1000_ORDERS,
        }
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
