"""Reads template.yaml the way the local runtime needs it.

The local runtime builds nothing from memory: which handler answers a Lambda task,
which ASL file a state machine runs, what its substitutions point at, which events
the rule lets through and what environment the functions get all come from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[3]
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
