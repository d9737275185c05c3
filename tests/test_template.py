"""template.yaml and the code agree: table schemas and handlers (the ASL checks are in test_deploy)."""

from __future__ import annotations

import importlib

import pytest

from winback.aws.store import ALL_MODELS, TABLE_ENV
from winback_local.template import Tag, read

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


# The functions that read no campaign and validate no input with a model: their cold start
# should not pay for pydantic and the campaign models (most of a handler's imports).
WITHOUT_MODELS = ("SesEventsFunction", "UnsubscribeFunction", "ErasureFunction")


def _loaded_by(function: str, modules: tuple[str, ...]) -> list[str]:
    """Which of `modules` importing the function's handler loads, in a fresh interpreter."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    module = STACK.functions[function].handler.rpartition(".")[0]
    probe = f"import sys, {module}\nprint(','.join(sorted(m for m in {modules!r} if m in sys.modules)))"
    functions = Path(__file__).resolve().parents[1] / "functions"
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(functions), "AWS_DEFAULT_REGION": "us-east-1"},
        timeout=120,
    )
    return [m for m in done.stdout.strip().split(",") if m]


@pytest.mark.parametrize("function", WITHOUT_MODELS)
def test_functions_that_read_no_campaign_do_not_import_the_models(function: str) -> None:
    assert _loaded_by(function, ("pydantic", "winback.model.campaigns")) == []


def test_the_coupon_api_does_not_load_powertools_event_handler() -> None:
    # Every resolver Powertools has, ~16 ms of the cold start a checkout's first coupon
    # check waits for; two JSON routes need none of it (winback/aws/rest.py).
    assert _loaded_by("CouponApiFunction", ("aws_lambda_powertools.event_handler", "winback.aws.rest")) == [
        "winback.aws.rest"
    ]


# -- operations: alarms page someone, failed events and customer data outlive the stack --------
ALARMS = STACK.of_type("AWS::CloudWatch::Alarm")


def test_every_alarm_notifies_the_stacks_topic_and_shows_on_the_dashboard() -> None:
    dashboard = STACK.resources["Dashboard"]["Properties"]["DashboardBody"].value
    assert len(ALARMS) >= 7
    for name, alarm in ALARMS.items():
        assert alarm["Properties"]["AlarmActions"] == [Tag("Ref", "AlarmTopic")], name
        assert "${" + name + ".Arn}" in dashboard, f"{name} is not on the dashboard"
    assert STACK.resources["AlarmEmailSubscription"]["Properties"]["TopicArn"] == Tag("Ref", "AlarmTopic")


@pytest.mark.parametrize("metric", ["Errors", "Throttles"])
def test_the_lambda_alarms_watch_every_function(metric: str) -> None:
    watched: list[str] = []
    for alarm in (a for a in ALARMS.values() if "Metrics" in a["Properties"]):
        metrics = alarm["Properties"]["Metrics"]
        stats = [m["MetricStat"]["Metric"] for m in metrics if "MetricStat" in m]
        if stats and stats[0]["Namespace"] == "AWS/Lambda" and stats[0]["MetricName"] == metric:
            watched += [s["Dimensions"][0]["Value"].value for s in stats]
            assert len(metrics) <= 10, "CloudWatch takes at most 10 metrics per alarm: split it"
    assert sorted(watched) == sorted(STACK.functions), "each function in exactly one alarm"


def test_failed_events_and_customer_tables_survive_sam_delete() -> None:
    rebuilt = {"ProductsTable", "RfmRunsTable", "SendRateTable"}  # reloaded, recomputed, or counts of a second
    kept = {"OrderEventsDLQ"} | {name for name in STACK.of_type("AWS::DynamoDB::Table") if name not in rebuilt}
    for name in kept:
        assert STACK.resources[name].get("DeletionPolicy") == "Retain", name
        assert STACK.resources[name].get("UpdateReplacePolicy") == "Retain", name
