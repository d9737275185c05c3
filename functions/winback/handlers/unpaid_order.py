"""The tasks of the unpaid-order recovery state machine."""

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from winback import recovery
from winback.errors import retryable
from winback.observe import logger, metrics, tracer

Step = Callable[[str, str, str], dict[str, Any]]


class FlowStep(BaseModel):
    """What every task of a flow receives from its state machine."""

    order_id: str
    campaign_id: str
    execution: str


def flow_task(step: Step) -> Callable[[dict[str, Any], LambdaContext], dict[str, Any]]:
    """A Lambda handler for one flow step: the shared decorator stack around it."""

    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        parsed = FlowStep.model_validate(event)
        return step(parsed.order_id, parsed.campaign_id, parsed.execution)

    handler.__name__ = handler.__qualname__ = step.__name__
    decorated: Any = handler
    for decorate in (retryable, metrics.log_metrics, tracer.capture_lambda_handler, logger.inject_lambda_context):
        decorated = decorate(decorated)
    return decorated  # type: ignore[no-any-return]


offer_coupon = flow_task(recovery.offer_coupon_if_unpaid)
send_coupon_email = flow_task(recovery.send_coupon_email)
end_coupon_eligibility = flow_task(recovery.end_coupon_eligibility)
