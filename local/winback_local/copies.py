"""moto's Step Functions engine copying its JSON values as JSON, not as any Python object.

Each state copies the data it reads and writes (the state's input, its result, each
JSONPath value it extracts, the stack its task runs with) with `copy.deepcopy`, which
handles any object: it keeps a memo of every object copied so that shared ones stay
shared, and looks up how to copy each value's type. A state's data is JSON (Step
Functions passes payloads as JSON text), so here dicts and lists are copied one level
at a time and strings, numbers, booleans and null are kept (they are immutable);
anything else (a datetime in a history event, one of moto's own objects) still goes
through `copy.deepcopy`. On AWS no two parts of a payload are ever the same object;
here neither are two parts of a copy.

`install()` points the modules that copy state data at `copy_json` and returns the undo.
"""

from __future__ import annotations

import copy
import types
from collections.abc import Callable
from typing import Any

from winback_local import patching

KEPT = frozenset({str, int, float, bool, type(None)})  # immutable: a copy may be the value itself


def copy_json(value: Any, memo: dict[int, Any] | None = None) -> Any:
    """A copy of `value` sharing no dict or list with it; what is not JSON, deep-copied."""
    kind = type(value)
    if kind is dict:
        return {key: copy_json(item) for key, item in value.items()}
    if kind is list:
        return [copy_json(item) for item in value]
    if kind in KEPT:
        return value
    return copy.deepcopy(value, memo)


def install() -> Callable[[], None]:
    from moto.stepfunctions.parser.asl.component.common.string import string_expression
    from moto.stepfunctions.parser.asl.component.state.exec import execute_state
    from moto.stepfunctions.parser.asl.eval import states
    from moto.stepfunctions.parser.asl.eval.event import event_manager

    as_json = types.SimpleNamespace(deepcopy=copy_json, copy=copy.copy)  # what they call `copy`
    return patching.apply(
        [(module, "copy", as_json) for module in (states, string_expression, execute_state, event_manager)]
    )
