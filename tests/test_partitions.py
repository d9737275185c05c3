"""Queries read from their partition answer what moto's whole-table read answers.

Each case writes through the real DynamoDB API (puts, conditional updates that move an
item from one index key to another, deletes, overwrites, pages) with the partition
reads installed in check mode, which also answers every query the slow way and notes
any difference.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID as ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType

from winback_local import partitions


@pytest.fixture
def table() -> Iterator[Any]:
    with mock_aws():
        undo = partitions.install(check=True)
        partitions.mismatches.clear()
        partitions.answered.clear()
        try:
            dynamodb = boto3.resource("dynamodb", region_name="eu-west-1")
            yield dynamodb.create_table(
                TableName="sends",
                BillingMode="PAY_PER_REQUEST",
                AttributeDefinitions=[
                    {"AttributeName": "send_id", "AttributeType": "S"},
                    {"AttributeName": "n", "AttributeType": "N"},
                    {"AttributeName": "contact_id", "AttributeType": "S"},
                    {"AttributeName": "sent_at", "AttributeType": "S"},
                ],
                KeySchema=[{"AttributeName": "send_id", "KeyType": "HASH"}, {"AttributeName": "n", "KeyType": "RANGE"}],
                GlobalSecondaryIndexes=[
                    {
                        "IndexName": "by-contact",
                        "KeySchema": [
                            {"AttributeName": "contact_id", "KeyType": "HASH"},
                            {"AttributeName": "sent_at", "KeyType": "RANGE"},
                        ],
                        "Projection": {"ProjectionType": "ALL"},
                    }
                ],
            )
        finally:
            undo()


def contact_sends(table: Any, contact: str, **extra: Any) -> list[tuple[str, int]]:
    found = table.query(
        IndexName="by-contact",
        KeyConditionExpression="contact_id = :c AND sent_at >= :t",
        ExpressionAttributeValues={":c": contact, ":t": "2026-01-01"},
        **extra,
    )
    return [(item["send_id"], int(item["n"])) for item in found["Items"]]


def test_an_index_query_follows_puts_updates_deletes_and_overwrites(table: Any) -> None:
    for n in range(6):
        table.put_item(Item={"send_id": f"s{n % 3}", "n": n, "contact_id": f"c{n % 2}", "sent_at": f"2026-03-0{n + 1}"})
    assert contact_sends(table, "c0") == [("s0", 0), ("s2", 2), ("s1", 4)]

    table.update_item(  # c1's send moves to c0
        Key={"send_id": "s0", "n": 3},
        UpdateExpression="SET contact_id = :c",
        ConditionExpression="attribute_exists(send_id)",
        ExpressionAttributeValues={":c": "c0"},
    )
    table.delete_item(Key={"send_id": "s2", "n": 2})
    table.update_item(Key={"send_id": "s1", "n": 1}, UpdateExpression="REMOVE contact_id")  # out of the index
    table.put_item(Item={"send_id": "s1", "n": 4, "contact_id": "c1", "sent_at": "2026-03-05"})  # overwritten to c1
    table.update_item(  # an item made by an update, with its index key
        Key={"send_id": "s9", "n": 9},
        UpdateExpression="SET contact_id = :c, sent_at = :t",
        ExpressionAttributeValues={":c": "c0", ":t": "2026-03-09"},
    )

    assert contact_sends(table, "c0") == [("s0", 0), ("s0", 3), ("s9", 9)]
    assert contact_sends(table, "c1") == [("s1", 4), ("s2", 5)]
    assert contact_sends(table, "nobody") == []
    assert partitions.mismatches == []
    assert partitions.answered == {"index": 4}  # the first query made the map; none read the whole table


def test_pages_and_table_partitions_answer_as_moto_does(table: Any) -> None:
    for n in range(7):
        table.put_item(Item={"send_id": "s", "n": n, "contact_id": "c", "sent_at": f"2026-03-0{n + 1}"})
    table.put_item(Item={"send_id": "other", "n": 1, "contact_id": "c", "sent_at": "2026-04-01"})

    first = table.query(KeyConditionExpression="send_id = :s", ExpressionAttributeValues={":s": "s"}, Limit=3)
    rest = table.query(
        KeyConditionExpression="send_id = :s AND n > :n",
        ExpressionAttributeValues={":s": "s", ":n": 1},
        ExclusiveStartKey=first["LastEvaluatedKey"],
    )
    assert [int(item["n"]) for item in first["Items"]] == [0, 1, 2]
    assert [int(item["n"]) for item in rest["Items"]] == [3, 4, 5, 6]
    assert contact_sends(table, "c", Limit=2, ScanIndexForward=False) == [("other", 1), ("s", 6)]
    assert table.query(KeyConditionExpression="send_id = :s", ExpressionAttributeValues={":s": "none"})["Items"] == []
    assert partitions.mismatches == []
    assert partitions.answered == {"partition": 3, "index": 1}


def test_check_mode_notices_a_stale_answer_and_returns_moto_s(table: Any) -> None:
    table.put_item(Item={"send_id": "s", "n": 1, "contact_id": "c", "sent_at": "2026-03-01"})
    assert contact_sends(table, "c") == [("s", 1)]
    moved = dynamodb_backends[ACCOUNT_ID]["eu-west-1"].get_table("sends").items[DynamoType({"S": "s"})]
    moved[DynamoType({"N": "1"})].attrs["contact_id"] = DynamoType({"S": "d"})  # behind the map's back

    assert contact_sends(table, "d") == [("s", 1)]  # moto's answer, noted as a difference
    assert len(partitions.mismatches) == 1


def test_a_scan_reads_the_table_in_moto_s_key_order_page_by_page_and_by_segment(table: Any) -> None:
    for send, n in [("s2", 10), ("s1", 9), ("s2", 9), ("s10", 1), ("s1", 100), ("s1", 11)]:
        table.put_item(Item={"send_id": send, "n": n, "contact_id": "c", "sent_at": "2026-03-01"})

    def keys(**extra: Any) -> list[tuple[str, int]]:
        found, pages = [], {"Limit": 2, **extra}
        while True:
            page = table.scan(**pages)
            found += [(item["send_id"], int(item["n"])) for item in page["Items"]]
            if "LastEvaluatedKey" not in page:
                return found
            pages["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    whole = keys()
    assert whole == [("s1", 9), ("s1", 11), ("s1", 100), ("s10", 1), ("s2", 9), ("s2", 10)]  # numbers as numbers
    segments = [keys(Segment=part, TotalSegments=2) for part in range(2)]
    assert sorted(segments[0] + segments[1]) == sorted(whole)
    assert all(part == [key for key in whole if key in part] for part in segments)
    assert partitions.mismatches == []
