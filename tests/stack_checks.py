"""Checks on template.yaml and the ASL files that a deploy would otherwise find late.

Each returns a list of problems in words; the tests assert the real files have none
and that a copy with a mistake injected has the expected one.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

from winback.local.template import Stack, Tag

PACKAGE = Path(__file__).resolve().parents[1] / "functions" / "winback"

STATES_ERRORS = {
    "States.ALL",
    "States.DataLimitExceeded",
    "States.ExceedToleratedFailureThreshold",
    "States.HeartbeatTimeout",
    "States.Http.Socket",
    "States.IntrinsicFailure",
    "States.ItemReaderFailed",
    "States.NoChoiceMatched",
    "States.ParameterPathFailure",
    "States.Permissions",
    "States.QueryEvaluationError",
    "States.ResultPathMatchFailure",
    "States.ResultWriterFailed",
    "States.Runtime",
    "States.TaskFailed",
    "States.Timeout",
    "States.BranchFailed",
}
LAMBDA_ERRORS = {
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
    "Lambda.ClientExecutionTimeoutException",
    "Lambda.Unknown",
}
KNOWN_RESOURCES = {"arn:aws:states:::lambda:invoke"}
# Actions that take no resource ARN: "*" is the only resource AWS accepts for them.
RESOURCELESS = {
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
}


def code_exceptions() -> set[str]:
    """Exception classes winback defines: the error names its tasks can raise."""
    names = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef) and any(
                getattr(base, "id", "").endswith(("Error", "Exception")) for base in node.bases
            ):
                names.add(node.name)
    return names


def _targets(state: dict[str, Any]) -> list[str]:
    found = [state.get("Next"), state.get("Default")]
    found += [choice.get("Next") for choice in state.get("Choices", [])]
    found += [catch.get("Next") for catch in state.get("Catch", [])]
    return [t for t in found if t]


def asl_problems(text: str, substitutions: dict[str, Any], stack: Stack) -> list[str]:
    try:
        definition = json.loads(text)
    except json.JSONDecodeError as error:
        return [f"not valid JSON: {error}"]
    problems: list[str] = []
    states = definition.get("States", {})
    if definition.get("StartAt") not in states:
        problems.append(f"StartAt {definition.get('StartAt')!r} is not a state")
    reached, todo = set(), [definition.get("StartAt")]
    while todo:
        name = todo.pop()
        if name in reached or name not in states:
            continue
        reached.add(name)
        todo += _targets(states[name])
    for name, state in states.items():
        for target in _targets(state):
            if target not in states:
                problems.append(f"{name}: Next {target!r} is not a state")
        if name not in reached:
            problems.append(f"{name}: no path from StartAt reaches it")
        if state.get("Type") == "Task" and state.get("Resource") not in KNOWN_RESOURCES:
            problems.append(f"{name}: unknown Resource {state.get('Resource')!r}")
        raised = code_exceptions()
        for rule in state.get("Retry", []) + state.get("Catch", []):
            for error in rule.get("ErrorEquals", []):
                if error not in STATES_ERRORS | LAMBDA_ERRORS | raised:
                    problems.append(
                        f"{name}: ErrorEquals {error!r} is neither a Step Functions error nor raised by the code"
                    )
    used = set(re.findall(r"\$\{([A-Za-z0-9_]+)\}", text))
    for variable in sorted(used - set(substitutions)):
        problems.append(f"${{{variable}}} has no DefinitionSubstitutions entry")
    for variable in sorted(set(substitutions) - used):
        problems.append(f"substitution {variable} is not used by the definition")
    for variable, value in substitutions.items():
        target = value.value if isinstance(value, Tag) else None
        logical_id = (target if isinstance(target, str) else (target or [""])[0]).split(".")[0]
        if logical_id not in stack.resources:
            problems.append(f"substitution {variable} names {logical_id!r}, which template.yaml does not define")
        elif variable.endswith("FunctionArn") and stack.resources[logical_id]["Type"] != "AWS::Serverless::Function":
            problems.append(f"substitution {variable} names {logical_id!r}, which is not a function")
    return problems


def _statements(properties: dict[str, Any], stack: Stack) -> list[dict[str, Any]]:
    """A function's or state machine's statements, those of the template's own
    managed policies it references included."""
    found = []
    for policy in properties.get("Policies", []) or []:
        if isinstance(policy, dict) and "Statement" in policy:
            found += policy["Statement"]
        elif isinstance(policy, Tag) and policy.name == "Ref" and policy.value in stack.resources:
            found += stack.resources[policy.value]["Properties"]["PolicyDocument"]["Statement"]
        elif isinstance(policy, str):
            found.append({"Action": f"<managed policy {policy}>", "Resource": "*"})
    return found


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def iam_problems(stack: Stack) -> list[str]:
    problems = []
    kinds = ("AWS::Serverless::Function", "AWS::Serverless::StateMachine")
    for logical_id, resource in stack.resources.items():
        if resource.get("Type") not in kinds:
            continue
        for statement in _statements(resource.get("Properties", {}), stack):
            actions = [str(a) for a in _as_list(statement.get("Action"))]
            for action in actions:
                if action == "*" or action.endswith(":*") or action.startswith("<managed policy"):
                    problems.append(f"{logical_id}: action {action} is broader than what the function uses")
            resources = _as_list(statement.get("Resource"))
            if "*" in resources and not set(actions) <= RESOURCELESS:
                problems.append(f"{logical_id}: {', '.join(actions)} on Resource '*' where a narrower ARN exists")
            if "ses:SendEmail" in actions:
                text = json.dumps(statement.get("Resource"), default=lambda t: getattr(t, "value", str(t)))
                if "identity/${SesIdentity}" not in text:
                    problems.append(f"{logical_id}: ses:SendEmail must be limited to the configured SES identity")
    return problems


IAM_PREFIX = {"dynamodb": "dynamodb", "sesv2": "ses", "stepfunctions": "states", "sqs": "sqs"}


def _logical_id(target: str, physical: dict[str, str]) -> str | None:
    """The template resource a call's target is: a table name, queue URL or state
    machine / execution ARN as the local runtime created them."""
    base = target.split("/index/")[0]
    for logical_id, value in physical.items():
        if value == base:
            return logical_id.split(".")[0]
    match = re.match(r"arn:aws:states:[^:]*:\d+:execution:([^:]+):", target)
    return match.group(1) if match else None


def missing_permissions(stack: Stack, physical: dict[str, str], calls: dict[str, dict[str, set[str]]]) -> list[str]:
    """Calls a function made in a local run that its policies in template.yaml do not
    allow: on AWS each would be an AccessDenied."""
    problems = []
    for function, by_call in sorted(calls.items()):
        resource = stack.resources.get(function)
        if resource is None:
            continue  # the runtime's own calls (EventBridge, the SQS event source, Step Functions)
        statements = _statements(resource.get("Properties", {}), stack)
        for call, targets in sorted(by_call.items()):
            service, operation = call.split(".")
            action = f"{IAM_PREFIX[service]}:{operation}"
            for target in sorted(targets):
                logical_id = _logical_id(target, physical)
                allowed = False
                for statement in statements:
                    if action not in [str(a) for a in _as_list(statement.get("Action"))]:
                        continue
                    text = json.dumps(statement.get("Resource"), default=lambda t: getattr(t, "value", str(t)))
                    if service == "sesv2":
                        allowed = True  # limited to the identity: iam_problems checks that
                    elif logical_id and re.search(rf"\b{re.escape(logical_id)}\b", text):
                        allowed = "/index/" not in target or "/index/" in text
                    if allowed:
                        break
                if not allowed:
                    problems.append(f"{function}: {action} on {logical_id or target} is not in its policies")
    return problems
