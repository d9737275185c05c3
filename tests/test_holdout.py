"""The per-campaign holdout: stable, close to its share, and held out contacts go
through the flow's waits and checks but get no email and no coupon, recorded as such."""

from __future__ import annotations

import pytest

from conftest import Harness, at, no_holdout, order_created, order_paid
from winback.aws.store import SendRecord
from winback.model.attribution import in_holdout
from winback.model.campaigns import default_campaigns


def test_holdout_assignment_is_stable_and_close_to_its_share_over_10k_contacts() -> None:
    contacts = [f"c-{n}" for n in range(10_000)]
    held = [c for c in contacts if in_holdout("spring", c, 10)]
    assert 900 <= len(held) <= 1100  # 10 % ± 1 point (three standard deviations)
    assert held == [c for c in contacts if in_holdout("spring", c, 10)]  # the same contacts every time
    other = {c for c in contacts if in_holdout("autumn", c, 10)}
    assert len(other & set(held)) < 200  # another campaign draws its own holdout
    assert not any(in_holdout("spring", c, 0) for c in contacts[:500])
    assert all(in_holdout("spring", c, 100) for c in contacts[:500])


HELD = next(f"c-{n}" for n in range(100) if in_holdout("unpaid-order-default", f"c-{n}", 50))


@pytest.fixture
def campaigns():
    """The default unpaid-order campaign with half its contacts held out."""
    [unpaid] = [c for c in no_holdout(default_campaigns()) if c.flow == "unpaid_order"]
    return [unpaid.model_copy(update={"holdout_percent": 50})]


def test_a_held_out_contact_gets_no_email_and_no_coupon_but_is_recorded_and_credited(stack: Harness) -> None:
    stack.send("Order Created", order_created("o-h", HELD))
    stack.run_until(at(hours=1))
    assert stack.rt.outbox == [] and stack.entries("list.added") == []  # no email, no coupon
    [held] = stack.entries("email.held_out", contact_id=HELD)
    assert held["at"] == "2026-03-02T09:30:00Z"  # when the email would have gone
    assert [c["reason"] for c in stack.entries("coupon.skipped")] == ["holdout"]
    assert SendRecord.get("unpaid_order#o-h#coupon").status == "held_out"
    stack.send("Order Paid", order_paid("o-h", HELD), when=at(hours=2))
    [credit] = stack.entries("order.attributed")
    assert credit["held_out"] is True and credit["outcome"] == "recovered"  # the comparison's side
    assert stack.entries("order.recovered") == []  # and never counted as the email's
    stack.run_until(at(hours=25))
    [ended] = stack.entries("flow.ended", order_id="o-h")
    assert ended["outcome"] == "paid"  # the flow went on through its waits


def test_a_held_out_lapsed_customer_gets_no_code_from_the_pool_and_no_email() -> None:
    from winback_helpers import lapsed_shop, old_customers_buy, winback_campaign

    with lapsed_shop([winback_campaign(min_orders=2, holdout_percent=100)]) as stack:
        old_customers_buy(stack, at(days=1, hours=1))
        stack.run_until(at(days=2))  # eight hours after the night's RFM run
        assert stack.rt.outbox == [] and stack.entries("coupon.assigned") == []
        [held] = stack.entries("email.held_out", contact_id="T")
        assert held["at"] == "2026-03-04T09:00:00Z"
        [ended] = stack.entries("flow.ended", flow="winback")
        assert ended["outcome"] == "held_out"
