"""Order events in through the queue: partial batch failures, retries, the dead-letter queue."""

from __future__ import annotations

import pytest

from conftest import Harness, at, order_created
from winback.domain import orders


@pytest.fixture
def flaky_o2(monkeypatch: pytest.MonkeyPatch):
    """Make applying order o-2 fail (as a throttled DynamoDB would) `times` times."""
    state = {"left": 0, "calls": 0}
    real = orders.apply

    def apply(event):
        if getattr(event.detail, "order_id", None) == "o-2":
            state["calls"] += 1
            if state["left"] != 0:
                state["left"] -= 1
                raise RuntimeError("throttled")
        return real(event)

    monkeypatch.setattr(orders, "apply", apply)
    return state


def _three_orders(stack: Harness) -> None:
    stack.send_batch([("Order Created", order_created(f"o-{n}", f"c-{n}")) for n in (1, 2, 3)])


def test_a_record_that_fails_once_is_retried_alone_and_processed(stack: Harness, flaky_o2) -> None:
    flaky_o2["left"] = 1
    _three_orders(stack)
    assert flaky_o2["calls"] == 2
    assert stack.rt.rejected() == []
    stack.run_until(at(minutes=30))
    assert sorted(e["order_id"] for e in stack.entries("email.sent")) == ["o-1", "o-2", "o-3"]


def test_a_record_that_always_fails_lands_in_the_dead_letter_queue_intact(stack: Harness, flaky_o2) -> None:
    flaky_o2["left"] = -1  # forever
    _three_orders(stack)
    [dead] = stack.rt.rejected()
    assert '"order_id": "o-2"' in dead["body"]
    assert flaky_o2["calls"] == 5  # the queue's maxReceiveCount in template.yaml
    stack.run_until(at(minutes=30))
    assert sorted(e["order_id"] for e in stack.entries("email.sent")) == ["o-1", "o-3"]


def test_a_body_that_is_not_json_is_rejected_with_a_reason(stack: Harness) -> None:
    sqs = stack.rt._client("sqs")
    sqs.send_message(QueueUrl=stack.rt.physical["OrderEventsQueue"], MessageBody="{not json")
    stack.rt.drain()
    [dead] = stack.rt.rejected()
    assert dead["body"] == "{not json"
    assert dead["reason"].startswith("event: not valid JSON")


def test_events_the_rule_does_not_match_never_reach_the_function(stack: Harness) -> None:
    other = stack.rt.envelope("Order Created", order_created(), source="another-shop")
    assert stack.rt.put_events([other]) == 0
    assert stack.entries("order.seen") == []
