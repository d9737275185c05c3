"""Each platform's webhook signature, checked on the raw body before anything parses it.

- Shopify: `X-Shopify-Hmac-Sha256`, base64 of HMAC-SHA256(app secret, raw body).
- WooCommerce: `X-WC-Webhook-Signature`, the same construction with the webhook's secret.
- Stripe: `Stripe-Signature: t=<unix time>,v1=<hex>[,v1=...]`, hex HMAC-SHA256(endpoint
  secret, "<t>.<raw body>"), refused when `t` is more than TOLERANCE seconds away from now.

Every check accepts several secrets (the old and the new one during a rotation) and
compares in constant time. A body re-serialised on the way (whitespace, key order)
fails: the signature is over the bytes as sent.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable

STRIPE_TOLERANCE_SECONDS = 300


def _digest(secret: str, message: bytes) -> bytes:
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()


def base64_hmac_ok(body: bytes, signature: str | None, secrets: Iterable[str]) -> bool:
    """Shopify's and WooCommerce's scheme."""
    if not signature:
        return False
    try:
        given = base64.b64decode(signature.strip(), validate=True)
    except ValueError:
        return False
    return any(hmac.compare_digest(_digest(secret, body), given) for secret in secrets if secret)


def stripe_ok(body: bytes, header: str | None, secrets: Iterable[str], now: float) -> bool:
    """Stripe's scheme: any `v1` of the header from any secret, within the tolerance."""
    if not header:
        return False
    stamp, candidates = None, []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            stamp = value
        elif key == "v1":
            candidates.append(value)
    if stamp is None or not stamp.isdigit() or not candidates:
        return False
    if abs(now - int(stamp)) > STRIPE_TOLERANCE_SECONDS:
        return False
    signed = stamp.encode() + b"." + body
    for secret in filter(None, secrets):
        expected = _digest(secret, signed).hex()
        if any(hmac.compare_digest(expected, candidate) for candidate in candidates):
            return True
    return False


def shopify_signature(body: bytes, secret: str) -> str:
    """What Shopify (and WooCommerce) would send for `body`: for tests and local replays."""
    return base64.b64encode(_digest(secret, body)).decode()


def stripe_signature(body: bytes, secret: str, at: int) -> str:
    return f"t={at},v1={_digest(secret, str(at).encode() + b'.' + body).hex()}"
