"""What every connector shares: the reason a delivery maps to nothing, the envelope of
winback's own events, money and contacts read the same way for each platform."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from winback.model import clock


class Unmapped(ValueError):
    """A verified delivery winback cannot turn into events: rejected with this reason."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class Mapped:
    """The events one delivery means (in the order to apply them), or why it means none."""

    events: list[dict[str, Any]] = field(default_factory=list)
    ignored: str | None = None  # a delivery with nothing for winback, e.g. a checkout before its email


def envelope(event_id: str, source: str, at: datetime, detail_type: str, detail: dict[str, Any]) -> dict[str, Any]:
    """One of winback's events (docs/events.md), as if the shop had put it on the bus."""
    return {"id": event_id, "time": clock.iso(at), "source": source, "detail-type": detail_type, "detail": detail}


def timestamp(value: Any, what: str) -> datetime:
    """An RFC 3339 string (Shopify, WooCommerce's *_gmt without a zone) or Unix seconds (Stripe)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=UTC)
    if isinstance(value, str) and value:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise Unmapped(f"{what}: {value[:40]!r} is not a date") from None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    raise Unmapped(f"{what}: missing")


def amount(value: Any, what: str) -> str:
    """A decimal amount as the contract wants it (a string), from a string or a number."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise Unmapped(f"{what}: {str(value)[:40]!r} is not an amount")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise Unmapped(f"{what}: {str(value)[:40]!r} is not an amount") from None
    return f"{number:f}"


def guest_id(platform: str, email: str) -> str:
    """A stable contact id for a guest checkout (no customer account), without the address in it."""
    return f"{platform}-guest-{hashlib.sha256(email.strip().lower().encode()).hexdigest()[:20]}"


def obj(value: Any) -> dict[str, Any]:
    """A JSON object of the payload, or an empty one where there is none (or something else)."""
    return value if isinstance(value, dict) else {}


def text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None
