"""Coupon pools: unique codes, handed out once, the same again on a retry."""

from __future__ import annotations

import string

import pytest
from winback_helpers import winback_campaign

from conftest import Harness, at, order_created, order_paid
from winback.domain import pools
from winback.model import clock
from winback.model.campaigns import UnpaidOrderCampaign, default_campaigns


def test_generated_codes_carry_64_bits_and_no_look_alikes() -> None:
    codes = {pools.generate_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert set("".join(codes)) <= set(pools.ALPHABET) | {"-"}
    assert not set("0O1IL") & set(pools.ALPHABET)
    assert len(pools.ALPHABET) ** pools.GENERATED_LENGTH >= 2**64


@pytest.mark.parametrize(
    ("lines", "problem"),
    [
        (["ABCD-1234-XY", "abcd-1234-xy"], "line 2: code ABCD-1234-XY appears twice"),
        (["", "  "], "the file holds no codes"),
        (["SAVE10"], "line 1: code SAV... is 6 characters; at least 8"),
        (["GOOD-CODE-1", "BAD CODE 12"], "line 2: a code may hold letters, digits, - and _ only"),
    ],
)
def test_a_pool_file_is_refused_with_the_reason(lines: list[str], problem: str) -> None:
    with pytest.raises(pools.PoolError, match=problem.replace("...", r"\.\.\.")):
        pools.check_codes(lines)


def test_each_send_gets_its_own_code_once_and_the_same_one_on_a_retry(stack: Harness) -> None:
    campaign = winback_campaign()
    codes = [f"POOLCODE{c}" for c in string.ascii_uppercase[:6]]
    assert pools.add_codes(campaign.id, codes) == (6, 0)
    assert pools.add_codes(campaign.id, codes) == (0, 6)  # a file loaded twice adds nothing
    now = clock.now()
    given = [pools.assign(campaign, f"c-{n}", f"send-{n}", now) for n in range(5)]
    assert len(set(given)) == 5 and set(given) <= set(codes)
    assert pools.assign(campaign, "c-0", "send-0", now) == given[0]  # a retried step
    assert pools.remaining(campaign.id) == 1
    pools.assign(campaign, "c-9", "send-9", now)
    assert pools.assign(campaign, "c-10", "send-10", now) is None  # empty
    assert stack.entries("coupon.pool_empty", campaign=campaign.id)


def test_a_pool_code_works_for_its_contact_only_until_it_expires(stack: Harness) -> None:
    campaign = winback_campaign(window_hours=48)
    pools.add_codes(campaign.id, ["POOLCODEAA"])
    from winback.aws import campaign_store

    campaign_store.apply([campaign])
    code = pools.assign(campaign, "c-1", "send-1", clock.now())
    assert code == "POOLCODEAA"
    assert stack.validate(code, "c-1")["valid"]
    assert stack.validate(code, "c-2")["reason"] == "not_eligible"  # forwarded: useless
    stack.run_until(at(hours=49))
    assert stack.validate(code, "c-1")["reason"] == "not_eligible"


def test_a_repeat_customer_gets_a_new_code_not_the_one_they_redeemed(stack: Harness) -> None:
    """With the shared code, the second unpaid order's email carried a code checkout refused."""
    base = next(c for c in default_campaigns() if isinstance(c, UnpaidOrderCampaign))
    pooled = base.model_copy(
        update={"coupon": base.coupon.model_copy(update={"pool": True}), "coupon_cooldown_days": 0}
    )
    from winback.aws import campaign_store

    campaign_store.apply([pooled])
    pools.add_codes(pooled.id, [f"UNPAIDCODE{n}" for n in range(3)])
    stack.send("Order Created", order_created("o-1", "c-42"))
    stack.run_until(at(minutes=31))
    [first] = stack.entries("email.sent", order_id="o-1")
    assert stack.redeem(first["coupon_code"], "c-42", "o-1")["valid"]
    stack.send("Order Paid", order_paid("o-1", "c-42", coupon_code=first["coupon_code"]), when=at(hours=1))
    stack.send("Order Created", order_created("o-2", "c-42"), when=at(days=2))
    stack.run_until(at(days=2, minutes=31))
    [second] = stack.entries("email.sent", order_id="o-2")
    assert second["coupon_code"] != first["coupon_code"]
    assert stack.validate(second["coupon_code"], "c-42")["valid"]
