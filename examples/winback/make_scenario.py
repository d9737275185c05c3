"""Writes this example (history.csv, scenario.json) from a fixed seed: a shop with two
years of orders, 60 days of new ones, contacts with and without consent. A first run
finds who enters the segment; some of them then buy within the 8 hours before the
offer, so the example shows every branch. Run it again after changing the shop:
    .venv/bin/python examples/winback/make_scenario.py
"""

from __future__ import annotations

import csv
import json
import random
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
DAYS = 60
LOCALES = [("en", "Europe/London"), ("fr", "Europe/Paris"), ("it", "Europe/Rome"), ("uk", "Europe/Kyiv")]
NAMES = ["Ana", "Camille", "Giulia", "Оксана", "Emma", "Luca", "Léa", "Taras"]


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def contact(rng: random.Random, cid: str) -> dict:
    locale, zone = rng.choice(LOCALES)
    return {
        "id": cid,
        "email": f"{cid}@example.com",
        "first_name": rng.choice(NAMES),
        "locale": locale,
        "timezone": zone,
        "marketing_consent": rng.random() > 0.15,
    }


def order_events(cid: str, n: int, at: datetime, total: str, who: dict) -> list[dict]:
    order_id = f"o-{cid}-{n}"
    item = {"sku": "py-101", "name": "Python 101", "unit_price": total, "quantity": 1}
    created = {
        "order_id": order_id,
        "offer_id": "python-course",
        "contact": who,
        "items": [item],
        "currency": "EUR",
        "total": total,
        "pay_url": f"https://shop.example.com/pay/{order_id}",
    }
    paid = {"order_id": order_id, "contact_id": cid, "total": total, "currency": "EUR"}
    return [
        {"at": iso(at), "detail-type": "Order Created", "detail": created},
        {"at": iso(at + timedelta(minutes=3)), "detail-type": "Order Paid", "detail": paid},
    ]


def build(rng: random.Random, buyers_in_wait: dict[str, datetime]) -> tuple[list[list[str]], dict]:
    rows, events, contacts = [], [], {}
    kinds = [("vip", 60), ("regular", 190), ("recent", 50)]
    for kind, count in kinds:
        for i in range(count):
            cid = f"{kind[0]}{i:03d}"
            contacts[cid] = contact(rng, cid)
            orders = {"vip": rng.randint(2, 7), "regular": rng.randint(1, 2), "recent": 1}[kind]
            for n in range(orders):
                if kind == "vip":
                    ago = rng.randint(150 + 60 * n, 600)
                    total = f"{rng.randint(120, 450)}.00"
                elif kind == "regular":
                    ago, total = rng.randint(30, 700), f"{rng.randint(15, 90)}.00"
                else:
                    ago, total = rng.randint(1, 40), f"{rng.randint(20, 120)}.00"
                paid = START - timedelta(days=ago, hours=rng.randint(0, 12))
                rows.append(
                    [
                        f"h-{cid}-{n}",
                        cid,
                        f"{cid}@example.com",
                        iso(paid - timedelta(minutes=5)),
                        iso(paid),
                        total,
                        "EUR",
                        "paid",
                    ]
                )
    for who in contacts.values():  # the shop's consent records, at the start
        events.append({"at": iso(START), "detail-type": "Contact Updated", "detail": {"contact": who}})
    for day in range(DAYS):  # new orders: recent and regular customers, and new ones
        for n in range(rng.randint(2, 6)):
            cid = rng.choice([c for c in contacts if c[0] != "v"] + [f"new{day:02d}{n}"])
            who = contacts.setdefault(cid, contact(rng, cid))
            at = START + timedelta(days=day, hours=rng.randint(1, 12), minutes=rng.randint(0, 59))
            events += order_events(cid, 100 + day * 10 + n, at, f"{rng.randint(20, 150)}.00", who)
    for cid, at in sorted(buyers_in_wait.items()):  # they came back on their own, before the offer
        events += order_events(cid, 999, at, "180.00", contacts[cid])
    events.sort(key=lambda e: e["at"])
    scenario = {
        "start": iso(START),
        "until": iso(START + timedelta(days=DAYS)),
        "campaigns": "campaigns.yaml",
        "catalogue": "../catalogue.yaml",
        "history": "history.csv",
        "coupon_pools": {"winback": 25},
        "events": events,
    }
    return rows, scenario


def write(rows: list[list[str]], scenario: dict) -> None:
    with open(HERE / "history.csv", "w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(["order_id", "contact_id", "email", "placed_at", "paid_at", "total", "currency", "status"])
        out.writerows(rows)
    (HERE / "scenario.json").write_text(json.dumps(scenario, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def main() -> None:
    from winback_local.simulate import Simulation, load

    rows, scenario = build(random.Random(7), {})
    write(rows, scenario)
    loaded, campaigns = load(HERE / "scenario.json")
    with tempfile.TemporaryDirectory() as out:
        Simulation(loaded, campaigns).run(Path(out))
        taken = [json.loads(line) for line in (Path(out) / "timeline.jsonl").read_text().splitlines()]
    started = [e for e in taken if e["type"] == "flow.started" and e.get("flow") == "winback"]
    chosen = random.Random(11).sample(started, k=max(1, len(started) // 6))
    wait = {
        e["contact_id"]: datetime.fromisoformat(e["at"].replace("Z", "+00:00")) + timedelta(hours=3) for e in chosen
    }
    rows, scenario = build(random.Random(7), wait)
    write(rows, scenario)
    print(
        f"history.csv: {len(rows)} orders; scenario.json: {len(scenario['events'])} events, "
        f"{len(wait)} contacts buy during the wait"
    )


if __name__ == "__main__":
    main()
