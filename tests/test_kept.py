"""What a function keeps between calls: read once in its time, read again after it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flows import shop

from winback.aws import kept
from winback.aws.kept import Kept
from winback_local.replay import signed


@pytest.fixture
def now(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    at = [1000.0]
    monkeypatch.setattr(kept.time, "monotonic", lambda: at[0])
    return at


def test_a_value_is_read_once_in_its_time_and_again_after_it(now: list[float]) -> None:
    reads: list[str] = []
    store = {"a": 1}
    box: Kept[str, int] = Kept(seconds=60)

    def read() -> int:
        reads.append("a")
        return store["a"]

    assert box.get("a", read) == 1
    store["a"] = 2  # changed elsewhere
    now[0] += 60
    assert box.get("a", read) == 1 and reads == ["a"]
    now[0] += 1
    assert box.get("a", read) == 2 and reads == ["a", "a"]
    box.clear()
    assert box.get("a", read) == 2 and len(reads) == 3


def test_missing_names_each_key_to_read_once_and_keep_fills_them(now: list[float]) -> None:
    box: Kept[str, str | None] = Kept(seconds=60)
    box.keep("a", "A")
    assert box.missing(["b", "a", "b", "c"]) == ["b", "c"]
    box.keep("b", "B")
    box.keep("c", None)  # known not to exist: not read again within the minute either
    assert box.missing(["a", "b", "c"]) == [] and box.kept("c") is None
    now[0] += 61
    assert box.missing(["a", "c"]) == ["a", "c"]


def test_a_rotated_connector_secret_is_taken_within_five_minutes(now: list[float]) -> None:
    body = json.dumps({"id": 1}).encode()
    headers: dict[str, Any] = {"X-Shopify-Topic": "orders/create", "X-Shopify-Webhook-Id": "wh-1"}
    with shop() as stack:
        assert stack.rt.webhook("shopify", signed("shopify", headers, body, "never-used", 0), body)[0] == 401
        stack.rt.client("secretsmanager").put_secret_value(
            SecretId=stack.rt.physical["ConnectorSecret"], SecretString=json.dumps({"shopify": ["rotated"]})
        )
        now[0] += 299
        assert stack.rt.webhook("shopify", signed("shopify", headers, body, "rotated", 0), body)[0] == 401
        now[0] += 2
        assert stack.rt.webhook("shopify", signed("shopify", headers, body, "rotated", 0), body)[0] == 200
