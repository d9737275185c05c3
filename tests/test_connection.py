"""Every table through one DynamoDB client (winback/aws/connection.py)."""

from __future__ import annotations

import pytest
from moto import mock_aws

from winback.aws import store


def test_every_table_is_reached_through_one_dynamodb_client(monkeypatch: pytest.MonkeyPatch) -> None:
    """pynamodb would build a botocore session and client per table; each costs the
    handler ~80 ms on its first call to that table."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    models = (store.OrderRecord, store.ContactRecord, store.SuppressionRecord, store.CustomerRecord)
    with mock_aws():  # a client made outside moto would never be answered by it
        clients = {id(model._get_connection().connection.client) for model in models}
    assert len(clients) == 1
