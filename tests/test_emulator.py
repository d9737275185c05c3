"""The local runtime's shortcuts through moto give the answers moto's own code gives.

With WINBACK_EMULATOR_CHECK=1 every DynamoDB item answer written directly is compared
with the one moto's serializer writes, and every item request read with json.loads
with moto's own parse; the demo scenario exercises every table and
operation the flows use (gets, conditional puts that lose, updates, queries, deletes).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from winback_local import emulator, partitions, wsgi
from winback_local.cli import main

DEMO = Path(__file__).resolve().parents[1] / "examples" / "demo" / "scenario.json"


def test_direct_dynamodb_answers_equal_the_serializers_over_the_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WINBACK_EMULATOR_CHECK", "1")
    emulator.mismatches.clear()
    emulator.answered.clear()
    emulator.parsed.clear()
    partitions.mismatches.clear()
    partitions.answered.clear()
    wsgi.mismatches.clear()
    wsgi.built.clear()
    assert main(["simulate", str(DEMO), "--out", str(tmp_path)]) == 0
    assert emulator.mismatches == []
    assert {"GetItem", "PutItem", "UpdateItem", "Query", "DeleteItem"} <= set(emulator.answered)
    assert {"GetItem", "PutItem", "UpdateItem", "Query", "DeleteItem"} <= set(emulator.parsed)
    assert partitions.mismatches == []
    assert partitions.answered["partition"] > 0 and partitions.answered["index"] > 0
    assert partitions.answered["whole table"] == 0
    assert wsgi.mismatches == []
    assert wsgi.built["directly"] > 10 * wsgi.built["by werkzeug"]  # nearly every request
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["emails_sent"] == 11  # the run is the demo's usual one


@contextmanager
def _table(with_emulator: bool = True) -> Iterator[Any]:
    """A DynamoDB client on moto, with the emulator's shortcuts or without, and a table "t"
    keyed by "k"."""
    with mock_aws():
        undo = emulator.install() if with_emulator else None
        try:
            made = boto3.client("dynamodb")
            made.create_table(
                TableName="t",
                BillingMode="PAY_PER_REQUEST",
                AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
            )
            yield made
        finally:
            if undo is not None:
                undo()


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with _table() as made:
        yield made


def test_an_update_expression_s_checks_still_refuse_what_they_refused(client: Any) -> None:
    """The checks that read only the expression, its names and the table's keys run once
    per combination that passed: the same text that passed may still not update the key."""

    def update(field: str, expression: str = "SET #f = :v") -> None:
        client.update_item(
            TableName="t",
            Key={"k": {"S": "one"}},
            UpdateExpression=expression,
            ExpressionAttributeNames={"#f": field},
            ExpressionAttributeValues={":v": {"S": "x"}},
        )

    for _ in range(2):
        update("a")  # passes, twice: the second time without the pure checks
        with pytest.raises(client.exceptions.ClientError, match="Cannot update attribute k"):
            update("k")  # the same text, the key named: refused every time
        with pytest.raises(client.exceptions.ClientError, match="overlap"):
            update("a", "SET #f = :v, #f = :v")
    assert client.get_item(TableName="t", Key={"k": {"S": "one"}})["Item"]["a"] == {"S": "x"}


def test_a_condition_split_once_still_reads_each_calls_names_and_values(client: Any) -> None:
    """Condition expressions are split into tokens once per text; the names and values
    they stand for are each call's own."""
    client.put_item(TableName="t", Item={"k": {"S": "one"}, "a": {"N": "5"}, "b": {"N": "1"}})

    def set_if_below(field: str, limit: int) -> bool:
        try:
            client.update_item(
                TableName="t",
                Key={"k": {"S": "one"}},
                UpdateExpression="SET #f = :limit",
                ConditionExpression="attribute_not_exists(#f) OR #f < :limit",
                ExpressionAttributeNames={"#f": field},
                ExpressionAttributeValues={":limit": {"N": str(limit)}},
            )
            return True
        except client.exceptions.ConditionalCheckFailedException:
            return False

    assert [set_if_below("a", 3), set_if_below("a", 9), set_if_below("b", 3), set_if_below("c", 0)] == [
        False,
        True,
        True,
        True,
    ]
    item = client.get_item(TableName="t", Key={"k": {"S": "one"}})["Item"]
    assert (item["a"], item["b"], item["c"]) == ({"N": "9"}, {"N": "3"}, {"N": "0"})


UPDATES: list[tuple[str, dict[str, Any]]] = [
    ("SET a = :one, b = if_not_exists(b, :zero) + :one", {}),
    ("SET b = b + :one, l = list_append(if_not_exists(l, :empty), :list)", {}),
    ("SET l = list_append(:list, l), m = :map", {}),
    ("SET m.deep = m.deep - :one, #n = :zero", {"#n": "name"}),
    ("ADD n :one, s :set", {}),
    ("DELETE s :set REMOVE a, m.deep", {}),
    ("SET m.gone.deeper = :one", {}),  # refused: the path's parent does not exist
    ("SET b = b + :text", {}),  # refused: a number plus a string
    ("SET k = :one", {}),  # refused: a key attribute
    ("REMOVE l[0] SET m.#n = :text", {"#n": "name"}),
    ("SET m.#n = size(:text)", {"#n": "name"}),  # refused: size() is not for updates
]
VALUES = {
    ":one": {"N": "1"},
    ":zero": {"N": "0"},
    ":empty": {"L": []},
    ":list": {"L": [{"S": "x"}]},
    ":map": {"M": {"deep": {"N": "5"}}},
    ":set": {"SS": ["p", "q"]},
    ":text": {"S": "t"},
}


def _apply_updates(with_emulator: bool) -> list[Any]:
    """Each update expression's outcome (the item after it, or the error) on moto."""
    outcomes: list[Any] = []
    with _table(with_emulator) as made:
        for _ in range(2):  # the second round meets expressions already seen
            for expression, names in UPDATES:
                used = {k: v for k, v in VALUES.items() if k in expression}
                try:
                    made.update_item(
                        TableName="t",
                        Key={"k": {"S": "1"}},
                        UpdateExpression=expression,
                        ExpressionAttributeValues=used,
                        **({"ExpressionAttributeNames": names} if names else {}),
                    )
                    outcomes.append(made.get_item(TableName="t", Key={"k": {"S": "1"}})["Item"])
                except made.exceptions.ClientError as error:
                    outcomes.append(error.response["Error"])
    return outcomes


def test_update_expressions_change_items_as_moto_s_own_code_does(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    fast, moto_s = _apply_updates(with_emulator=True), _apply_updates(with_emulator=False)
    assert fast == moto_s
    refused = [outcome for outcome in moto_s if "Code" in outcome]
    assert len(refused) == 8  # four refusals, twice: the list covers refused updates too


def test_a_url_is_searched_for_once_even_on_a_host_two_services_share(monkeypatch: pytest.MonkeyPatch) -> None:
    """SES and SES v2 share email.<region>.amazonaws.com: moto tries SES's routes first."""
    from moto.core.botocore_stubber import BotocoreStubber

    searched: list[str] = []
    search = BotocoreStubber.process_request

    def counted(stubber: Any, request: Any) -> Any:
        searched.append(request.url)
        return search(stubber, request)

    monkeypatch.setattr(BotocoreStubber, "process_request", counted)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        undo = emulator.install()
        try:
            ses, dynamodb = boto3.client("sesv2"), boto3.client("dynamodb")
            for _ in range(3):
                ses.create_email_identity(EmailIdentity=f"shop{_}.example")
                dynamodb.list_tables()
            assert ses.list_email_identities()["EmailIdentities"]  # the answers are moto's
        finally:
            undo()
    assert sorted(searched) == [
        "https://dynamodb.us-east-1.amazonaws.com/",
        "https://email.us-east-1.amazonaws.com/v2/email/identities",  # once, not three times
        "https://email.us-east-1.amazonaws.com/v2/email/list-identities",
    ]


SLIM_PROBE = """
import json, sys
from datetime import UTC, datetime
from winback.model.campaigns import default_campaigns
from winback_local.runtime import LocalRuntime
with LocalRuntime(datetime(2026, 3, 2, tzinfo=UTC), default_campaigns(), daily_jobs=True) as runtime:
    runtime.run_until(datetime(2026, 3, 3, 2, tzinfo=UTC))  # the daily RFM job ran: the engine is in use
    before = sorted(m for m in ("moto.ec2", "moto.batch.models") if m in sys.modules)
    import moto.batch
    found = type(moto.batch.batch_backends).__name__  # what moto's backend lookup reads
print(json.dumps({"before": before, "found": found, "ran": runtime.routes.invocations}))
"""


def test_moto_s_batch_and_ec2_emulation_load_only_when_asked_for() -> None:
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    path = os.pathsep.join(str(root / p) for p in ("functions", "local"))
    done = subprocess.run(
        [sys.executable, "-c", SLIM_PROBE],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": path},
        timeout=300,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["ran"] > 0 and result["before"] == []  # a run of the flows never loads them
    assert result["found"] == "BackendDict"  # a name of the package still loads the real models


def test_a_call_made_inside_another_copies_the_caller_s_sdk_features() -> None:
    from botocore.context import get_context, start_as_current_context
    from botocore.useragent import register_feature_id

    undo = emulator.install()
    try:
        with start_as_current_context():
            register_feature_id("WAITER")
            callers = set(get_context().features)
            with start_as_current_context():  # a function's call, inside the call that invoked it
                assert get_context().features == callers
                register_feature_id("PAGINATOR")
                inner = set(get_context().features)
            outer = set(get_context().features)
    finally:
        undo()
    assert len(callers) == 1 and len(inner) == 2 and callers < inner
    assert outer == callers  # what the inner call used stays its own


def test_a_response_s_date_header_is_werkzeug_s_for_its_second() -> None:
    from datetime import UTC, datetime

    from moto.core import responses
    from werkzeug.http import http_date

    undo = emulator.install()
    try:
        for moment in (datetime(2026, 3, 2, 8, 0, 0, 999_999), datetime(2026, 3, 2, 8, 0, 1, tzinfo=UTC)):
            assert responses.http_date(moment) == http_date(moment)
        assert responses.http_date(datetime(2026, 3, 2, 8, 0, 1)) == "Mon, 02 Mar 2026 08:00:01 GMT"
    finally:
        undo()
