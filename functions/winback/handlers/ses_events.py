"""SES's bounce, complaint and (with ClickTracking) click events, from the configuration
set's EventBridge destination."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from winback.aws.errors import retryable
from winback.aws.observe import logger, metrics
from winback.domain import revenue, suppression


@metrics.log_metrics
@logger.inject_lambda_context
@retryable
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if event.get("detail-type") == "Email Clicked":
        return {"click": revenue.clicked(event)}
    return suppression.from_ses_event(event)
