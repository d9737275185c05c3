"""A person's data: export everything winback holds, erase it everywhere, never mail again."""

from __future__ import annotations

import json

import pytest
from flows import checkout, shop

from conftest import Harness, at, order_created, order_paid
from winback.aws.store import ALL_MODELS
from winback.domain import privacy, sending


def _every_item() -> str:
    return json.dumps([item.to_simple_dict() for model in ALL_MODELS for item in model.scan()], default=str)


def test_export_holds_what_winback_knows_and_erase_leaves_no_trace_of_the_address() -> None:
    with shop() as stack:
        stack.send("Checkout Started", checkout("cart-1", "c-42"))
        stack.send("Order Created", order_created("o-1", "c-42"), when=at(minutes=10))
        stack.run_until(at(hours=1))
        stack.send("Order Paid", order_paid("o-1", "c-42"))
        stack.send("Order Created", order_created("o-2", "c-42"))  # still waiting for its reminder
        stack.send("Order Created", order_created("o-3", "c-7"))  # somebody else
        stack.run_until(at(hours=1, minutes=5))
        held = privacy.export("c-42@example.com")
        [person] = held["contacts"]
        assert person["contact"]["email"] == "c-42@example.com"
        assert {o["order_id"] for o in person["orders"]} == {"o-1", "o-2"}
        assert [c["cart_id"] for c in person["carts"]] == ["cart-1"]
        assert person["emails"] and person["purchase_summary"]["orders"] == 1

        counts = privacy.erase("c-42@example.com")
        assert counts["contacts"] == 1 and counts["orders"] == 2 and counts["flows_stopped"] >= 1
        everything = _every_item()
        assert "c-42@example.com" not in everything and '"c-42"' not in everything
        assert "c-7" in everything  # nobody else's data goes
        assert stack.entries("contact.erased") and "c-42" not in str(stack.entries("contact.erased"))
        stack.run_until(at(days=15))  # (the local engine ends a stopped execution when its wait is over)
        status = {e["name"]: e["status"] for e in stack.rt.executions()}
        assert {name for name, s in status.items() if s == "ABORTED"} >= {"order-o-2", "purchase-o-1"}
        assert status["order-o-3"] == "SUCCEEDED"  # c-7's flow went on

        # The same person comes back as a new contact: marketing never reaches them again.
        stack.send("Order Created", order_created("o-4", "c-42"))
        stack.run_until(at(days=15, hours=1))
        assert sending.cannot_email(sending.contact("c-42")) == privacy.ERASED
        assert stack.entries("email.skipped", contact_id="c-42", reason=privacy.ERASED)


def test_erasure_stops_a_carts_resumed_series_too() -> None:
    with shop() as stack:
        stack.send("Checkout Started", checkout("cart-1", "c-42"))
        stack.send("Order Created", order_created("o-1", "c-42", cart_id="cart-1"), when=at(minutes=10))
        stack.send("Order Cancelled", {"order_id": "o-1", "contact_id": "c-42"}, when=at(minutes=20))  # declined
        stack.run_until(at(hours=2))
        privacy.erase("c-42")
        stack.run_until(at(days=5))
        status = {e["name"]: e["status"] for e in stack.rt.executions()}
        resumed = [name for name in status if name.startswith("cart-cart-1_after_o-1")]
        assert resumed and all(status[name] == "ABORTED" for name in resumed)
        assert "FAILED" not in status.values()  # no step woke to a cart that is gone


def test_erasing_somebody_unknown_says_so_and_exits_non_zero(
    stack: Harness, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(privacy.UnknownPerson):
        privacy.erase("nobody@example.com")
    from winback_local import cli

    monkeypatch.setattr(cli, "_use_stack", lambda args: None)  # the local tables are the stack's
    assert cli.main(["contacts", "erase", "nobody@example.com", "--stack", "winback"]) == 1
    assert "nobody known as 'nobody@example.com'" in capsys.readouterr().err


def test_orders_carts_and_the_send_ledger_expire_after_the_retention(stack: Harness) -> None:
    from datetime import timedelta

    from conftest import T0
    from winback.aws.store import CartRecord, OrderRecord, SendRecord

    stack.send("Checkout Started", checkout("cart-1", "c-42"))
    stack.send("Order Created", order_created("o-1", "c-42"))
    stack.run_until(at(minutes=30))
    kept = timedelta(days=730)  # RetentionDays, as template.yaml sets it
    assert OrderRecord.get("o-1").expires_at == T0 + kept
    assert CartRecord.get("cart-1").expires_at == T0 + kept
    assert all(s.expires_at == at(minutes=30) + kept for s in SendRecord.scan() if s.send_id.startswith("unpaid"))


def test_the_shop_can_ask_for_an_erasure_on_the_bus() -> None:
    with shop() as stack:
        stack.send("Order Created", order_created("o-1", "c-42"))
        stack.send("Contact Erasure Requested", {"contact_id": "c-42"}, when=at(minutes=5))
        stack.send("Contact Erasure Requested", {"contact_id": "c-nobody"})
        stack.send("Contact Erasure Requested", {"email": "c-42@example.com"})  # no contact_id
        stack.run_until(at(minutes=6))
        [erased] = stack.entries("contact.erased")
        assert erased["orders"] == 1
        assert stack.entries("contact.erasure_unknown")
        [rejected] = stack.rt.rejected()
        assert rejected["reason"] == "detail.contact_id: is required"
        assert "c-42@example.com" not in _every_item()
