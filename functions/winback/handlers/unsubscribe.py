"""The unsubscribe link's endpoint (a Lambda function URL, no login): GET shows a page
with a confirm button, POST (RFC 8058's one-click, or that button) unsubscribes."""

import base64
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from winback.aws.observe import logger, metrics
from winback.domain import suppression


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    from winback.emails.render import page

    method = event.get("requestContext", {}).get("http", {}).get("method", "GET")
    text = (event.get("queryStringParameters") or {}).get("t", "")
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        body = base64.b64decode(body).decode(errors="replace")
    status, state, locale = suppression.answer(method, text, body)
    html = page("unsubscribe", {"state": state, "action": f"?t={text}"}, locale)
    headers = {"content-type": "text/html; charset=utf-8", "cache-control": "no-store", "x-robots-tag": "noindex"}
    return {"statusCode": status, "headers": headers, "body": html}
