"""The Powertools Logger, Tracer and Metrics every handler shares.

Powertools' Tracer loads the X-Ray SDK, 10 to 90 ms of cold start (bench/cold_start.py),
even when disabled. With POWERTOOLS_TRACE_DISABLED=true (the stack's XRayTracing
parameter set to Disabled) handlers get a tracer that does nothing and import nothing.
"""

import os
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics

SERVICE = "winback"
F = TypeVar("F", bound=Callable[..., Any])

logger = Logger(service=SERVICE)
metrics = Metrics(namespace="winback", service=SERVICE)


class _NoTracer:
    """Tracer's decorators, doing nothing: tracing is off for this stack."""

    def capture_lambda_handler(self, handler: F) -> F:
        return handler

    def capture_method(self, method: F) -> F:
        return method


def _tracer() -> Any:
    if os.environ.get("POWERTOOLS_TRACE_DISABLED", "").lower() == "true":
        return _NoTracer()
    from aws_lambda_powertools import Tracer

    # Only the AWS SDK is traced (every call a subsegment): patching every library the X-Ray
    # SDK knows imports a dozen patchers for clients winback does not use.
    return Tracer(service=SERVICE, patch_modules=("botocore",))


tracer = _tracer()
