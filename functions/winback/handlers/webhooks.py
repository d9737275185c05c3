"""The shop webhooks' endpoint (a Lambda function URL): POST /shopify, /woocommerce or
/stripe. Verifies the platform's signature on the raw body, queues the delivery and
answers at once; the order events function maps it (domain/webhooks.py)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from winback.aws import rest
from winback.aws.observe import logger, metrics
from winback.domain import webhooks


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    method = event.get("requestContext", {}).get("http", {}).get("method", "GET")
    if method != "POST":
        return {"statusCode": 405, "headers": {"allow": "POST"}, "body": "POST only"}
    body = rest.raw_body(event)
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    platform = str(event.get("rawPath", "/")).strip("/").split("/")[0]
    status, text = webhooks.receive(platform, headers, body)
    return {"statusCode": status, "headers": {"content-type": "text/plain"}, "body": text}
