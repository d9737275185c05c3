"""The runtime's patches to moto come off as they went on: what the owner held, back."""

from __future__ import annotations

import types
from datetime import UTC, datetime
from typing import Any

from winback_local import emulator, engine, executions, items, lambdas, partitions, patching, virtual_clock


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
    from botocore import context as botocore_context
    from moto.dynamodb.models import dynamo_type
    from moto.dynamodb.models.table import Table
    from moto.dynamodb.parsing import validators
    from moto.sqs import models as sqs_models
    from moto.stepfunctions.parser.asl.eval import environment
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    owners: list[Any] = [
        validators.UpdateExpressionValidator,
        validators,
        ExecutionWorker,
        dynamo_type.DynamoType,
        dynamo_type.LimitedSizeDict,
        environment,
        Table,
        sqs_models,
        botocore_context,
    ]
    before = [dict(vars(owner)) for owner in owners]
    undos = [emulator.install(), partitions.install(), executions.install(), items.install()]
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


def test_items_hold_one_copy_of_each_name_tag_and_short_value() -> None:
    import json

    from moto.dynamodb.models.dynamo_type import Item

    def item(n: int) -> Item:  # as moto builds one from a request's JSON: strings of its own
        raw = {
            "order_id": {"S": f"o-{n}"},
            "currency": {"S": "EUR"},
            "note": {"S": "x" * 41},
            "paid": {"BOOL": False},
            "lines": {"M": {"sku": {"S": "course"}}},
        }
        attrs = json.loads(json.dumps(raw))
        return Item(attrs["order_id"], None, attrs)

    undo = items.install()
    try:
        first, second = item(1), item(2)
    finally:
        undo()
    names = [(a, b) for a in first.attrs for b in second.attrs if a == b]
    assert len(names) == 5 and all(a is b for a, b in names)
    assert first.attrs["currency"].value is second.attrs["currency"].value == "EUR"
    assert first.attrs["paid"].type is second.attrs["paid"].type == "BOOL"
    assert next(iter(first.attrs["lines"].value)) is next(iter(second.attrs["lines"].value)) == "sku"
    assert first.attrs["note"].value is not second.attrs["note"].value  # longer ones: as read
    assert first.to_json() == {
        "Attributes": {
            "order_id": {"S": "o-1"},
            "currency": {"S": "EUR"},
            "note": {"S": "x" * 41},
            "paid": {"BOOL": False},
            "lines": {"M": {"sku": {"S": "course"}}},
        }
    }
    again = item(3)  # after the undo, moto's own
    assert next(k for k in again.attrs if k == "currency") is not next(k for k in first.attrs if k == "currency")
