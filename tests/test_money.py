"""Money as the shopper and the checkout see it: nothing-to-pay orders, currencies with
0 and 3 decimals, fixed amounts that belong to a currency, never a negative price."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from conftest import Harness, at, order_created
from winback.aws.store import ContactRecord, OrderRecord
from winback.domain.recovery import coupon_email
from winback.model.campaigns import CampaignError, UnpaidOrderCampaign, parse_campaigns

SENT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def unpaid(**coupon) -> UnpaidOrderCampaign:
    [campaign] = parse_campaigns([{"id": "c", "list": "l", "coupon": {"code": "SAVE", **coupon}}])
    assert isinstance(campaign, UnpaidOrderCampaign)
    return campaign


def shown(campaign: UnpaidOrderCampaign, total: str, currency: str, locale: str = "en") -> str:
    """The reminder for one order as its reader sees it (text and HTML)."""
    order = OrderRecord("o-1", status="unpaid", currency=currency, total=total, pay_url="https://shop.example.com/p")
    person = ContactRecord("c-1", email="a@example.com", first_name="Ana", locale=locale, timezone="UTC")
    content = coupon_email(order, person, campaign, SENT, campaign.coupon.code)
    return content.text + html.unescape(content.html)


@pytest.fixture
def campaigns():
    """One campaign whose coupon is a fixed amount in euros only."""
    return [unpaid(amount_off={"EUR": 10})]


def test_an_order_with_nothing_to_pay_is_not_unpaid_and_gets_no_email(stack: Harness) -> None:
    stack.send("Order Created", order_created("free-sample", total="0.00"))
    stack.run_until(at(hours=30))
    assert stack.rt.outbox == []
    assert stack.entries("flow.started") == []
    [skipped] = stack.entries("flow.skipped", order_id="free-sample")
    assert skipped["reason"] == "nothing_to_pay"


@pytest.mark.parametrize(
    ("currency", "total", "off", "discount", "after", "not_shown"),
    [
        # 15 % of ¥1,999 is ¥299.85: yen have no decimals, so ¥300 off and ¥1,699 to pay.
        ("JPY", "1999", "300", "¥300", "¥1,699", "1,699.15"),
        # Kuwaiti dinars have three: 15 % of 27.450 is 4.1175, rounded half up to 4.118.
        ("KWD", "27.450", "4.118", "KWD4.118", "KWD23.332", "KWD23.33\n"),
        ("EUR", "89.90", "13.49", "€13.49", "€76.41", "76.415"),
    ],
)
def test_discounts_round_to_the_currencys_own_minor_unit(currency, total, off, discount, after, not_shown) -> None:
    campaign = unpaid(percent_off=15)
    assert campaign.coupon.discount_on(Decimal(total), currency) == Decimal(off)
    assert str(campaign.coupon.discount_on(Decimal(total), currency)) == off  # no stray decimals
    seen = shown(campaign, total, currency)
    assert discount in seen and after in seen and not_shown not in seen


def test_a_fixed_amount_needs_its_currency() -> None:
    with pytest.raises(CampaignError, match="amount_off needs its currency"):
        unpaid(amount_off=5)
    with pytest.raises(CampaignError, match="'EURO' is not an ISO 4217 currency code"):
        unpaid(amount_off={"EURO": 5})
    with pytest.raises(CampaignError, match="more decimals than JPY has"):
        unpaid(amount_off={"JPY": "5.5"})
    assert unpaid(amount_off=5, currency="EUR").coupon.amount_off == {"EUR": Decimal(5)}


def test_a_fixed_amount_is_taken_off_in_its_own_currency_only() -> None:
    coupon = unpaid(amount_off={"EUR": 10, "JPY": 1500}).coupon
    assert coupon.discount_on(Decimal("89.90"), "EUR") == Decimal("10.00")
    assert coupon.discount_on(Decimal("19990"), "JPY") == Decimal("1500")
    assert not coupon.applies_to("USD") and coupon.discount_on(Decimal("89.90"), "USD") == 0
    assert "€10.00 off" in shown(unpaid(amount_off={"EUR": 10}), "89.90", "EUR")


def test_an_order_in_another_currency_gets_the_reminder_without_the_coupon(stack: Harness) -> None:
    order = {**order_created("o-usd"), "currency": "USD"}
    stack.send("Order Created", order)
    stack.run_until(at(minutes=30))
    [skipped] = stack.entries("coupon.skipped", order_id="o-usd")
    assert skipped["reason"] == "currency" and skipped["currency"] == "USD"
    [sent] = stack.entries("email.sent")
    assert sent["coupon_code"] is None
    assert stack.entries("list.added") == []  # the coupon would not work for them anyway
    # and the checkout hears the same: this coupon takes nothing off a dollar order
    status, answer = stack.rt.call_api(
        "POST",
        "/coupons/validate",
        {"code": "SAVE", "contact_id": "c-42", "offer_id": "python-course", "price": "120.00", "currency": "USD"},
    )
    assert status == 200 and answer["valid"] is False


@pytest.mark.parametrize(
    ("coupon", "total", "after"),
    [({"amount_off": {"EUR": 10}}, "6.00", "€0.00"), ({"percent_off": 100}, "6.00", "€0.00")],
)
def test_a_discount_never_makes_the_price_negative(coupon, total, after) -> None:
    seen = shown(unpaid(**coupon), total, "EUR")
    assert after in seen and "-€" not in seen and "€-" not in seen
