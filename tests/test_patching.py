"""The runtime's patches to moto come off as they went on: what the owner held, back."""

from __future__ import annotations

import types
from datetime import UTC, datetime
from typing import Any

from winback_local import emulator, engine, executions, lambdas, partitions, patching, virtual_clock


class Base:
    def greet(self) -> str:
        return "base"


class Child(Base):
    @staticmethod
    def make() -> str:
        return "made"


def test_an_inherited_attribute_is_removed_again_and_a_staticmethod_stays_one() -> None:
    module = types.ModuleType("m")
    module.value = 1  # type: ignore[attr-defined]
    made = Child.__dict__["make"]
    undo = patching.apply(
        [(Child, "greet", lambda self: "patched"), (Child, "make", staticmethod(lambda: "new")), (module, "value", 2)]
    )
    assert (Child().greet(), Child.make(), module.value) == ("patched", "new", 2)  # type: ignore[attr-defined]
    undo()
    assert "greet" not in Child.__dict__ and Child().greet() == "base"
    assert Child.__dict__["make"] is made and Child().make() == "made"
    assert module.value == 1  # type: ignore[attr-defined]


def test_the_runtime_s_patches_leave_moto_as_it_was() -> None:
    from moto.dynamodb.parsing import validators
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    owners: list[Any] = [validators.UpdateExpressionValidator, validators, ExecutionWorker]
    before = [dict(vars(owner)) for owner in owners]
    undos = [emulator.install(), partitions.install(), executions.install()]
    undos.append(engine.install(virtual_clock.VirtualClock(datetime(2026, 3, 2, tzinfo=UTC)), lambdas.LambdaRoutes()))
    assert "validate" in vars(validators.UpdateExpressionValidator)  # patched on the class itself
    for undo in reversed(undos):
        undo()
    assert [dict(vars(owner)) for owner in owners] == before


def test_botocore_sessions_share_one_reading_of_the_endpoint_data() -> None:
    """The runtime hosts every function in one process: their botocore sessions read
    endpoints.json (about 6.6 MiB as objects) once, and it resolves as before."""
    import botocore.session

    from winback_local import slim

    undo = slim.share_endpoints()
    try:
        first, second = botocore.session.get_session(), botocore.session.get_session()
        resolvers = [s._get_internal_component("endpoint_resolver") for s in (first, second)]
        assert resolvers[0]._endpoint_data is resolvers[1]._endpoint_data
        assert (
            resolvers[1].construct_endpoint("dynamodb", "eu-west-1")["hostname"] == "dynamodb.eu-west-1.amazonaws.com"
        )
    finally:
        undo()
    third = botocore.session.get_session()._get_internal_component("endpoint_resolver")
    assert third._endpoint_data is not resolvers[0]._endpoint_data
