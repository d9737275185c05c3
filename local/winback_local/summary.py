"""The lines `winback simulate` prints: the funnel of report.json, failures first."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _winback_line(found: dict[str, Any] | None) -> list[str]:
    if not found or not found["segment_entries"]:
        return []
    skipped = ", ".join(f"{n} {reason}" for reason, n in found["skipped"].items()) or "none"
    return [
        f"win-back            {found['segment_entries']} entered the segment, {found['flows_started']} taken, "
        f"{found['bought_during_wait']} bought during the wait, {found['emailed']} emailed, "
        f"{found['came_back']} came back (skipped: {skipped})"
    ]


def _webhook_line(report: dict[str, Any]) -> list[str]:
    if not report["webhooks_in"]:
        return []
    return [f"webhooks in         {report['webhooks_in']} ({report['webhooks_unauthorized']} unauthorized: 401)"]


def _failed_lines(failures: list[str], shown: int = 3) -> list[str]:
    """Failed flows first, so nobody mistakes a broken run for a quiet one."""
    if not failures:
        return []
    more = [f"                    … and {len(failures) - shown} more in report.json"] if len(failures) > shown else []
    return [f"flows failed        {len(failures)}", *(f"  {failure}"[:200] for failure in failures[:shown]), *more]


def _holdout_lines(found: dict[str, Any] | None) -> list[str]:
    """Per campaign with a holdout: the uplift and whether it is conclusive yet."""
    lines = []
    for campaign, entry in (found or {}).items():
        test = entry["holdout"]
        if test.get("n", [0, 0])[1] == 0 or "uplift" not in test:
            continue
        (n_a, n_b), (p_a, p_b) = test["n"], test["conversion"]
        low, high = test["uplift_95"]
        verdict = "conclusive" if test["conclusive"] else f"not conclusive: {test['why']}"
        lines.append(
            f"uplift {campaign}: {p_a:.0%} of {n_a} emailed paid, {p_b:.0%} of {n_b} held out; "
            f"{test['uplift']:+.1%} [{low:+.1%}, {high:+.1%}], {verdict}"
        )
    return lines


def summary(report: dict[str, Any], out: Path) -> str:
    revenue = ", ".join(f"{amount} {currency}" for currency, amount in report["revenue_recovered"].items()) or "0"
    skipped = ", ".join(f"{n} {reason}" for reason, n in report["emails_skipped"].items()) or "none"
    return "\n".join(
        [
            f"events in           {report['events_in']} ({report['events_rejected']} rejected)",
            *_webhook_line(report),
            f"orders              {report['orders']}",
            f"flows started       {report['flows_started']} ({report['flows_still_waiting']} still waiting)",
            *_failed_lines(report["failures"]),
            f"emails sent         {report['emails_sent']} (skipped: {skipped})",
            f"orders recovered    {report['orders_recovered']} paid after an email"
            + (f" ({report['orders_under_way']} under way, not counted)" if report["orders_under_way"] else ""),
            f"carts               {report['carts_abandoned']} abandoned, {report['carts_recovered']} won back (paid)",
            f"revenue recovered   {revenue}",
            *_winback_line(report.get("winback")),
            *_holdout_lines(report.get("measurement")),
            "",
            f"timeline  {out / 'timeline.jsonl'}",
            f"emails    {out / 'outbox'}/",
            f"report    {out / 'report.json'}",
        ]
    )
