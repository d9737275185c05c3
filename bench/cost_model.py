"""Cost per flow: what 10,000 unpaid orders cost on AWS, counted on the local runtime.

    python bench/cost_model.py [--orders 10000]

Simulates the orders (40% pay within the 30-minute delay, 20% after the email, 40%
never) and counts, per flow outcome, the state transitions and Lambda invocations;
per function, invocations, duration and AWS API calls; in all, DynamoDB read and write
units, SES messages, SQS requests and EventBridge events. Multiplies them by the
published prices below and prints the cost per 1,000 orders and per recovered order.

Targets: at most 8 state transitions on the longest unpaid-order path, at most 3 when
the order is paid before the delay ends, at most $0.30 per 1,000 orders with SES.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path

from unpaid_orders import scenario

from winback.model.campaigns import default_campaigns
from winback_local.meter import OUTSIDE, Meter
from winback_local.runtime import LocalRuntime
from winback_local.simulate import Simulation

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

TARGET_LONGEST, TARGET_PAID_EARLY, TARGET_PER_1000 = 8, 3, 0.30


class MeteredSimulation(Simulation):
    """The simulation with a meter on the runtime it builds."""

    meter: Meter
    runtime: LocalRuntime

    def _schedule(self, runtime: LocalRuntime) -> None:
        self.runtime = runtime
        self.meter = Meter().attach(runtime)
        super()._schedule(runtime)


def outcome_of_each_execution(timeline: list[dict]) -> dict[str, str]:
    emailed = {e["order_id"] for e in timeline if e["type"] == "email.sent" and e["template"] == "unpaid_order_coupon"}
    found = {}
    for entry in timeline:
        if entry["type"] == "flow.ended":
            outcome = entry["outcome"]
            if entry.get("flow") == "post_purchase":
                outcome = f"post-purchase {outcome}"
            elif outcome == "paid":
                outcome = "paid after the email" if entry["order_id"] in emailed else "paid before the delay"
            found[entry["execution"].rsplit(":", 1)[-1]] = outcome
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument(
        "--flow", action="append", choices=["unpaid_order", "abandoned_cart", "post_purchase"], help="default: all"
    )
    args = parser.parse_args()
    plan, _ = scenario(args.orders, seed=7)
    # long enough for every flow to end: the last order arrives at 12 h, its coupon window ends
    # 24.5 h later, and a first-time buyer's second-purchase email goes 14 days after payment
    plan = plan.model_copy(update={"until": plan.start + timedelta(days=16)})
    campaigns = [c for c in default_campaigns() if not args.flow or c.flow in args.flow]
    simulation = MeteredSimulation(plan, campaigns)
    with tempfile.TemporaryDirectory() as out:
        report = simulation.run(Path(out))
    meter, runtime = simulation.meter, simulation.runtime
    timeline = runtime.timeline

    outcomes = outcome_of_each_execution(timeline)
    by_outcome: dict[str, list] = defaultdict(list)
    for ended in runtime.ended:
        by_outcome[outcomes.get(ended.name, ended.status)].append(ended)
    print(f"{args.orders} orders; prices: us-east-1 on-demand, recorded {PRICES_DATE}\n")
    print(f"{'flow outcome':24s} {'flows':>7s} {'transitions':>12s} {'max':>5s} {'tasks':>6s}")
    for outcome, rows in sorted(by_outcome.items()):
        avg = sum(r.transitions for r in rows) / len(rows)
        print(
            f"{outcome:24s} {len(rows):7d} {avg:12.2f} {max(r.transitions for r in rows):5d} "
            f"{sum(r.tasks for r in rows) / len(rows):6.2f}"
        )

    print(f"\n{'function':30s} {'invocations':>11s} {'ms here':>9s} {'AWS calls':>10s}  calls by operation")
    for function in sorted(set(meter.invocations) | set(meter.calls)):
        calls = meter.calls[function]
        ops = ", ".join(f"{op} {n}" for op, n in calls.most_common())
        print(
            f"{function:30s} {meter.invocations[function]:11d} {meter.billed_ms[function]:9d} "
            f"{sum(calls.values()):10d}  {ops}"
        )

    transitions = sum(r.transitions for r in runtime.ended)
    invocations = sum(meter.invocations.values())
    in_functions = sum(sum(c.values()) for f, c in meter.calls.items() if f != OUTSIDE)
    gb_seconds = (sum(meter.billed_ms.values()) + MS_PER_AWS_CALL * in_functions) / 1000 * LAMBDA_MEMORY_GB
    writes = meter.count("dynamodb.PutItem") + meter.count("dynamodb.UpdateItem") + meter.count("dynamodb.DeleteItem")
    reads = meter.count("dynamodb.GetItem") + meter.count("dynamodb.Query") + meter.count("dynamodb.Scan")
    emails = report["emails_sent"]
    events = report["events_in"]
    batches = meter.invocations.get("OrderEventsFunction", 0)
    sqs_requests = events + 2 * batches  # EventBridge's send per event; the event source's receive and delete
    costs = Counter(
        {
            "Step Functions transitions": transitions * SFN_PER_TRANSITION,
            "Lambda requests": invocations * LAMBDA_PER_REQUEST,
            "Lambda duration": gb_seconds * LAMBDA_PER_GB_SECOND,
            "DynamoDB writes": writes * DDB_PER_WRITE_UNIT,
            "DynamoDB reads": reads * DDB_PER_READ_UNIT,
            "SES emails": emails * SES_PER_EMAIL,
            "SQS requests": sqs_requests * SQS_PER_REQUEST,
            "EventBridge events": events * EVENTBRIDGE_PER_EVENT,
        }
    )
    print(f"\n{'item':28s} {'count':>10s} {'cost':>10s}")
    counts = [transitions, invocations, round(gb_seconds, 1), writes, reads, emails, sqs_requests, events]
    for (item, cost), count in zip(costs.items(), counts, strict=True):
        print(f"{item:28s} {count:>10} ${cost:9.4f}")
    total = sum(costs.values())
    recovered = report["orders_recovered"]
    per_1000 = total / args.orders * 1000
    print(f"{'total':28s} {'':>10s} ${total:9.4f}")
    print(f"\ncost per 1,000 orders      ${per_1000:.4f}  (target ${TARGET_PER_1000:.2f})")
    print(f"cost per recovered order   ${total / max(recovered, 1):.4f}  ({recovered} recovered)")
    ingestion_calls = sum(meter.calls["OrderEventsFunction"].values())
    print(f"AWS calls per event        {ingestion_calls / events:.2f}  (ingestion, {events} events)")
    longest = max(r.transitions for r in runtime.ended)
    early = max((r.transitions for r in by_outcome.get("paid before the delay", [])), default=0)
    print(f"longest path               {longest} transitions (target {TARGET_LONGEST})")
    print(f"paid before the delay      {early} transitions (target {TARGET_PAID_EARLY})")
    ok = longest <= TARGET_LONGEST and early <= TARGET_PAID_EARLY and per_1000 <= TARGET_PER_1000
    print("targets                    " + ("all met" if ok else "NOT all met: see above"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
