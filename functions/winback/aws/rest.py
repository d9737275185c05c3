"""HTTP requests as Lambda gets them: the body as sent (the webhooks' function URL, the
coupon API), and an API Gateway REST API (proxy integration) request in, a JSON
response out (the coupon API).

The coupon API has two routes and a JSON body, so it does not load Powertools' event
handler: that package imports every resolver it has (AppSync, Bedrock, VPC Lattice...),
about 16 ms of the coupon API's cold start, the latency of a checkout's first coupon
check. The responses are the ones that resolver gave: the same status codes, headers
and `{"statusCode": ..., "message": ...}` error bodies.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from typing import Any

Route = Callable[[Any], dict[str, Any]]  # the request's JSON body -> the response's


class BadRequest(Exception):
    """A request the route refuses: answered 400 with this message."""


def response(status: int, body: Any) -> dict[str, Any]:
    return {
        "statusCode": status,
        "multiValueHeaders": {"Content-Type": ["application/json"]},
        "body": json.dumps(body, separators=(",", ":")),
        "isBase64Encoded": False,
    }


def _error(status: int, message: str) -> dict[str, Any]:
    return response(status, {"statusCode": status, "message": message})


def raw_body(event: Mapping[str, Any]) -> bytes:
    """The body's bytes as sent: API Gateway and function URLs pass a body they do not
    take for text base64-encoded."""
    raw = event.get("body") or ""
    return base64.b64decode(raw) if event.get("isBase64Encoded") else raw.encode()


def json_body(event: Mapping[str, Any]) -> Any:
    """The body as JSON (None when there is none); BadRequest when it is not JSON."""
    if event.get("body") is None:
        return None
    try:
        return json.loads(raw_body(event))
    except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors too
        raise BadRequest("invalid request: the body is not JSON") from None


def resolve(event: Mapping[str, Any], routes: Mapping[tuple[str, str], Route]) -> dict[str, Any]:
    """Call the route for the event's method and resource path with its JSON body.

    The resource path is the one the API declares (`/coupons/validate`), whatever base
    path a custom domain adds in front of it."""
    route = routes.get((str(event.get("httpMethod", "")), str(event.get("resource") or event.get("path", ""))))
    if route is None:
        return _error(404, "Not found")
    try:
        return response(200, route(json_body(event)))
    except BadRequest as refused:
        return _error(400, str(refused))
