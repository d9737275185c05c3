"""Shop webhooks: verified at the door, queued raw, mapped downstream.

`receive` runs behind the public endpoint (a function URL): it checks the platform's
signature on the raw body before parsing anything, answers 401 to a bad or missing one
(counted, never stored), and otherwise queues the delivery as it came on the order
events queue and answers 200 at once, well inside Shopify's 5 seconds. `ingest` runs in
the queue's consumer: it maps the delivery to winback's events (docs/events.md), checks
each against the contract before applying any (nothing half-mapped), and applies them
with the same code as events from the bus. A delivery that cannot be mapped is rejected
with its reason to the dead-letter queue; one that fails for a reason a retry may fix
is retried by SQS. Once verified, a delivery is never lost.
"""

from __future__ import annotations

import base64
import json
import os
from datetime import datetime
from functools import lru_cache
from typing import Any

from winback.aws import journal, rejects
from winback.aws.kept import Kept
from winback.connectors import shopify, signatures, stripe, woocommerce
from winback.connectors.common import Mapped, Unmapped, obj
from winback.model import clock
from winback.model.events import SHOWN_ITEMS, InvalidEvent, OrderEvent, parse_event

PLATFORMS = ("shopify", "woocommerce", "stripe")
SECRETS_TTL_SECONDS = 300  # a secret rotated in Secrets Manager is picked up within this


class UnknownPlatform(ValueError):
    pass


@lru_cache(maxsize=1)
def _sqs() -> Any:
    import boto3

    return boto3.client("sqs")


_secrets: Kept[str, dict[str, list[str]]] = Kept(SECRETS_TTL_SECONDS)  # by the secret's ARN


def connector_secrets() -> dict[str, list[str]]:
    """{"shopify": [...], "woocommerce": [...], "stripe": [...]}: each platform's accepted
    secrets (two during a rotation), from the stack's ConnectorSecret."""
    arn = os.environ["CONNECTOR_SECRET_ARN"]
    return dict(_secrets.get(arn, lambda: _read_secrets(arn)))


def _read_secrets(arn: str) -> dict[str, list[str]]:
    import boto3

    raw = boto3.client("secretsmanager").get_secret_value(SecretId=arn)
    value = json.loads(raw["SecretString"] or "{}")
    return {k: [secret for secret in v if secret] for k, v in value.items() if isinstance(v, list)}


def _verified(platform: str, headers: dict[str, str], body: bytes) -> bool:
    secrets = connector_secrets().get(platform, [])
    if platform == "shopify":
        return signatures.base64_hmac_ok(body, headers.get("x-shopify-hmac-sha256"), secrets)
    if platform == "woocommerce":
        return signatures.base64_hmac_ok(body, headers.get("x-wc-webhook-signature"), secrets)
    return signatures.stripe_ok(body, headers.get("stripe-signature"), secrets, clock.now().timestamp())


def _is_woo_ping(platform: str, headers: dict[str, str], body: bytes) -> bool:
    """WooCommerce checks a new webhook with a form post `webhook_id=N`: it wants a 200."""
    return platform == "woocommerce" and body.startswith(b"webhook_id=") and body[11:].isdigit()


def receive(platform: str, headers: dict[str, str], body: bytes) -> tuple[int, str]:
    """(status, text) for one delivery to /<platform>. Headers with lower-case names."""
    if platform not in PLATFORMS:
        return 404, "not found"
    if _is_woo_ping(platform, headers, body):
        return 200, "ok"
    if not _verified(platform, headers, body):
        journal.record("webhook.unauthorized", platform=platform)
        return 401, "signature missing or wrong"
    delivery = {
        "platform": platform,
        "topic": headers.get("x-shopify-topic") or headers.get("x-wc-webhook-topic") or "",
        "webhook_id": headers.get("x-shopify-webhook-id") or headers.get("x-wc-webhook-delivery-id") or "",
        "received_at": clock.iso(clock.now()),
        "body": base64.b64encode(body).decode(),
    }
    _sqs().send_message(QueueUrl=os.environ["ORDER_EVENTS_QUEUE_URL"], MessageBody=json.dumps({"webhook": delivery}))
    journal.record("webhook.received", platform=platform, topic=delivery["topic"])
    return 200, "ok"


def _map(delivery: dict[str, Any], payload: Any, now: datetime) -> Mapped:
    platform = delivery.get("platform")
    if platform == "shopify":
        return shopify.map_delivery(str(delivery.get("topic")), payload, str(delivery.get("webhook_id")), now)
    if platform == "woocommerce":
        return woocommerce.map_delivery(str(delivery.get("topic")), payload, now)
    if platform == "stripe":
        return stripe.map_delivery(payload)
    raise Unmapped(f"platform: {str(platform)[:20]!r} is not one of {', '.join(PLATFORMS)}")


def events_of(delivery: dict[str, Any], raw_body: str) -> list[OrderEvent] | str:
    """One queued delivery as winback's events, every one checked against the contract
    (nothing half-mapped); or the outcome when it maps to none: "ignored" (recorded with
    the reason) or "rejected" (to the dead-letter queue with the reason)."""
    platform = str(delivery.get("platform"))
    try:
        body = base64.b64decode(str(delivery.get("body", "")))
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        return rejects.reject(raw_body, f"{platform} body: not valid JSON ({str(error)[:80]})", None)
    try:
        mapped = _map(delivery, payload, clock.parse(str(delivery.get("received_at"))))
        events = [parse_event(_with_pictures(event)) for event in mapped.events]
    except (Unmapped, InvalidEvent) as problem:
        return rejects.reject(body.decode("utf-8", "replace"), f"{platform}: {problem.reason}", None)
    if mapped.ignored:
        journal.record("webhook.ignored", platform=platform, topic=delivery.get("topic"), reason=mapped.ignored)
        return "ignored"
    return events


def _with_pictures(event: dict[str, Any]) -> dict[str, Any]:
    """Line items shown in emails, without an image or link in the payload (Shopify's and
    Woo's have none), get the catalogue's."""
    from winback.domain import catalogue

    for item in (event["detail"].get("items") or [])[:SHOWN_ITEMS]:
        if isinstance(item, dict) and not item.get("image_url") and isinstance(item.get("sku"), str):
            product = catalogue.look_up(item["sku"])
            if product and product.get("image_url"):
                item["image_url"] = product["image_url"]
            if product and product.get("url") and not item.get("url"):
                item["url"] = product["url"]
    return event


def from_shopify_bridge(raw: dict[str, Any]) -> dict[str, Any]:
    """An event from Shopify's EventBridge partner source as a delivery: the payload and
    Shopify's headers arrive in `detail` (no signature: EventBridge is the trusted channel)."""
    detail = obj(raw.get("detail"))
    headers = {str(k).lower(): str(v) for k, v in (detail.get("metadata") or {}).items()}
    return {
        "platform": "shopify",
        "topic": headers.get("x-shopify-topic", ""),
        "webhook_id": headers.get("x-shopify-webhook-id") or str(raw.get("id")),
        "received_at": str(raw.get("time") or clock.iso(clock.now())),
        "body": base64.b64encode(json.dumps(detail.get("payload")).encode()).decode(),
    }
