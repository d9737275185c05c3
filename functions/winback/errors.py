"""What a failing task tells Step Functions.

A throttled or briefly unavailable AWS call is a `TransientError`: the state
machines retry it with backoff. Anything else is a bug or bad data and fails the
task at once, where an operator sees it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import PynamoDBException

F = TypeVar("F", bound=Callable[..., Any])


class TransientError(RuntimeError):
    """A dependency failed in a way that a retry may fix (throttling, 5xx, network)."""


def retryable(func: F) -> F:
    """Handler decorator: AWS and DynamoDB failures surface as TransientError."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (ClientError, BotoCoreError, PynamoDBException) as error:
            raise TransientError(f"{type(error).__name__}: {error}") from error

    return wrapper  # type: ignore[return-value]
