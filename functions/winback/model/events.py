"""The order-event contract (docs/events.md) as pydantic models.

`parse_event` turns one EventBridge envelope into a typed event or raises
`InvalidEvent` with a reason a person can read, naming the field at fault.
Unknown fields are kept (extra="allow"), never a reason to reject. `json_schema()` is
the same contract as JSON Schema, generated from these models (docs/events.schema.json).
"""

from __future__ import annotations

import os
import re
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Annotated, Any, Literal
from zoneinfo import available_timezones

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
)
from pydantic.json_schema import models_json_schema

from winback.model import clock
from winback.model.money import is_currency

MAX_AMOUNT = Decimal("1000000000")
# A cart or order may hold up to MAX_ITEMS lines (EventBridge's 256 KB per event comes
# first for long ones); winback keeps and shows the first SHOWN_ITEMS, then "and N more".
MAX_ITEMS = 1000
SHOWN_ITEMS = 10
# An event stamped further ahead than this is a clock bug at the shop, not an order.
MAX_CLOCK_SKEW = timedelta(hours=1)


class InvalidEvent(ValueError):
    """An event that breaks the contract; `reason` names the field and the fault."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
Name = Annotated[str, StringConstraints(max_length=200)]
Text = Annotated[str, StringConstraints(max_length=2000)]


def _money(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise ValueError('must be a decimal string such as "49.90"')
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{str(value)[:40]!r} is not a decimal amount") from None
    if not amount.is_finite():
        raise ValueError("must be a finite amount")
    if amount < 0:
        raise ValueError("must not be negative")
    if amount > MAX_AMOUNT:
        raise ValueError(f"is larger than {MAX_AMOUNT}")
    if amount.as_tuple().exponent < -4:  # type: ignore[operator]
        raise ValueError("has more than 4 decimals")
    return amount


Money = Annotated[
    Decimal,
    BeforeValidator(_money),
    WithJsonSchema({"type": "string", "pattern": r"^\d+(\.\d{1,4})?$", "examples": ["49.90"]}),
]

_EMAIL = re.compile(
    r"^[^@\s\"<>,;()\[\]\\]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)


def _email(value: str) -> str:
    if len(value) > 254 or not _EMAIL.match(value):
        raise ValueError("is not a valid email address")
    return value


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def shop_timezone() -> str:
    """The stack's ShopTimeZone (UTC unless set, or if set to something unknown)."""
    zone = os.environ.get("SHOP_TIMEZONE") or "UTC"
    return zone if zone in _zones() else "UTC"


def _timezone(value: Any, info: ValidationInfo) -> str:
    """An optional field: a misspelt zone falls back to the shop's (then UTC) with a
    warning on the event, instead of losing the order."""
    if isinstance(value, str) and value in _zones():
        return value
    if value is not None and (not isinstance(value, str) or len(value) > 64):
        raise ValueError("is not an IANA time zone (a name such as Europe/Paris)")  # not a misspelling
    fallback = shop_timezone()
    warnings = (info.context or {}).get("warnings")
    if warnings is not None:
        warnings.append(f"contact.timezone: {str(value)[:40]!r} is not an IANA time zone; using {fallback}")
    return fallback


_LOCALE = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")


def _locale(value: str) -> str:
    """Well-formed tags are accepted and cut to their language ("fr-FR" -> "fr").

    A language winback has no templates for is kept as given; rendering falls back to en.
    """
    if not _LOCALE.match(value):
        raise ValueError(f"{value[:40]!r} is not a language tag")
    return value.replace("_", "-").split("-")[0].lower()


def _currency(value: str) -> str:
    if not is_currency(value):
        raise ValueError(f"{value[:12]!r} is not an ISO 4217 currency code")
    return value


def _url(value: str) -> str:
    if len(value) > 2048 or not re.match(r"^https?://[^\s]+$", value):
        raise ValueError("is not an http(s) URL")
    return value


Email = Annotated[str, AfterValidator(_email), WithJsonSchema({"type": "string", "format": "email", "maxLength": 254})]
TimeZone = Annotated[
    str,
    BeforeValidator(_timezone),
    WithJsonSchema(
        {"type": "string", "description": "an IANA time zone; missing or unknown: the shop's (ShopTimeZone)"}
    ),
]
Locale = Annotated[
    str,
    AfterValidator(_locale),
    WithJsonSchema({"type": "string", "pattern": _LOCALE.pattern, "description": "en, fr, it or uk; others get en"}),
]
Currency = Annotated[
    str,
    AfterValidator(_currency),
    WithJsonSchema({"type": "string", "pattern": "^[A-Z]{3}$", "description": "ISO 4217"}),
]
Url = Annotated[
    str,
    AfterValidator(_url),
    WithJsonSchema({"type": "string", "format": "uri", "pattern": "^https?://", "maxLength": 2048}),
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class Contact(_Model):
    id: Id
    email: Email
    first_name: Name | None = None
    locale: Locale = "en"
    timezone: TimeZone = Field(default_factory=shop_timezone)
    marketing_consent: bool = False


class Item(_Model):
    sku: Id
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    unit_price: Money
    quantity: Annotated[int, Field(ge=1, le=10_000)]
    description: Text | None = None
    image_url: Url | None = None
    url: Url | None = None


class CheckoutStarted(_Model):
    cart_id: Id
    contact: Contact
    # Empty when the shopper emptied the cart: that ends the cart's series.
    items: Annotated[list[Item], Field(max_length=MAX_ITEMS)]
    currency: Currency
    subtotal: Money
    restore_url: Url


class OrderCreated(_Model):
    order_id: Id
    contact: Contact
    offer_id: Id
    items: Annotated[list[Item], Field(max_length=MAX_ITEMS)]
    currency: Currency
    total: Money
    pay_url: Url
    cart_id: Id | None = None


class OrderPaid(_Model):
    order_id: Id
    contact_id: Id
    total: Money
    currency: Currency
    coupon_code: Id | None = None


class OrderCancelled(_Model):
    order_id: Id
    contact_id: Id
    # Why, if the shop says: "customer" (the shopper cancelled), "fraud" or "inventory"
    # end everything; otherwise (a declined or expired payment) an order made from a
    # cart gives the cart back its reminders.
    reason: Annotated[str, StringConstraints(max_length=64)] | None = None


class ContactUpdated(_Model):
    contact: Contact


class ContactConsentChanged(_Model):
    """Only the marketing consent changed (Shopify's customers_email_marketing_consent/update)."""

    contact_id: Id
    marketing_consent: bool


class ContactErasureRequested(_Model):
    """The shop asks winback to forget a person (a GDPR erasure, Shopify's customers/redact)."""

    contact_id: Id


DETAIL_MODELS: dict[str, type[_Model]] = {
    "Checkout Started": CheckoutStarted,
    "Order Created": OrderCreated,
    "Order Paid": OrderPaid,
    "Order Cancelled": OrderCancelled,
    "Contact Updated": ContactUpdated,
    "Contact Consent Changed": ContactConsentChanged,
    "Contact Erasure Requested": ContactErasureRequested,
}
DETAIL_TYPES = tuple(DETAIL_MODELS)

Detail = (
    CheckoutStarted
    | OrderCreated
    | OrderPaid
    | OrderCancelled
    | ContactUpdated
    | ContactConsentChanged
    | ContactErasureRequested
)


class Envelope(BaseModel):
    """The EventBridge event around a detail; only what winback reads is required."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)
    id: Id
    time: datetime
    source: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    detail_type: Literal[
        "Checkout Started",
        "Order Created",
        "Order Paid",
        "Order Cancelled",
        "Contact Updated",
        "Contact Consent Changed",
        "Contact Erasure Requested",
    ] = Field(alias="detail-type")
    detail: dict[str, Any]


class OrderEvent(BaseModel):
    """A parsed event: envelope fields winback uses plus the typed detail."""

    model_config = ConfigDict(frozen=True)
    id: str
    time: datetime
    source: str
    detail_type: str
    detail: Detail
    # What was wrong but optional, fixed on the way in (a misspelt time zone): recorded, not rejected.
    warnings: tuple[str, ...] = ()


def json_schema() -> dict[str, Any]:
    """The contract as JSON Schema (2020-12): the envelope, and each detail by its type."""
    _, definitions = models_json_schema([(model, "validation") for model in DETAIL_MODELS.values()])
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "winback order event",
        "description": "An EventBridge event the shop puts on winback's bus. Unknown fields are allowed.",
        "type": "object",
        "required": ["id", "time", "source", "detail-type", "detail"],
        "properties": {
            "id": {"type": "string", "minLength": 1, "maxLength": 128, "description": "the same for a duplicate"},
            "time": {"type": "string", "format": "date-time", "description": "when it happened, RFC 3339"},
            "source": {"type": "string", "minLength": 1, "description": "the stack's EventSource parameter"},
            "detail-type": {"enum": list(DETAIL_TYPES)},
            "detail": {"type": "object"},
        },
        "allOf": [
            {
                "if": {"properties": {"detail-type": {"const": name}}},
                "then": {"properties": {"detail": {"$ref": f"#/$defs/{model.__name__}"}}},
            }
            for name, model in DETAIL_MODELS.items()
        ],
        "$defs": definitions["$defs"],
    }


def _reason(error: ValidationError, prefix: str = "") -> str:
    first = error.errors(include_url=False)[0]
    where = ".".join(str(part) for part in first["loc"]) or "event"
    message = first["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    if first["type"] == "missing":
        message = "is required"
    elif first["type"] == "literal_error" and where == "detail-type":
        message = f"must be one of {', '.join(DETAIL_TYPES)}"
    more = len(error.errors()) - 1
    tail = f" (and {more} more problem{'s' if more > 1 else ''})" if more > 0 else ""
    return f"{prefix}{where}: {message}{tail}"


def parse_event(raw: Any) -> OrderEvent:
    """Validate one EventBridge envelope; raise InvalidEvent naming the field."""
    if not isinstance(raw, dict):
        raise InvalidEvent("event: must be a JSON object")
    try:
        envelope = Envelope.model_validate(raw)
    except ValidationError as error:
        raise InvalidEvent(_reason(error)) from None
    moment = envelope.time
    if moment.tzinfo is None:
        raise InvalidEvent("time: must carry a time zone (RFC 3339)")
    if moment - clock.now() > MAX_CLOCK_SKEW:
        raise InvalidEvent("time: is in the future")
    model = DETAIL_MODELS[envelope.detail_type]
    warnings: list[str] = []
    try:
        detail = model.model_validate(envelope.detail, context={"warnings": warnings})
    except ValidationError as error:
        raise InvalidEvent(_reason(error, "detail.")) from None
    return OrderEvent(
        id=envelope.id,
        time=moment,
        source=envelope.source,
        detail_type=envelope.detail_type,
        detail=detail,  # type: ignore[arg-type]
        warnings=tuple(f"detail.{warning}" for warning in warnings),
    )
