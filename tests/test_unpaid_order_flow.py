"""Unpaid-order recovery end to end: the real ASL, the real handlers, moto, a virtual clock."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from flows import throttle_step_functions

from conftest import Harness, at, order_created, order_paid, parts

CODE = "COMEBACK10"  # the default campaign's coupon


def test_unpaid_order_gets_list_membership_and_coupon_email_at_30_minutes(stack: Harness) -> None:
    stack.send("Order Created", order_created())
    stack.run_until(at(minutes=29))
    assert stack.rt.outbox == [], "nothing may go out before the 30-minute delay"

    stack.run_until(at(minutes=30))
    [added] = stack.entries("list.added", contact_id="c-42")
    [sent] = stack.entries("email.sent", contact_id="c-42")
    assert added["at"] == sent["at"] == "2026-03-02T09:30:00Z"
    assert sent["to"] == "c-42@example.com" and sent["coupon_code"] == CODE

    [message] = stack.emails()
    assert message["To"] == "c-42@example.com"
    for body in parts(message).values():
        assert "10% off" in body  # the default coupon has no name: the email names the offer
        assert CODE in body
        assert "€12.00" in body  # discount
        assert "24 hours" in body  # validity, from the window
        assert "€120.00" in body and "€108.00" in body  # price before and after
        assert "https://shop.example.com/pay/o-1?coupon=COMEBACK10" in body  # the link applies the coupon

    answer = stack.validate(CODE, "c-42")
    assert answer == {
        "valid": True,
        "reason": "ok",
        "coupon_name": "COMEBACK10",  # the default coupon has no name: the checkout shows its code
        "discount": "12.00",
        "price": "120.00",
        "price_after_discount": "108.00",
        "free_shipping": False,
    }


def test_a_forwarded_coupon_fails_and_the_owner_loses_it_after_the_window(stack: Harness) -> None:
    stack.send("Order Created", order_created())
    stack.run_until(at(minutes=31))
    assert stack.validate(CODE, "c-42")["valid"] is True
    stranger = stack.validate(CODE, "c-99")
    assert stranger["valid"] is False and stranger["reason"] == "not_eligible"
    assert stranger["price_after_discount"] == "120.00"

    stack.run_until(at(minutes=30, hours=24))  # the end of the eligibility window
    assert stack.entries("list.removed", contact_id="c-42")
    late = stack.validate(CODE, "c-42")
    assert late["valid"] is False and late["reason"] == "not_eligible"
    [ended] = stack.entries("flow.ended")
    assert ended["outcome"] == "expired"


def test_paid_within_the_delay_sends_nothing(stack: Harness) -> None:
    stack.send("Order Created", order_created())
    stack.send("Order Paid", order_paid(), when=at(minutes=20))
    stack.run_until(at(days=2))
    assert stack.rt.outbox == []
    assert not stack.entries("list.added")
    [ended] = stack.entries("flow.ended")
    assert ended["outcome"] == "paid"


def test_cancelled_order_sends_nothing(stack: Harness) -> None:
    stack.send("Order Created", order_created())
    stack.send("Order Cancelled", {"order_id": "o-1", "contact_id": "c-42"}, when=at(minutes=5))
    stack.run_until(at(days=2))
    assert stack.rt.outbox == []
    assert [e["outcome"] for e in stack.entries("flow.ended")] == ["cancelled"]


def test_paid_delivered_before_created_starts_nothing_and_sends_nothing(stack: Harness) -> None:
    stack.send("Order Paid", order_paid())
    stack.send("Order Created", order_created(), when=at(minutes=1))
    stack.run_until(at(days=2))
    assert stack.rt.outbox == []
    assert stack.entries("flow.started") == []
    assert stack.rt.executions() == []


def test_a_paid_order_never_turns_unpaid_again(stack: Harness) -> None:
    stack.send("Order Created", order_created())
    stack.send("Order Paid", order_paid(), when=at(minutes=5))
    # The shop re-sends creation (a new event id) and a late cancellation arrives.
    stack.send("Order Created", order_created(), when=at(minutes=6))
    stack.send("Order Cancelled", {"order_id": "o-1", "contact_id": "c-42"}, when=at(minutes=7))
    stack.run_until(at(days=2))
    from winback.aws.store import OrderRecord

    assert OrderRecord.get("o-1").status == "paid"
    assert stack.rt.outbox == []


def test_the_same_event_delivered_twice_sends_one_email(stack: Harness) -> None:
    stack.send("Order Created", order_created(), event_id="evt-1")
    stack.send("Order Created", order_created(), when=at(minutes=2), event_id="evt-1")
    stack.run_until(at(days=2))
    assert len(stack.rt.outbox) == 1
    assert len(stack.entries("flow.started")) == 1
    assert len(stack.rt.executions()) == 1


def test_an_invalid_event_is_rejected_with_its_reason_and_the_batch_goes_on(stack: Harness) -> None:
    bad = order_created("o-2", "c-43")
    bad["contact"]["email"] = "not-an-email"
    stack.send_batch(
        [
            ("Order Created", order_created("o-1", "c-42")),
            ("Order Created", bad),
            ("Order Created", order_created("o-3", "c-44")),
        ]
    )
    [rejected] = stack.rt.rejected()
    assert rejected["reason"] == "detail.contact.email: is not a valid email address"
    assert '"order_id": "o-2"' in rejected["body"]  # kept whole, ready to replay
    [entry] = stack.entries("event.rejected")
    assert entry["reason"] == rejected["reason"]
    stack.run_until(at(minutes=30))
    assert sorted(e["contact_id"] for e in stack.entries("email.sent")) == ["c-42", "c-44"]


def test_no_marketing_consent_means_no_email_and_the_skip_is_recorded(stack: Harness) -> None:
    stack.send("Order Created", order_created(marketing_consent=False))
    stack.run_until(at(days=2))
    assert stack.rt.outbox == []
    [skipped] = stack.entries("email.skipped")
    assert skipped["reason"] == "no_consent" and skipped["contact_id"] == "c-42"
    assert stack.validate(CODE, "c-42")["valid"] is False  # never put on the list


def test_consent_withdrawn_before_the_email_stops_it(stack: Harness) -> None:
    stack.send("Order Created", order_created())
    later = {"id": "c-42", "email": "c-42@example.com", "marketing_consent": False}
    stack.send("Contact Updated", {"contact": later}, when=at(minutes=10))
    stack.run_until(at(days=2))
    assert stack.rt.outbox == []
    assert stack.entries("email.skipped")[0]["reason"] == "no_consent"


def test_a_customer_name_with_html_is_escaped_in_the_email(stack: Harness) -> None:
    stack.send("Order Created", order_created(first_name="<script>alert(1)</script>Ana"))
    stack.run_until(at(minutes=30))
    html = parts(stack.emails()[0])["text/html"]
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;Ana" in html


def test_paid_with_the_coupon_after_the_email_counts_as_recovered(stack: Harness) -> None:
    stack.send("Order Created", order_created())
    stack.run_until(at(hours=2))
    assert stack.redeem(CODE, "c-42", "o-1")["valid"] is True
    stack.send("Order Paid", order_paid(total="108.00", coupon_code=CODE))
    stack.run_until(at(days=2))
    [recovered] = stack.entries("order.recovered")
    assert recovered["revenue"] == "108.00" and recovered["campaign"] == "unpaid-order-default"
    # Paid: taken off the list at the end of the window all the same.
    assert stack.entries("list.removed", contact_id="c-42")
    assert [e["outcome"] for e in stack.entries("flow.ended")] == ["paid"]


def test_redeem_is_idempotent_per_order_and_single_use_per_contact(stack: Harness) -> None:
    stack.send("Order Created", order_created())
    stack.run_until(at(minutes=31))
    assert stack.redeem(CODE, "c-42", "o-1")["valid"] is True
    assert stack.redeem(CODE, "c-42", "o-1")["valid"] is True  # the checkout retried
    again = stack.redeem(CODE, "c-42", "o-other")
    assert again["valid"] is False and again["reason"] == "already_used"
    assert stack.validate(CODE, "c-42")["reason"] == "already_used"


def test_coupon_is_refused_on_an_offer_the_campaign_does_not_cover(campaigns: list) -> None:
    from conftest import T0
    from winback.model.campaigns import parse_campaigns
    from winback_local.runtime import LocalRuntime

    narrow = parse_campaigns([{**campaigns[0].model_dump(mode="json"), "offers": ["python-course"]}])
    with LocalRuntime(T0, narrow) as runtime:
        stack = Harness(runtime)
        stack.send("Order Created", order_created())
        stack.run_until(at(minutes=31))
        answer = stack.validate(CODE, "c-42", offer_id="cooking-course")
        assert answer["valid"] is False and answer["reason"] == "offer_not_covered"


def test_a_retried_reminder_task_never_sends_a_second_email(stack: Harness) -> None:
    stack.send("Order Created", order_created())
    stack.run_until(at(minutes=31))
    step = {"order_id": "o-1", "campaign_id": "unpaid-order-default", "execution": "retry-test"}
    assert stack.rt.invoke("OfferCouponFunction", step)["email_sent"] is False  # Step Functions retries the task
    assert len(stack.rt.outbox) == 1


def test_an_execution_started_before_the_reminder_became_one_step_sends_one_email(stack: Harness) -> None:
    # Its definition still has the email as a step of its own, on the retired function.
    stack.send("Order Created", order_created())
    stack.run_until(at(minutes=31))
    step = {"order_id": "o-1", "campaign_id": "unpaid-order-default", "execution": "started-before"}
    assert stack.rt.invoke("SendCouponEmailFunction", {**step, "with_coupon": True}) == {
        "email_sent": False,
        "duplicate": True,
    }
    assert len(stack.rt.outbox) == 1


def test_ses_throttling_is_retried_with_backoff_and_sends_once(stack: Harness, monkeypatch) -> None:
    from botocore.exceptions import ClientError

    from winback.aws import mailer

    calls = {"n": 0}
    real_send = mailer._ses().send_email

    def flaky(**request):
        calls["n"] += 1
        if calls["n"] <= 2:
            raise ClientError({"Error": {"Code": "TooManyRequestsException", "Message": "slow down"}}, "SendEmail")
        return real_send(**request)

    monkeypatch.setattr(mailer._ses(), "send_email", flaky)
    stack.send("Order Created", order_created())
    stack.run_until(at(minutes=35))
    assert calls["n"] == 3
    assert len(stack.rt.outbox) == 1
    [execution] = stack.rt.executions()
    history = boto3.client("stepfunctions").get_execution_history(executionArn=execution["executionArn"])
    failures = [e for e in history["events"] if e["type"] == "TaskFailed"]
    assert [f["taskFailedEventDetails"]["error"] for f in failures] == ["TransientError", "TransientError"]
    stack.run_until(at(days=2))
    [ended] = stack.rt.ended
    # Five states entered (the wait, the reminder, its choice, the window, its end), and
    # Step Functions bills each retry as one more transition.
    assert ended.retries == 2 and ended.transitions == 5 + 2


def test_the_coupon_api_names_the_field_of_a_bad_request(stack: Harness) -> None:
    status, body = stack.rt.call_api("POST", "/coupons/validate", {"code": "X", "contact_id": "c-1", "offer_id": "o"})
    assert status == 400 and body["message"] == "invalid request: price: is required"
    status, body = stack.rt.call_api(
        "POST", "/coupons/redeem", {"code": "X", "contact_id": "c-1", "offer_id": "o", "price": "1"}
    )
    assert status == 400 and body["message"] == "invalid request: order_id is required to redeem"


def test_the_coupon_api_reads_the_request_as_api_gateway_passes_it(stack: Harness) -> None:
    import base64
    import json

    from winback_local import aws_events

    function = stack.rt.stack.function_for_handler("winback.handlers.coupon_api.handler").logical_id

    def answer(event: dict[str, Any]) -> tuple[int, str, list[str]]:
        response = stack.rt.invoke(function, event)
        message = json.loads(response["body"]).get("message", "")
        return response["statusCode"], message, response["multiValueHeaders"]["Content-Type"]

    request = {"code": "X", "contact_id": "c-1", "offer_id": "o"}
    encoded = aws_events.api_gateway("POST", "/coupons/validate", request)
    encoded |= {"body": base64.b64encode(encoded["body"].encode()).decode(), "isBase64Encoded": True}
    assert answer(encoded) == (400, "invalid request: price: is required", ["application/json"])
    garbled = aws_events.api_gateway("POST", "/coupons/validate", request) | {"body": "{code: X"}
    assert answer(garbled) == (400, "invalid request: the body is not JSON", ["application/json"])
    # Behind a custom domain the path carries its base path; the resource is the API's own.
    mapped = aws_events.api_gateway("POST", "/coupons/validate", request) | {"path": "/shop/coupons/validate"}
    assert answer(mapped)[:2] == (400, "invalid request: price: is required")
    assert answer(aws_events.api_gateway("POST", "/coupons/other", request))[:2] == (404, "Not found")
    assert answer(aws_events.api_gateway("GET", "/coupons/validate", request))[:2] == (404, "Not found")


def test_paid_during_the_delay_stops_the_flow_at_once_in_one_transition(stack: Harness) -> None:
    stack.send("Order Created", order_created())
    stack.send("Order Paid", order_paid(), when=at(minutes=20))
    [ended] = stack.entries("flow.ended")
    assert ended["at"] == "2026-03-02T09:20:00Z" and ended["outcome"] == "paid"
    stack.run_until(at(minutes=31))
    [execution] = stack.rt.ended
    assert execution.transitions == 1 and execution.tasks == 0  # WaitBeforeReminder, then stopped
    assert stack.rt.routes.invocations == 0  # no task ran


def _step_functions_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The calls the payment makes to find and stop the waiting flow, as they are made."""
    from winback.aws import flows

    client, calls = flows._sfn(), []

    def counting(name: str) -> Any:
        real = getattr(client, name)

        def counted(**request: Any) -> Any:
            calls.append(name)
            return real(**request)

        return counted

    for name in ("get_execution_history", "stop_execution"):
        monkeypatch.setattr(client, name, counting(name))
    return calls


@pytest.mark.parametrize(
    ("paid_after", "calls", "transitions"),
    [
        (20, ["stop_execution"], 1),  # well before the reminder: surely still waiting
        (29.5, ["get_execution_history", "stop_execution"], 1),  # too near to tell by the clock
        (120, [], 5),  # well after: the flow has moved on and ends at its own end
    ],
)
def test_a_payment_asks_step_functions_where_the_flow_is_only_near_the_reminder(
    stack: Harness, monkeypatch: pytest.MonkeyPatch, paid_after: float, calls: list[str], transitions: int
) -> None:
    made = _step_functions_calls(monkeypatch)
    stack.send("Order Created", order_created())
    stack.send("Order Paid", order_paid(), when=at(minutes=paid_after))
    assert made == calls
    stack.run_until(at(days=2))
    [execution] = stack.rt.ended
    assert execution.transitions == transitions
    assert [e["outcome"] for e in stack.entries("flow.ended")] == ["paid"]


def test_a_payment_heard_with_its_order_stops_the_flow_before_it_waits(stack: Harness) -> None:
    stack.rt.put_events(
        [
            stack.rt.envelope(kind, detail)
            for kind, detail in (("Order Created", order_created()), ("Order Paid", order_paid()))
        ]
    )  # one batch, one moment
    stack.run_until(at(days=2))
    assert stack.rt.ingestion_failures == 0 and stack.rt.outbox == []
    [execution] = stack.rt.executions()
    assert execution["status"] == "ABORTED"
    assert [e["outcome"] for e in stack.entries("flow.ended")] == ["paid"]


def test_a_payment_after_a_cancellation_does_not_stop_the_stopped_flow_again(
    stack: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = _step_functions_calls(monkeypatch)
    stack.send("Order Created", order_created())
    stack.send("Order Cancelled", {"order_id": "o-1", "contact_id": "c-42"}, when=at(minutes=5))
    stack.send("Order Paid", order_paid(), when=at(minutes=10))  # money received wins
    stack.run_until(at(days=2))
    assert made == ["get_execution_history", "stop_execution", "get_execution_history"]
    assert [e["outcome"] for e in stack.entries("flow.ended")] == ["cancelled"]
    assert stack.rt.outbox == []


def test_a_payment_while_step_functions_throttles_is_taken_and_the_flow_ends_at_its_next_step(
    stack: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    throttle_step_functions(monkeypatch)  # a sale's burst of payments
    stack.send("Order Created", order_created())
    stack.send("Order Paid", order_paid(), when=at(minutes=20))
    stack.run_until(at(days=2))
    assert stack.rt.ingestion_failures == 0  # the payment went through the first time, not retried from the queue
    assert stack.entries("email.sent") == []
    [ended] = stack.entries("flow.ended")
    assert ended["outcome"] == "paid" and ended["at"] == "2026-03-02T09:30:00Z"  # at its offer step, not at once


def test_a_second_unpaid_order_within_the_cool_down_is_reminded_without_a_coupon(stack: Harness) -> None:
    stack.send("Order Created", order_created("o-1"))
    stack.run_until(at(days=2))
    stack.send("Order Created", order_created("o-2"))
    stack.run_until(at(days=2, minutes=31))
    first, second = stack.entries("email.sent")
    assert first["coupon_code"] == "COMEBACK10" and second["coupon_code"] is None
    assert second["subject"] == "Your order o-2 is waiting for you"
    [skip] = stack.entries("coupon.skipped", order_id="o-2")
    assert skip["reason"] == "cooldown"
    body = parts(stack.emails()[1])["text/plain"]
    assert "COMEBACK10" not in body and "https://shop.example.com/pay/o-2" in body and "coupon=" not in body
    assert stack.validate("COMEBACK10", "c-42")["reason"] == "not_eligible"  # not on the list this time
