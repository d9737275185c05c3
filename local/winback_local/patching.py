"""Changing moto's and botocore's code for a run, and putting it back.

A module of the runtime that patches someone else's code lists its changes once, as
(owner, name, new value), and `apply` sets them and returns the undo. The undo puts
back what the owner itself held: an attribute it only inherited is removed again, and
a staticmethod comes back as the descriptor it was, not as the function it gives.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

_ABSENT = object()


def apply(patches: Iterable[tuple[Any, str, Any]]) -> Callable[[], None]:
    """Set each owner's attribute `name` to the value; returns the undo."""
    changes = list(patches)
    saved = [(owner, name, vars(owner).get(name, _ABSENT)) for owner, name, _ in changes]
    for owner, name, value in changes:
        setattr(owner, name, value)

    def undo() -> None:
        for owner, name, was in reversed(saved):
            if was is _ABSENT:
                delattr(owner, name)
            else:
                setattr(owner, name, was)

    return undo
