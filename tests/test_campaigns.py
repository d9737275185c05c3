"""Campaign files: defaults, the 10-minute floor, clear errors, and which campaign wins."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from winback.model.campaigns import (
    CampaignError,
    UnpaidOrderCampaign,
    choose_campaign,
    default_campaigns,
    load_campaigns,
    parse_campaigns,
)

ROOT = Path(__file__).resolve().parents[1]


def campaign(**overrides):
    base = {"id": "c1", "list": "l1", "coupon": {"code": "SAVE10", "percent_off": 10}}
    base.update(overrides)
    return base


def test_the_documented_defaults_are_30_minutes_24_hours_and_one_restricted_coupon() -> None:
    [default] = [c for c in default_campaigns() if isinstance(c, UnpaidOrderCampaign)]
    assert default.delay_minutes == 30 and default.window_hours == 24
    assert default.offers == ["*"] and default.list and default.coupon.percent_off == 10


def test_the_example_file_is_valid() -> None:
    ids = [c.id for c in load_campaigns(ROOT / "examples" / "campaigns.yaml")]
    assert ids == ["python-course-launch", "everything-else", "abandoned-cart", "after-purchase", "lapsed-customers"]


def test_a_delay_under_10_minutes_is_refused_with_the_reason() -> None:
    with pytest.raises(CampaignError) as raised:
        parse_campaigns([campaign(delay_minutes=5)], "campaigns.yaml")
    message = str(raised.value)
    assert message.startswith("campaigns.yaml: campaign c1: delay_minutes is 5, but must be at least 10")
    assert "payments take time" in message


def test_errors_name_the_campaign_and_field() -> None:
    with pytest.raises(CampaignError, match=r"campaign c1, coupon: Value error|campaign c1, coupon: give exactly one"):
        parse_campaigns([campaign(coupon={"code": "SAVE10"})])
    with pytest.raises(CampaignError, match="two campaigns use the coupon code 'SAVE10'"):
        parse_campaigns([campaign(), campaign(id="c2")])


def test_an_offer_named_by_a_campaign_wins_over_a_catch_all() -> None:
    catch_all = campaign(id="all")
    named = campaign(id="named", offers=["book"], coupon={"code": "BOOK5", "amount_off": 5, "currency": "EUR"})
    campaigns = parse_campaigns([catch_all, named])
    assert choose_campaign(campaigns, "book").id == "named"
    assert choose_campaign(campaigns, "course").id == "all"
    disabled = parse_campaigns([campaign(enabled=False)])
    assert choose_campaign(disabled, "course") is None


@pytest.mark.parametrize(
    ("coupon", "price", "discount"),
    [
        ({"percent_off": 15}, "89.90", "13.49"),
        ({"amount_off": 10, "currency": "EUR"}, "89.90", "10.00"),
        ({"amount_off": 100, "currency": "EUR"}, "89.90", "89.90"),  # never more than the price
    ],
)
def test_discount_on_a_price(coupon, price, discount) -> None:
    [c] = parse_campaigns([campaign(coupon={"code": "X1234", **coupon})])
    assert c.coupon.discount_on(Decimal(price), "EUR") == Decimal(discount)


def test_the_cli_writes_campaigns_and_the_catalogue_to_the_tables_it_is_given(monkeypatch, capsys) -> None:
    from moto import mock_aws

    from winback.aws import store
    from winback_local.cli import main

    for key, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")):
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    campaigns, catalogue = ROOT / "examples" / "campaigns.yaml", ROOT / "examples" / "catalogue.yaml"
    with mock_aws():
        for model, table in ((store.CampaignRecord, "shop-campaigns"), (store.ProductRecord, "shop-products")):
            monkeypatch.setattr(model.Meta, "table_name", table)
            monkeypatch.setattr(model, "_connection", None)
            model.create_table(billing_mode="PAY_PER_REQUEST", wait=False)
        assert main(["campaigns", "apply", str(campaigns), "--table", "shop-campaigns", "--region", "us-east-1"]) == 0
        assert main(["catalogue", "load", str(catalogue), "--table", "shop-products"]) == 0
        applied = {record.campaign_id for record in store.CampaignRecord.scan()}
        assert applied == {campaign.id for campaign in load_campaigns(campaigns)}
        assert store.ProductRecord.count() == 5
        [top] = list(store.ProductRecord.by_best_seller.query("yes", limit=1))
        assert top.sku == "py-201"
    assert main(["catalogue", "validate", str(ROOT / "README.md")]) == 2
    assert capsys.readouterr().err.startswith("winback catalogue: ")


def test_validate_refuses_a_sender_outside_the_stacks_verified_identity(capsys: pytest.CaptureFixture[str]) -> None:
    from winback_local.cli import main

    example = str(ROOT / "examples" / "campaigns.yaml")
    assert main(["campaigns", "validate", example, "--identity", "example.com"]) == 0
    assert main(["campaigns", "validate", example, "--identity", "myshop.com"]) == 2
    assert (
        "sender courses@example.com is not at the stack's verified SES identity myshop.com" in capsys.readouterr().err
    )


def _example_currencies() -> tuple[str, ...]:
    """Every currency the examples use: in events, in catalogues, in coupons."""
    import re

    found: set[str] = set()
    for path in (ROOT / "examples").rglob("*"):
        if path.suffix in (".json", ".yaml", ".csv"):
            text = path.read_text(encoding="utf-8")
            found |= set(re.findall(r'"?currency"?\s*[:=]\s*"?([A-Z]{3})\b', text))
            found |= {
                c for block in re.findall(r"amount_off:\s*\{([^}]*)\}", text) for c in re.findall(r"[A-Z]{3}", block)
            }
    return tuple(sorted(found))


def test_every_example_campaign_renders_every_email_in_every_locale_and_currency() -> None:
    from winback_local.preview import problems

    currencies = _example_currencies()
    assert {"EUR", "JPY", "USD"} <= set(currencies)
    for path in (ROOT / "examples" / "campaigns.yaml", ROOT / "examples" / "winback" / "campaigns.yaml"):
        for campaign in load_campaigns(path):
            assert problems(campaign, currencies) == [], campaign.id
    for campaign in default_campaigns():
        assert problems(campaign, currencies) == [], campaign.id


def test_validate_refuses_a_campaign_whose_template_does_not_exist_or_belongs_to_another_flow(tmp_path, capsys) -> None:
    from winback_local.cli import main

    text = (ROOT / "examples" / "campaigns.yaml").read_text()
    for wrong, said in (("unpaid_order_cupon", "does not exist"), ("abandoned_cart", "'step' is undefined")):
        path = tmp_path / "c.yaml"
        path.write_text(text.replace("template: unpaid_order_coupon", f"template: {wrong}", 1))
        assert main(["campaigns", "validate", str(path)]) == 2
        err = capsys.readouterr().err
        assert "campaign python-course-launch: unpaid_order_coupon in en" in err and said in err
