"""The tasks of the unpaid-order recovery state machine."""

from typing import Any

from aws_lambda_powertools.utilities.parser import BaseModel, event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from winback import recovery
from winback.errors import retryable
from winback.observe import logger, metrics, tracer


class FlowStep(BaseModel):
    order_id: str
    campaign_id: str
    execution: str


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@retryable
@event_parser(model=FlowStep)
def offer_coupon(event: FlowStep, context: LambdaContext) -> dict[str, Any]:
    return recovery.offer_coupon_if_unpaid(event.order_id, event.campaign_id, event.execution)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@retryable
@event_parser(model=FlowStep)
def send_coupon_email(event: FlowStep, context: LambdaContext) -> dict[str, Any]:
    return recovery.send_coupon_email(event.order_id, event.campaign_id, event.execution)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@retryable
@event_parser(model=FlowStep)
def end_coupon_eligibility(event: FlowStep, context: LambdaContext) -> dict[str, Any]:
    return recovery.end_coupon_eligibility(event.order_id, event.campaign_id, event.execution)
