"""Writes scenario.json: 150 unpaid orders in one morning, an unpaid-order campaign that
holds out 30 % of its contacts, and shoppers who pay on their own 20 % of the time and
30 points more often after the email (the scenario's `baseline`), so that the holdout
has something to measure. `python examples/measurement/make_scenario.py` rewrites it."""

import json
from pathlib import Path

ORDERS = 150


def order(n: int) -> dict:
    return {
        "at": f"2026-03-02T{9 + n // 60:02d}:{n % 60:02d}:00Z",
        "detail-type": "Order Created",
        "detail": {
            "order_id": f"o-{n}",
            "offer_id": "course",
            "contact": {"id": f"c-{n}", "email": f"c-{n}@example.com", "marketing_consent": True},
            "items": [{"sku": "course", "name": "Course", "unit_price": "49.00", "quantity": 1}],
            "currency": "EUR",
            "total": "49.00",
            "pay_url": f"https://shop.example.com/pay/o-{n}",
        },
    }


scenario = {
    "start": "2026-03-02T09:00:00Z",
    "until": "2026-03-05T09:00:00Z",
    "campaigns": [
        {
            "id": "spring",
            "list": "spring-coupon",
            "holdout_percent": 30,
            "coupon": {"code": "SPRING10", "percent_off": 10},
        }
    ],
    "baseline": {"probability": 0.2, "email_lift": 0.3, "within_hours": 20, "seed": 3},
    "events": [order(n) for n in range(ORDERS)],
}
path = Path(__file__).with_name("scenario.json")
path.write_text(json.dumps(scenario, indent=1) + "\n", encoding="utf-8")
