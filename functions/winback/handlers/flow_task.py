"""One Lambda handler per flow step: the shared decorator stack around a domain call."""

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from winback.aws.errors import retryable
from winback.aws.observe import logger, metrics, tracer


def flow_task(
    step: Callable[..., dict[str, Any]], model: type[BaseModel]
) -> Callable[[dict[str, Any], LambdaContext], dict[str, Any]]:
    """`model` is what the state machine passes the task (checked, then given to
    `step` as keyword arguments)."""

    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return step(**model.model_validate(event).model_dump())

    handler.__name__ = handler.__qualname__ = step.__name__
    decorated: Any = handler
    for decorate in (retryable, metrics.log_metrics, tracer.capture_lambda_handler, logger.inject_lambda_context):
        decorated = decorate(decorated)
    return decorated  # type: ignore[no-any-return]
