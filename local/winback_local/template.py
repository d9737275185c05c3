"""Reads template.yaml the way the local runtime needs it.

The local runtime builds nothing from memory: which handler answers a Lambda task,
which ASL file a state machine runs, what its substitutions point at, which events
the rule lets through and what environment the functions get all come from here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"


@dataclass(frozen=True)
class Tag:
    """A CloudFormation intrinsic such as !Ref or !GetAtt, kept unresolved."""

    name: str
    value: Any


class _Loader(yaml.SafeLoader):
    pass


def _construct(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Tag:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return Tag(suffix, value)


_Loader.add_multi_constructor("!", _construct)


def load(path: Path = TEMPLATE) -> dict[str, Any]:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506


@dataclass(frozen=True)
class Function:
    logical_id: str
    handler: str  # "module.path.function"
    environment: dict[str, Any]


@dataclass(frozen=True)
class StateMachine:
    logical_id: str
    definition: Path
    substitutions: dict[str, Any]


@dataclass
class Stack:
    resources: dict[str, Any]
    globals_env: dict[str, Any]
    parameters: dict[str, dict[str, Any]] = field(default_factory=dict)
    conditions: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    functions: dict[str, Function] = field(default_factory=dict)
    state_machines: dict[str, StateMachine] = field(default_factory=dict)

    def of_type(self, kind: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.resources.items() if v.get("Type") == kind}

    def function_for_handler(self, handler: str) -> Function:
        return next(f for f in self.functions.values() if f.handler == handler)


def read(path: Path = TEMPLATE) -> Stack:
    doc = load(path)
    resources = doc["Resources"]
    globals_env = doc.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    stack = Stack(
        resources=resources,
        globals_env=dict(globals_env),
        parameters=doc.get("Parameters", {}),
        conditions=doc.get("Conditions", {}),
        outputs=doc.get("Outputs", {}),
    )
    for logical_id, props in stack.of_type("AWS::Serverless::Function").items():
        properties = props.get("Properties", {})
        env = properties.get("Environment", {}).get("Variables", {})
        stack.functions[logical_id] = Function(logical_id, properties["Handler"], dict(env))
    for logical_id, props in stack.of_type("AWS::Serverless::StateMachine").items():
        properties = props["Properties"]
        stack.state_machines[logical_id] = StateMachine(
            logical_id,
            path.parent / properties["DefinitionUri"],
            dict(properties.get("DefinitionSubstitutions", {})),
        )
    return stack


@dataclass
class Resolver:
    """Resolves !Ref, !GetAtt, !If and conditions to local values: parameters take
    their defaults, resources the physical names in `physical` (filled as the local
    runtime creates them), functions the ARN `function_arn` gives."""

    stack: Stack
    physical: dict[str, str]
    function_arn: Callable[[str], str]
    parameters: dict[str, str] = field(default_factory=dict)  # for those without a default

    def condition(self, value: Any) -> bool:
        if isinstance(value, str):
            return self.condition(self.stack.conditions[value])
        if isinstance(value, Tag) and value.name == "Equals":
            left, right = (self.resolve(v) for v in value.value)
            return left == right
        if isinstance(value, Tag) and value.name == "Not":
            return not self.condition(value.value[0])
        if isinstance(value, Tag) and value.name in ("And", "Or"):
            found = [self.condition(v) for v in value.value]
            return all(found) if value.name == "And" else any(found)
        if isinstance(value, Tag) and value.name == "Condition":
            return self.condition(value.value)
        raise ValueError(f"the local runtime cannot evaluate the condition {value!r}")

    def resolve(self, value: Any) -> str:
        if isinstance(value, Tag) and value.name == "If":
            name, when_true, when_false = value.value
            return self.resolve(when_true if self.condition(name) else when_false)
        if isinstance(value, Tag) and value.name == "Ref":
            if value.value in self.physical:
                return self.physical[value.value]
            if value.value in self.parameters:
                return self.parameters[value.value]
            parameter = self.stack.parameters.get(value.value)
            if parameter is not None:
                if "Default" not in parameter:
                    raise ValueError(f"template parameter {value.value} has no default: give the local runtime one")
                return str(parameter["Default"])
        if isinstance(value, Tag) and value.name == "GetAtt":
            target = value.value if isinstance(value.value, str) else ".".join(value.value)
            logical_id = target.split(".")[0]
            if logical_id in self.stack.functions:
                return self.function_arn(logical_id)
            if target in self.physical:
                return self.physical[target]
        if isinstance(value, str):
            return value
        raise ValueError(f"the local runtime cannot resolve {value!r} from template.yaml")
