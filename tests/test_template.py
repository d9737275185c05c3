"""template.yaml and the code agree: table schemas and handlers (the ASL checks are in test_deploy)."""

from __future__ import annotations

import importlib

import pytest

from winback.local.template import Tag, read
from winback.store import ALL_MODELS, TABLE_ENV

STACK = read()


def _schema_from_template(logical_id: str) -> dict:
    props = STACK.resources[logical_id]["Properties"]
    keys = {k["KeyType"]: k["AttributeName"] for k in props["KeySchema"]}
    indexes = {i["IndexName"]: i["KeySchema"][0]["AttributeName"] for i in props.get("GlobalSecondaryIndexes", [])}
    return {"keys": keys, "indexes": indexes, "ttl": props.get("TimeToLiveSpecification", {}).get("AttributeName")}


def _schema_from_model(model) -> dict:
    keys = {}
    for name, attribute in model.get_attributes().items():
        if attribute.is_hash_key:
            keys["HASH"] = name
        if attribute.is_range_key:
            keys["RANGE"] = name
    indexes = {
        index.Meta.index_name: next(n for n, a in index.Meta.attributes.items() if a.is_hash_key)
        for index in model._indexes.values()
    }
    ttl = next((n for n, a in model.get_attributes().items() if type(a).__name__ == "TTLAttribute"), None)
    return {"keys": keys, "indexes": indexes, "ttl": ttl}


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda m: m.__name__)
def test_each_model_matches_the_table_the_template_creates(model) -> None:
    env_name, _ = TABLE_ENV[model.__name__]
    reference = STACK.globals_env[env_name]
    assert isinstance(reference, Tag) and reference.name == "Ref"
    assert _schema_from_model(model) == _schema_from_template(reference.value)


@pytest.mark.parametrize("function", sorted(STACK.functions), ids=str)
def test_every_handler_the_template_names_imports(function: str) -> None:
    module, _, attr = STACK.functions[function].handler.rpartition(".")
    assert callable(getattr(importlib.import_module(module), attr))
