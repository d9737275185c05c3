"""The events AWS hands a Lambda function, as the local runtime builds them."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any


def api_gateway(method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """An API Gateway REST API proxy event with a JSON body."""
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": {"content-type": "application/json"},
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {"resourcePath": path, "httpMethod": method, "stage": "v1", "requestId": str(uuid.uuid4())},
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }


def function_url(
    method: str, url: str, body: str | bytes = "", headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """A Lambda function URL request (payload format 2.0), from the full URL. Bytes go
    base64-encoded, as Lambda passes a body it does not take for text."""
    import base64
    from urllib.parse import parse_qsl, urlsplit

    parts = urlsplit(url)
    encoded = isinstance(body, bytes)
    return {
        "version": "2.0",
        "rawPath": parts.path or "/",
        "rawQueryString": parts.query,
        "queryStringParameters": dict(parse_qsl(parts.query)) or None,
        "headers": {
            k.lower(): v for k, v in (headers or {"content-type": "application/x-www-form-urlencoded"}).items()
        },
        "requestContext": {"http": {"method": method, "path": parts.path or "/"}, "requestId": str(uuid.uuid4())},
        "body": base64.b64encode(body).decode() if isinstance(body, bytes) else body,
        "isBase64Encoded": encoded,
    }


def ses_event(detail_type: str, address: str, bounce_type: str = "Permanent", configuration_set: str = "") -> dict:
    """What SES puts on the default bus for a bounce or a complaint."""
    mail = {
        "messageId": str(uuid.uuid4()),
        "destination": [address],
        "tags": {"ses:configuration-set": [configuration_set]},
    }
    if detail_type == "Email Bounced":
        detail = {
            "eventType": "Bounce",
            "mail": mail,
            "bounce": {
                "bounceType": bounce_type,
                "bounceSubType": "General",
                "bouncedRecipients": [{"emailAddress": address}],
            },
        }
    else:
        detail = {
            "eventType": "Complaint",
            "mail": mail,
            "complaint": {"complainedRecipients": [{"emailAddress": address}]},
        }
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": detail_type, "source": "aws.ses", "detail": detail}


def after_each_call(
    events: Any, operation: str, name: str, answered: Callable[[dict[str, Any], dict[str, Any]], None]
) -> Callable[[], None]:
    """Call `answered(params, parsed)` after each `operation` ("sesv2.SendEmail") made
    through the session whose `events` these are, with the call's parameters and its
    parsed answer; returns the undo. `name` keeps two watchers of one call apart."""
    key = f"winback_{name}"

    def capture(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context[key] = params

    def answer(parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        if key in context:
            answered(context[key], parsed)

    events.register(f"before-parameter-build.{operation}", capture, unique_id=f"winback-{name}-in")
    events.register(f"after-call.{operation}", answer, unique_id=f"winback-{name}-out")

    def undo() -> None:
        events.unregister(f"before-parameter-build.{operation}", unique_id=f"winback-{name}-in")
        events.unregister(f"after-call.{operation}", unique_id=f"winback-{name}-out")

    return undo
