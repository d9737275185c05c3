"""`winback report`: what the emails brought back, as a page a merchant reads.

    winback report --from out/demo --out out/report            # a simulation's output
    winback report --stack winback --since 2026-03-01 --out r  # the deployed tables

Writes report.html (self-contained: the charts are SVG drawn by matplotlib, inline),
report.json and report.csv. The same entries either way: emails sent and held out (the
send ledger, or the timeline) and payments with what they are owed to (the orders'
attribution, or the timeline's order.attributed), measured by measure.py. Exit 0 with a
report, also an empty one (it says why); 2 when the input cannot be read.
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

from winback_local.measure import measurement

Entry = dict[str, Any]


def from_simulation(folder: Path) -> list[Entry]:
    path = folder / "timeline.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def from_tables() -> list[Entry]:
    """The deployed stack's send ledger and attributed orders, as timeline entries."""
    from winback.aws.store import OrderRecord, SendRecord

    found: list[Entry] = []
    for send in SendRecord.scan(SendRecord.status.is_in("sent", "held_out")):
        if send.sent_at is None:
            continue
        kind = "email.sent" if send.status == "sent" else "email.held_out"
        found.append(
            {
                "type": kind,
                "at": send.sent_at.isoformat(),
                "campaign": send.campaign_id,
                "contact_id": send.contact_id,
                "template": send.template,
                "variant": send.variant,
                "flow": send.send_id.split("#", 1)[0],
            }
        )
    for order in OrderRecord.scan(OrderRecord.attribution.exists()):
        owed = dict(order.attribution or {})
        found.append(
            {"type": "order.attributed", "at": owed.pop("paid_at", ""), "contact_id": order.contact_id, **owed}
        )
    return found


def within(entries: list[Entry], since: str | None, until: str | None) -> list[Entry]:
    """Entries from `since` (a day, inclusive) to `until` (a day, inclusive)."""
    return [
        e
        for e in entries
        if (since is None or str(e.get("at", ""))[:10] >= since)
        and (until is None or str(e.get("at", ""))[:10] <= until)
    ]


def build(entries: list[Entry]) -> dict[str, Any]:
    """Per flow: emailed → paid (and the holdout beside it), revenue per day, per campaign
    the uplift and the A/B results."""
    flows: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"emailed": set(), "held_out": set(), "paid": set(), "clicked": set(), "clicked_then_paid": set()}
    )
    by_day: dict[str, float] = defaultdict(float)
    for e in entries:
        # The flow is the send id's first part, as for attribution (model/attribution.py Touch.flow).
        flow = str(e.get("flow") or str(e.get("send_id", "")).split("#", 1)[0])
        contact = str(e.get("contact_id"))
        if e["type"] == "email.sent" and e.get("template") != "order_confirmation":
            flows[flow]["emailed"].add(contact)
        elif e["type"] == "email.held_out":
            flows[flow]["held_out"].add(contact)
        elif e["type"] == "email.clicked":
            flows[str(e.get("send_id", "")).split("#", 1)[0]]["clicked"].add(str(e.get("send_id")))
        elif e["type"] == "order.attributed" and not e.get("held_out") and e.get("outcome") == "recovered":
            flows[flow]["paid"].add(contact)
            if e.get("clicked"):
                flows[flow]["clicked_then_paid"].add(contact)
            minor = e.get("revenue_reporting_minor")
            by_day[str(e.get("at", ""))[:10]] += (minor or 0) / 100
    # entered (emailed or held out) -> emailed -> clicked (with ClickTracking) -> paid; "clicked
    # then paid" is the part of "paid" whose last email was clicked before paying.
    funnel = {
        flow: {
            "entered": len(v["emailed"]) + len(v["held_out"]),
            "emailed": len(v["emailed"]),
            "clicked": len(v["clicked"]),
            "paid": len(v["paid"]),
            "clicked_then_paid": len(v["clicked_then_paid"]),
            "held_out": len(v["held_out"]),
        }
        for flow, v in sorted(flows.items())
        if flow
    }
    report: dict[str, Any] = {
        "funnel": funnel,
        **breakdowns(entries),
        "revenue_by_day": dict(sorted(by_day.items())),
        "campaigns": measurement(entries),
        "counts": dict(Counter(e["type"] for e in entries)),
    }
    if not funnel:
        report["empty"] = "no emails sent or held out in this range: nothing to measure"
    return report


def breakdowns(entries: list[Entry]) -> dict[str, Any]:
    """Orders recovered and their revenue (reporting currency) per flow step, per A/B
    variant and per coupon: payments after an email sent, past the minimum gap."""
    found: dict[str, dict[str, dict[str, float]]] = {"by_step": {}, "by_variant": {}, "by_coupon": {}}
    for e in entries:
        if e["type"] != "order.attributed" or e.get("held_out") or e.get("outcome") != "recovered":
            continue
        keys = {
            "by_step": f"{e.get('flow')}/{e.get('step')}",
            "by_variant": f"{e.get('campaign')}/{e.get('variant')}" if e.get("variant") else None,
            "by_coupon": str(e.get("coupon_code") or "(none)"),
        }
        for table, key in keys.items():
            if key is not None:
                row = found[table].setdefault(key, {"orders": 0, "revenue": 0.0})
                row["orders"] += 1
                row["revenue"] += (e.get("revenue_reporting_minor") or 0) / 100
    return found


# -- the page -----------------------------------------------------------------------------
def _svg(figure: Any) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def charts(report: dict[str, Any]) -> dict[str, str]:
    """Funnel per flow, revenue over time, uplift with its interval: SVG each."""
    import matplotlib

    matplotlib.use("svg")
    import matplotlib.pyplot as plt

    found: dict[str, str] = {}
    funnel = report["funnel"]
    if funnel:
        figure, axis = plt.subplots(figsize=(7, 0.6 + 0.7 * len(funnel)))
        names = list(funnel)
        emailed = [funnel[n]["emailed"] for n in names]
        paid = [funnel[n]["paid"] for n in names]
        clicked = [funnel[n]["clicked"] for n in names]
        axis.barh(names, emailed, color="#93c5fd", label="emailed")
        if any(clicked):
            axis.barh(names, clicked, color="#2563eb", label="clicked")
        axis.barh(names, paid, color="#16a34a", label="paid after an email")
        axis.set_xlabel("contacts")
        axis.legend(loc="lower right")
        found["funnel"] = _svg(figure)
    days = report["revenue_by_day"]
    if days:
        figure, axis = plt.subplots(figsize=(7, 2.6))
        moments = [datetime.fromisoformat(d) for d in days]
        axis.bar(moments, list(days.values()), color="#16a34a", width=0.8)  # type: ignore[arg-type]
        axis.set_ylabel("revenue recovered")
        figure.autofmt_xdate()
        found["revenue"] = _svg(figure)
    tested = {c: v["holdout"] for c, v in report["campaigns"].items() if "uplift" in v["holdout"]}
    if tested:
        figure, axis = plt.subplots(figsize=(7, 0.6 + 0.6 * len(tested)))
        names = list(tested)
        centre = [tested[n]["uplift"] * 100 for n in names]
        low = [c - tested[n]["uplift_95"][0] * 100 for c, n in zip(centre, names, strict=True)]
        high = [tested[n]["uplift_95"][1] * 100 - c for c, n in zip(centre, names, strict=True)]
        axis.errorbar(centre, names, xerr=[low, high], fmt="o", color="#1d4ed8", capsize=4)
        axis.axvline(0, color="#71717a", linewidth=1)
        axis.set_xlabel("uplift in conversion, points (95 % interval)")
        found["uplift"] = _svg(figure)
    return found


HEADER = "".join(
    f"<th>{title}</th>"
    for title in ("campaign", "emailed", "held out", "uplift (95 %)", "incremental revenue", "verdict", "A/B")
)


def page(report: dict[str, Any]) -> str:
    drawn = charts(report)
    rows = []
    for campaign, entry in report["campaigns"].items():
        test = entry["holdout"]
        verdict = "conclusive" if test.get("conclusive") else html.escape(str(test.get("why")))
        interval = test.get("uplift_95")
        uplift = f"{test['uplift']:+.1%} [{interval[0]:+.1%}, {interval[1]:+.1%}]" if interval else "–"
        ab = entry.get("ab", {})
        rows.append(
            f"<tr><td>{html.escape(campaign)}</td><td>{test.get('n', ['–', '–'])[0]}</td>"
            f"<td>{test.get('n', ['–', '–'])[1]}</td><td>{uplift}</td>"
            f"<td>{test.get('incremental_revenue', '–')}</td><td>{verdict}</td>"
            f"<td>{html.escape(str(ab.get('winner', '')))}</td></tr>"
        )
    sections = "".join(
        f'<section id="{name}"><h2>{title}</h2>{drawn[name]}</section>'
        for name, title in (
            ("funnel", "Emailed → paid, per flow"),
            ("revenue", "Revenue recovered per day"),
            ("uplift", "Uplift against the holdout"),
        )
        if name in drawn
    )
    empty = f"<p class='empty'>{html.escape(report['empty'])}</p>" if "empty" in report else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>winback report</title>
<style>body{{font-family:system-ui,sans-serif;max-width:860px;margin:2em auto;color:#18181b}}
table{{border-collapse:collapse;width:100%}}td,th{{border-bottom:1px solid #e4e4e7;padding:4px 8px;text-align:left}}
svg{{max-width:100%;height:auto}}</style></head><body>
<h1>What the emails brought back</h1>{empty}
<p>Counted at payment, owed to the last email within the attribution window; the holdout got no email.</p>
<table><tr>{HEADER}</tr>
{"".join(rows)}</table>{sections}</body></html>
"""


def write(report: dict[str, Any], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    with (out / "report.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "campaign",
                "emailed",
                "held_out",
                "uplift",
                "uplift_low",
                "uplift_high",
                "incremental_revenue",
                "conclusive",
            ]
        )
        for campaign, entry in report["campaigns"].items():
            test = entry["holdout"]
            interval = test.get("uplift_95") or ["", ""]
            n = test.get("n", ["", ""])
            writer.writerow(
                [
                    campaign,
                    n[0],
                    n[1],
                    test.get("uplift", ""),
                    *interval,
                    test.get("incremental_revenue", ""),
                    test["conclusive"],
                ]
            )
    (out / "report.html").write_text(page(report), encoding="utf-8")
    return [out / "report.html", out / "report.json", out / "report.csv"]


def main(
    source: str | None, stack: str | None, region: str | None, since: str | None, until: str | None, out: str
) -> int:
    import sys

    for name, day in (("--since", since), ("--until", until)):
        if day is not None:
            try:
                datetime.strptime(day, "%Y-%m-%d")
            except ValueError:
                print(f"winback report: {name} {day!r} is not a day (YYYY-MM-DD)", file=sys.stderr)
                return 2
    try:
        if source:
            entries = from_simulation(Path(source))
        else:
            from winback_local.stack import use_stack

            use_stack(stack or "", region)
            entries = from_tables()
    except (OSError, ValueError) as problem:
        print(f"winback report: cannot read {source or stack}: {problem}", file=sys.stderr)
        return 2
    report = build(within(entries, since, until))
    for path in write(report, Path(out)):
        print(f"{path.suffix[1:]:<5} {path}")
    if "empty" in report:
        print(report["empty"])
    return 0
