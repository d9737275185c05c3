"""Shop webhook deliveries replayed through winback's endpoint on the local runtime, as
the platform sent them: a merchant replays a day of their shop's real webhooks before
going live, and examples/webhooks/ shows each platform's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict

from winback.connectors import signatures
from winback.model import clock
from winback_local import provision
from winback_local.runtime import LocalRuntime

SIGNATURE_HEADERS = {"shopify": "X-Shopify-Hmac-Sha256", "woocommerce": "X-WC-Webhook-Signature"}


class Webhook(BaseModel):
    """A shop's webhook delivery, replayed through the endpoint as the platform sent it:
    `body` is the raw body (a string, byte for byte), or a JSON value, serialised
    compactly; `sign: true` signs it with the local secret (hand-written fixtures)."""

    model_config = ConfigDict(extra="forbid")
    at: AwareDatetime
    platform: Literal["shopify", "woocommerce", "stripe"]
    headers: dict[str, str] = {}
    body: Any = None
    file: str | None = None  # the body from a file, relative to the scenario
    sign: bool = False

    def raw(self) -> bytes:
        if self.file is not None:
            return Path(self.file).read_bytes()
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body, separators=(",", ":"), ensure_ascii=False).encode()


def signed(platform: str, headers: dict[str, str], body: bytes, secret: str, at: int) -> dict[str, str]:
    """`headers` with the platform's signature of `body` added, as the platform would."""
    if platform == "stripe":
        return {**headers, "Stripe-Signature": signatures.stripe_signature(body, secret, at)}
    return {**headers, SIGNATURE_HEADERS[platform]: signatures.shopify_signature(body, secret)}


def replay_webhook(runtime: LocalRuntime, hook: Webhook, secrets: dict[str, list[str]] | None) -> int:
    """POST one delivery to the endpoint (the order events function then maps it); the status."""
    body = hook.raw()
    headers = dict(hook.headers)
    if hook.sign:
        secret = ((secrets or provision.LOCAL_CONNECTOR_SECRETS).get(hook.platform) or [""])[0]
        headers = signed(hook.platform, headers, body, secret, int(clock.now().timestamp()))
    status, _ = runtime.webhook(hook.platform, headers, body)
    return status


def use_secrets(runtime: LocalRuntime, secrets: dict[str, Any]) -> None:
    """The scenario's own platform secrets (a real shop's) instead of the local ones."""
    runtime.client("secretsmanager").put_secret_value(
        SecretId=runtime.physical["ConnectorSecret"], SecretString=json.dumps(secrets)
    )
