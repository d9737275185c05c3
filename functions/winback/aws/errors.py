"""What a failing task tells Step Functions: retry it, or stop and call someone.

A throttled, briefly unavailable or unreachable AWS service is a `TransientError`: the
state machines retry it with backoff. An AWS error that no retry fixes (AccessDenied,
SES refusing the message or the sender, a table that does not exist) is a
`PermanentError`: nothing retries it, it fails the task at once with the AWS error code
as its reason and counts in the `PermanentErrors` metric (the ConfigurationErrorsAlarm),
so a configuration mistake is one alarm, not a retry storm. docs/errors.md has the table.
Anything else is a bug or bad data and fails the task at once too.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import PynamoDBException

F = TypeVar("F", bound=Callable[..., Any])

# Error codes that a retry may fix: throttling, capacity, the service's own failures.
TRANSIENT_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "SlowDown",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceededException",
        "TransactionConflictException",
        "LimitExceededException",  # SES: the sending rate for this second
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalFailure",
        "InternalError",
        "InternalServerError",
        "InternalServerException",
        "RequestTimeout",
        "RequestTimeoutException",
        "ExpiredToken",
        "ExpiredTokenException",  # the runtime refreshes its credentials
    }
)


class TransientError(RuntimeError):
    """A dependency failed in a way that a retry may fix (throttling, 5xx, network)."""


class SendingRateExceeded(TransientError):
    """This second's share of the account's SES sending rate is taken: the state machines
    retry it for up to an hour (a burst is spread out, nothing is lost)."""


class PermanentError(RuntimeError):
    """An AWS call failed in a way no retry fixes: a setting to correct (see docs/errors.md)."""

    def __init__(self, code: str, operation: str, message: str) -> None:
        super().__init__(f"{code} on {operation}: {message}")
        self.code = code


def _client_error(error: BaseException) -> ClientError | None:
    """The botocore ClientError behind `error` (PynamoDB wraps them)."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ClientError):
            return seen
        seen = getattr(seen, "cause", None) or seen.__cause__
    return None


def classify(error: BaseException) -> TransientError | PermanentError:
    """What an AWS or DynamoDB failure means for a retry."""
    found = _client_error(error)
    if found is None:  # no answer from AWS: a connection, a timeout
        return TransientError(f"{type(error).__name__}: {error}")
    details = found.response.get("Error", {})
    code = str(details.get("Code", "Unknown"))
    status = int(found.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    if code in TRANSIENT_CODES or status >= 500:
        return TransientError(f"{code}: {details.get('Message', '')}")
    return PermanentError(code, found.operation_name, str(details.get("Message", "")))


def retryable[F: Callable[..., Any]](func: F) -> F:
    """Handler decorator: AWS and DynamoDB failures surface as TransientError or PermanentError."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (ClientError, BotoCoreError, PynamoDBException) as error:
            surfaced = classify(error)
            if isinstance(surfaced, PermanentError):
                _count_permanent(surfaced)
            raise surfaced from error

    return wrapper  # type: ignore[return-value]


def _count_permanent(error: PermanentError) -> None:
    from aws_lambda_powertools.metrics import MetricUnit

    from winback.aws.observe import logger, metrics

    metrics.add_metric(name="PermanentErrors", unit=MetricUnit.Count, value=1)
    logger.error("permanent AWS error, not retried", extra={"reason": error.code})
