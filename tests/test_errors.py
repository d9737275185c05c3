"""Permanent AWS errors stop at once with their name; transient ones are retried."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from pynamodb.exceptions import PutError

from conftest import Harness, at, order_created
from winback.aws.errors import PermanentError, TransientError, classify


def _error(code: str, status: int = 400) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}}, "Op")


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (_error("AccessDeniedException"), PermanentError),
        (_error("AccessDenied", 403), PermanentError),
        (_error("MessageRejected"), PermanentError),
        (_error("MailFromDomainNotVerifiedException"), PermanentError),
        (_error("SendingPausedException"), PermanentError),
        (_error("ResourceNotFoundException"), PermanentError),
        (_error("TooManyRequestsException", 429), TransientError),
        (_error("ThrottlingException"), TransientError),
        (_error("ProvisionedThroughputExceededException"), TransientError),
        (_error("LimitExceededException"), TransientError),
        (_error("SomethingNew", 503), TransientError),
        (EndpointConnectionError(endpoint_url="https://email.us-east-1.amazonaws.com"), TransientError),
        (PutError("Failed to put item", cause=_error("AccessDeniedException")), PermanentError),
        (PutError("Failed to put item", cause=_error("ProvisionedThroughputExceededException")), TransientError),
    ],
)
def test_each_aws_error_is_retried_or_not_by_its_kind(error: Exception, kind: type) -> None:
    assert isinstance(classify(error), kind)


def test_a_refused_sender_fails_the_step_at_once_without_retries_and_sends_nothing(
    stack: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    from winback.aws import mailer

    calls = {"n": 0}

    def refused(**request: object) -> None:
        calls["n"] += 1
        raise ClientError(
            {"Error": {"Code": "MessageRejected", "Message": "Email address is not verified."}}, "SendEmail"
        )

    monkeypatch.setattr(mailer._ses(), "send_email", refused)
    stack.send("Order Created", order_created())
    stack.run_until(at(hours=2))
    assert calls["n"] == 1, "a permanent error must not be retried"
    assert stack.rt.outbox == []
    [execution] = stack.rt.executions()
    history = boto3.client("stepfunctions").get_execution_history(executionArn=execution["executionArn"])
    failures = [e["taskFailedEventDetails"] for e in history["events"] if e["type"] == "TaskFailed"]
    assert [f["error"] for f in failures] == ["PermanentError"]
    assert "MessageRejected" in failures[0]["cause"]
    assert execution["status"] == "FAILED"
