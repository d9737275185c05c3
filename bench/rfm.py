"""The daily RFM job at scale: N contacts locally, and 1,000,000 on paper.

    python bench/rfm.py [--contacts 100000]

Loads N customers with one to six paid orders each into the local runtime's Customers
table, runs the real DailyRfmStateMachine twice (the baseline, then a day later after 2 %
of them bought), and counts what each run asked of AWS per contact: scan pages, items
read, writes, events. From those counts and AWS list prices it prints the estimate for
1,000,000 contacts: time (16 Lambdas in parallel, one part each) and cost a day.
The local wall time is printed too, for ratios between runs on one machine only.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from winback.aws.store import CustomerRecord
from winback.domain import history
from winback.model.campaigns import default_campaigns
from winback_local.meter import Meter
from winback_local.runtime import LocalRuntime

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ITEM_KB = 0.5  # a customer item with a few orders and its RFM fields
# AWS list prices, us-east-1, on-demand (2026-11)
RRU = 0.25 / 1e6  # per read request unit (4 KB, eventually consistent counts half)
WRU = 1.25 / 1e6  # per write request unit (1 KB)
LAMBDA_GB_S = 0.0000133334  # arm64
TRANSITION = 0.025 / 1000
EVENT = 1.0 / 1e6
PARTS = 16
# A scan page of 1 MB from DynamoDB takes ~100 ms; a conditional UpdateItem ~8 ms.
PAGE_SECONDS, WRITE_SECONDS, ITEM_CPU_SECONDS = 0.1, 0.008, 20e-6


def load(contacts: int, rng: random.Random) -> None:
    with CustomerRecord.batch_write() as batch:
        for n in range(contacts):
            entries = set()
            for k in range(rng.choice([1, 1, 1, 2, 2, 3, 4, 6])):
                paid = START - timedelta(days=rng.randint(1, 720), minutes=k)
                entries.add(history.entry(f"o-{n}-{k}", paid, Decimal(rng.randint(10, 400)), "EUR"))
            batch.save(CustomerRecord(f"c-{n}", purchases=entries))


def run_job(runtime: LocalRuntime, day: datetime) -> tuple[float, dict[str, int]]:
    meter = Meter().attach(runtime)
    started = time.perf_counter()
    runtime.start("DailyRfmStateMachine", {"scheduled_at": day.strftime("%Y-%m-%dT%H:%M:%SZ")})
    runtime.run_until(day + timedelta(minutes=30))
    wall = time.perf_counter() - started
    meter.detach()
    calls = {
        "scans": meter.count("dynamodb.Scan", "DailyRfmFunction"),
        "writes": meter.count("dynamodb.UpdateItem", "DailyRfmFunction"),
        "put_events": meter.count("events.PutEvents", "DailyRfmFunction"),
        "invocations": meter.invocations["DailyRfmFunction"],
    }
    return wall, calls


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    args = parser.parse_args()
    rng = random.Random(1)
    campaigns = [c for c in default_campaigns() if c.flow == "winback"]
    with LocalRuntime(START, campaigns) as runtime:
        began = time.perf_counter()
        load(args.contacts, rng)
        print(f"loaded {args.contacts:,} customers in {time.perf_counter() - began:.0f} s (local)")
        first = START.replace(hour=1, minute=0) + timedelta(days=1)
        wall1, base = run_job(runtime, first)
        buyers = rng.sample(range(args.contacts), args.contacts // 50)
        for n in buyers:
            history.record_paid(f"c-{n}", f"o-{n}-new", first + timedelta(hours=10), Decimal("120"), "EUR")
        wall2, daily = run_job(runtime, first + timedelta(days=1))
        runs = [e for e in runtime.timeline if e["type"] == "rfm.computed"]
    print(f"{'run':<10} {'local s':>8} {'scan pages':>11} {'writes':>8} {'events':>7} {'lambdas':>8}")
    for name, wall, calls, run in (("baseline", wall1, base, runs[0]), ("next day", wall2, daily, runs[1])):
        print(
            f"{name:<10} {wall:8.1f} {calls['scans']:11.0f} {calls['writes']:8.0f} "
            f"{run['entered']:7d} {calls['invocations']:8.0f}"
        )
    n = args.contacts
    changed_share = runs[1]["changed"] / n
    entered_share = runs[1]["entered"] / n
    print(f"per contact, an ordinary day: {changed_share:.1%} written, {entered_share:.1%} announced")
    print(f"local: {wall2 / n * 1e6:.0f} µs per contact for both passes (moto, one process)")

    million = 1_000_000
    items_per_page = 1024 / ITEM_KB
    pages = 2 * million / items_per_page  # two passes
    read_units = 2 * million * ITEM_KB / 4 * 0.5
    writes = million * changed_share
    per_part = million / PARTS
    measure_part = per_part / items_per_page * PAGE_SECONDS + per_part * ITEM_CPU_SECONDS
    score_part = measure_part + per_part * changed_share * WRITE_SECONDS
    seconds = measure_part + score_part  # the parts run side by side; the passes one after the other
    gb_s = PARTS * (measure_part + score_part) * 1.0  # 1 GB functions
    cost = {
        "DynamoDB reads": read_units * RRU,
        "DynamoDB writes": writes * WRU,
        "Lambda": gb_s * LAMBDA_GB_S,
        "Step Functions": (2 * PARTS * 3 + 10) * TRANSITION,
        "EventBridge": million * entered_share / 10 * EVENT,
    }
    print(f"\n1,000,000 contacts, on paper: {pages:,.0f} scan pages, {writes:,.0f} writes a day")
    print(f"time: about {seconds / 60:.1f} min (16 parts in parallel; target under 15 min)")
    for item, dollars in cost.items():
        print(f"  {item:<16} ${dollars:.3f}")
    total = sum(cost.values())
    verdict = "met" if total < 1 and seconds < 900 else "NOT met"
    print(f"  {'total':<16} ${total:.2f} a day (target under $1 and 15 min: {verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
