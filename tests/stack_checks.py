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

from winback_local.template import Stack, Tag

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
    """A function's or state machine's statements as template.yaml writes them, those of
    the template's own managed policies it references included."""
    found = []
    for policy in properties.get("Policies", []) or []:
        if isinstance(policy, Tag) and policy.name == "If":
            policy = policy.value[1]
        if isinstance(policy, dict) and "Statement" in policy:
            found += policy["Statement"]
        elif isinstance(policy, Tag) and policy.name == "Ref" and policy.value in stack.resources:
            found += stack.resources[policy.value]["Properties"]["PolicyDocument"]["Statement"]
    return found


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


XRAY_WRITE = ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"]
LOG_WRITE = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
# The AWS managed policies SAM may attach to the roles it generates, with their statements
# as AWS documents them. An ARN not listed here is a problem until someone reads it.
AWS_MANAGED = {
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole": [{"Action": LOG_WRITE, "Resource": "*"}],
    "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess": [
        {"Action": [*XRAY_WRITE, "xray:GetSamplingStatisticSummaries"], "Resource": "*"}
    ],
    "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole": [
        {"Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", *LOG_WRITE], "Resource": "*"}
    ],
}
# "*" where AWS accepts nothing narrower: X-Ray's write APIs and the log-delivery APIs.
WILDCARD_ONLY = RESOURCELESS | set(XRAY_WRITE) | {"xray:GetSamplingStatisticSummaries"}
# The one wildcard left: SAM attaches AWSLambdaBasicExecutionRole to every role it makes;
# narrowing it to the stack's log group would take a hand-written role per function.
SAM_BASELINE = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"


def _branches(value: Any) -> list[Any]:
    """Both branches of an Fn::If (a condition may hold either way), else the value."""
    if isinstance(value, dict) and "Fn::If" in value:
        return [b for branch in value["Fn::If"][1:] for b in _branches(branch)]
    return [value]


def _role_policies(role: dict[str, Any], cfn: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    """(where from, statements) of every policy a role gets: inline and managed."""
    properties = role["Properties"]
    found = [(p["PolicyName"], _as_list(p["PolicyDocument"]["Statement"])) for p in properties.get("Policies", [])]
    for entry in properties.get("ManagedPolicyArns", []):
        for arn in _branches(entry):
            if isinstance(arn, dict) and arn.get("Ref") == "AWS::NoValue":
                continue
            if isinstance(arn, dict) and arn.get("Ref") in cfn["Resources"]:
                document = cfn["Resources"][arn["Ref"]]["Properties"]["PolicyDocument"]
                found.append((arn["Ref"], _as_list(document["Statement"])))
            elif isinstance(arn, str) and arn in AWS_MANAGED:
                found.append((arn, AWS_MANAGED[arn]))
            else:
                found.append((str(arn), [{"Action": "<unknown managed policy>", "Resource": "*"}]))
    return found


def iam_problems(cfn: dict[str, Any]) -> list[str]:
    """Least privilege on the roles as deployed: the CloudFormation SAM makes of
    template.yaml (tests/tools/sam_transform.py), managed policies included."""
    problems = []
    for logical_id, resource in cfn["Resources"].items():
        if resource.get("Type") != "AWS::IAM::Role":
            continue
        for source, statements in _role_policies(resource, cfn):
            for statement in statements:
                if statement.get("Effect", "Allow") != "Allow":
                    continue
                actions = [str(a) for a in _as_list(statement.get("Action"))]
                for action in actions:
                    if action == "*" or action.endswith(":*") or action.startswith("<"):
                        problems.append(f"{logical_id}: action {action} ({source}) is broader than what it uses")
                resources = [r for value in _as_list(statement.get("Resource")) for r in _branches(value)]
                wild = "*" in resources and not set(actions) <= WILDCARD_ONLY
                if wild and not (source == SAM_BASELINE and set(actions) <= set(LOG_WRITE)):
                    problems.append(f"{logical_id}: {', '.join(actions)} on Resource '*' ({source})")
                if "ses:SendEmail" in actions and "identity/${SesIdentity}" not in json.dumps(resources):
                    problems.append(f"{logical_id}: ses:SendEmail must be limited to the configured SES identity")
    return problems


IAM_PREFIX = {
    "dynamodb": "dynamodb",
    "sesv2": "ses",
    "stepfunctions": "states",
    "sqs": "sqs",
    "events": "events",
    "secretsmanager": "secretsmanager",
}


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
