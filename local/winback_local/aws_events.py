"""The events AWS hands a Lambda function, as the local runtime builds them."""

from __future__ import annotations

import json
import uuid
from typing import Any


def sqs_record(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """One record of an SQS event source mapping's batch, from a ReceiveMessage result."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": {},
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


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
