"""Lambda in-process: boto3 `lambda.Invoke` calls answered by the handler a function
name maps to, with what Lambda returns for a handler that raises. The engine registers
it for Step Functions' Lambda tasks; the runtime invokes through it too."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from botocore.awsrequest import AWSResponse

FunctionRoute = Callable[[dict[str, Any]], Any]


class LambdaRoutes:
    """Answers boto3 `lambda.Invoke` calls in-process: function name -> handler."""

    def __init__(self) -> None:
        self.routes: dict[str, FunctionRoute] = {}
        self.invocations = 0
        self.failed = 0  # invocations that raised: Step Functions or SQS runs them again

    def add(self, function_name: str, handler: FunctionRoute) -> None:
        self.routes[function_name] = handler

    def __call__(self, params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        name = unquote(params["url_path"].split("/functions/")[1].split("/")[0])
        name = name.rsplit(":", 1)[-1] if name.startswith("arn:") else name
        handler = self.routes.get(name)
        if handler is None:
            raise KeyError(f"no local handler for Lambda function {name!r}")
        body = params.get("body") or b"{}"
        payload = json.loads(body.decode() if isinstance(body, bytes) else body)
        self.invocations += 1
        parsed: dict[str, Any] = {"StatusCode": 200}
        try:
            result = handler(payload)
        except BaseException as error:  # what Lambda returns for an unhandled exception, or a crash
            if isinstance(error, (KeyboardInterrupt, SystemExit)):
                raise
            self.failed += 1
            result = {"errorType": getattr(error, "error_type", type(error).__name__), "errorMessage": str(error)}
            parsed["FunctionError"] = "Unhandled"
        data = json.dumps(result, default=str).encode()
        parsed["Payload"] = _Body(data)
        return AWSResponse("local", 200, {}, None), parsed  # type: ignore[arg-type]


class _Body(io.BytesIO):
    """A StreamingBody stand-in: moto reads the payload with .read()."""
