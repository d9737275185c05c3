"""A shop's erasure request ("Contact Erasure Requested" on the bus, its own rule)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from winback.aws.errors import retryable
from winback.aws.observe import logger, metrics
from winback.domain import privacy


@metrics.log_metrics
@logger.inject_lambda_context
@retryable
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return privacy.on_request(event)
