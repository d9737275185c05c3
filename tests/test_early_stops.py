"""A flow whose reason is gone (the order paid, the cart ordered, the customer bought
again) is stopped while it waits, but only in the Waits where a stop leaves nothing to
undo: the Waits before an email, as the ASL names them. A renamed state would make the
stop silently give way every time, so the names are checked against the files."""

from __future__ import annotations

import json

import pytest
from flows import ROOT

from winback.domain import carts, orders, purchases


def _states(machine: str) -> dict[str, dict[str, object]]:
    path = ROOT / "infra" / "statemachines" / f"{machine}.asl.json"
    return json.loads(path.read_text(encoding="utf-8"))["States"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("machine", "waits", "emails"),
    [
        ("unpaid_order_recovery", {orders.FIRST_WAIT: 0}, ["RemindIfStillUnpaid"]),
        (
            "abandoned_cart_series",
            carts.WAITS_BEFORE_EMAILS,
            ["SendFirstReminder", "SendSecondReminder", "SendOfferReminder"],
        ),
        ("post_purchase", dict.fromkeys(purchases.WAITS_BEFORE_SECOND_PURCHASE, 0), ["SendSecondPurchaseEmail"]),
    ],
)
def test_a_flow_is_stopped_only_in_a_wait_before_an_email(
    machine: str, waits: dict[str, int], emails: list[str]
) -> None:
    states = _states(machine)
    for wait, emails_sent in waits.items():
        assert states[wait]["Type"] == "Wait", wait
        assert states[wait]["Next"] == emails[emails_sent], wait
    # the cart's offer window and the unpaid order's eligibility window hold a coupon: no stop there
    assert "WaitOfferWindow" not in waits and "WaitEligibilityWindow" not in waits
