"""What winback did, as business facts: flow started, email sent, coupon checked...

Domain code calls `record(type, **fields)`. On AWS the default sink writes a
structured log line without personal data and the matching CloudWatch metric; the
local runtime installs its own sink and writes the timeline from it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit, single_metric

from winback.aws.observe import logger, metrics
from winback.model import clock

# Fields that hold personal data: kept out of logs, only ever in the local timeline.
PERSONAL_FIELDS = frozenset({"to", "email", "first_name", "subject"})

_METRICS: dict[str, str] = {
    "order.seen": "OrdersSeen",
    "flow.started": "FlowsStarted",
    "email.sent": "EmailsSent",
    "email.skipped": "EmailsSkipped",
    "coupon.checked": "CouponsValidated",
    "coupon.redeemed": "CouponsRedeemed",
    "coupon.skipped": "CouponsWithheld",  # a reminder sent without its coupon (cool-down)
    "event.rejected": "EventsRejected",
    "coupon.assigned": "CouponsAssigned",  # a unique code from a pool
    "coupon.pool_low": "CouponPoolLow",
    "coupon.pool_empty": "CouponPoolEmpty",
    "rfm.computed": "RfmRuns",
    "webhook.unauthorized": "WebhooksUnauthorized",  # a bad or missing signature: 401
    "webhook.received": "WebhooksReceived",
    "event.warning": "EventWarnings",
    "order.attributed": "OrdersAttributed",  # a paid order owed to a flow's email (or its holdout)
    "email.held_out": "EmailsHeldOut",
}

Entry = dict[str, Any]


def _cloud_sink(entry: Entry) -> None:
    logger.info(entry["type"], extra={k: v for k, v in entry.items() if k not in PERSONAL_FIELDS})
    name = _METRICS.get(entry["type"])
    if name:
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
    # and by reason (no_consent, paid...); single_metric ignores POWERTOOLS_METRICS_DISABLED itself
    if entry["type"] == "email.skipped" and os.environ.get("POWERTOOLS_METRICS_DISABLED", "").lower() != "true":
        with single_metric(name="EmailsSkippedByReason", unit=MetricUnit.Count, value=1, namespace="winback") as metric:
            metric.add_dimension(name="reason", value=str(entry.get("reason")))
    if entry["type"] == "order.attributed":  # counted at payment, the holdout's beside it
        held = bool(entry.get("held_out"))
        if held or entry.get("outcome") == "recovered":  # paid "under way" after an email: not the email's
            metrics.add_metric(name="HoldoutOrdersPaid" if held else "OrdersRecovered", unit=MetricUnit.Count, value=1)
            minor = entry.get("revenue_reporting_minor")
            if isinstance(minor, int):  # in the reporting currency; a currency without a rate adds no amount
                metrics.add_metric(
                    name="HoldoutRevenue" if held else "RevenueRecovered", unit=MetricUnit.NoUnit, value=minor / 100
                )


_sink: Callable[[Entry], None] = _cloud_sink


def record(type_: str, **fields: Any) -> Entry:
    entry: Entry = {"at": clock.iso(clock.now()), "type": type_}
    entry.update({k: (str(v) if isinstance(v, Decimal) else v) for k, v in fields.items()})
    _sink(entry)
    return entry


def use(sink: Callable[[Entry], None]) -> None:
    global _sink
    _sink = sink


def reset() -> None:
    use(_cloud_sink)
