"""The coupon API the checkout calls: POST /coupons/validate and /coupons/redeem."""

from decimal import Decimal
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from winback.aws import rest
from winback.aws.observe import logger, metrics, tracer
from winback.domain import coupons
from winback.model.money import reporting_currency


class CouponRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    code: str = Field(min_length=1, max_length=64)
    contact_id: str = Field(min_length=1, max_length=128)
    offer_id: str = Field(min_length=1, max_length=128)
    price: Decimal = Field(ge=0, le=Decimal("1000000000"), allow_inf_nan=False)
    order_id: str | None = Field(default=None, min_length=1, max_length=128)
    # The order's currency; the stack's reporting currency when left out.
    currency: str = Field(default_factory=reporting_currency, pattern=r"^[A-Z]{3}$")


def _request(body: Any) -> CouponRequest:
    try:
        return CouponRequest.model_validate(body or {})
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        message = "is required" if first["type"] == "missing" else first["msg"]
        raise rest.BadRequest(f"invalid request: {where}: {message}") from None


def validate(body: Any) -> dict[str, Any]:
    r = _request(body)
    return coupons.validate(r.code, r.contact_id, r.offer_id, r.price, r.currency).as_json()


def redeem(body: Any) -> dict[str, Any]:
    r = _request(body)
    if not r.order_id:
        raise rest.BadRequest("invalid request: order_id is required to redeem")
    return coupons.redeem(r.code, r.contact_id, r.offer_id, r.price, r.currency, r.order_id).as_json()


ROUTES = {("POST", "/coupons/validate"): validate, ("POST", "/coupons/redeem"): redeem}


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return rest.resolve(event, ROUTES)
