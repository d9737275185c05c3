"""A burst of emails at the SES send rate: nothing lost, nothing twice.

    python bench/send_rate.py [--emails 1000] [--rate 14] [--faults]

N unpaid orders created in the same second, so N coupon emails fall due in the same
second; the stack's SesSendRate spreads them. With --faults, SES also throttles or fails
30 % of sends and DynamoDB 20 % of writes (the fault injector of `winback reliability`).
Prints emails sent, lost, sent twice, the most in one second and how long the burst took
in virtual time.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.utils import parsedate_to_datetime

from winback.model.campaigns import default_campaigns
from winback_local.faults import Faults
from winback_local.runtime import LocalRuntime

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def order(n: int) -> dict:
    contact = {"id": f"c-{n}", "email": f"c-{n}@example.com", "locale": "en", "marketing_consent": True}
    item = {"sku": "py-101", "name": "Python 101", "unit_price": "120.00", "quantity": 1}
    return {
        "order_id": f"o-{n}",
        "offer_id": "python-course",
        "contact": contact,
        "items": [item],
        "currency": "EUR",
        "total": "120.00",
        "pay_url": f"https://shop.example.com/pay/o-{n}",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emails", type=int, default=1000)
    parser.add_argument("--rate", type=int, default=14)
    parser.add_argument("--faults", action="store_true")
    args = parser.parse_args()
    # No holdout: a held-out contact gets no email by design, which this count would call lost.
    unpaid = [c.model_copy(update={"holdout_percent": 0}) for c in default_campaigns() if c.flow == "unpaid_order"]
    began = time.perf_counter()
    with LocalRuntime(START, unpaid) as runtime:
        os.environ["SES_SEND_RATE"] = str(args.rate)  # the stack parameter, as deployed
        faults = Faults(seed=1, ses_rate=0.3, dynamodb_write_rate=0.2) if args.faults else None
        if faults:
            faults.install()
        try:
            runtime.put_events([runtime.envelope("Order Created", order(n)) for n in range(args.emails)])
            runtime.run_until(START + timedelta(hours=3))
        finally:
            if faults:
                faults.uninstall()
        messages = [message_from_bytes(raw, policy=policy.default) for raw in runtime.outbox]
        sends = Counter(str(m["X-Winback-Send"]) for m in messages)
        per_second = Counter(str(m["Date"]) for m in messages)
        dates = sorted(parsedate_to_datetime(d) for d in per_second)
        failed = len(runtime.failures)
    print(f"emails due at once   {args.emails} (SesSendRate {args.rate}/s{', with faults' if faults else ''})")
    print(f"sent                 {len(sends)}")
    print(f"lost                 {args.emails - len(sends)} (flows failed: {failed})")
    print(f"sent twice           {sum(n - 1 for n in sends.values())}")
    print(f"most in one second   {max(per_second.values())}")
    print(f"burst spread over    {(dates[-1] - dates[0]).total_seconds():.0f} s of virtual time")
    print(f"local wall time      {time.perf_counter() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
