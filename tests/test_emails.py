"""The emails a customer sees: every template in every locale, branded, escaped, strict."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from jinja2 import UndefinedError

from conftest import Harness, at, order_created
from winback.aws.store import ContactRecord, OrderRecord
from winback.domain.recovery import coupon_email
from winback.emails.i18n import SUPPORTED, Translator
from winback.emails.render import render, templates_dir
from winback.model.campaigns import parse_campaigns
from winback_local.preview import PREVIEWS

ROOT = Path(__file__).resolve().parents[1]
SENT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
CAMPAIGN = parse_campaigns(
    {
        "branding": {
            "shop_name": "Kwiga Academy",
            "primary_color": "#2563eb",
            "address": "1 Khreshchatyk St, Kyiv",
            "reply_to": "help@kwiga.example",
        },
        "campaigns": [
            {
                "id": "c",
                "list": "l",
                "coupon": {
                    "code": "SAVE15",
                    "name": "Spring coupon",
                    "names": {"fr": "Coupon de printemps", "it": "Coupon di primavera", "uk": "Весняний купон"},
                    "percent_off": 15,
                },
            }
        ],
    }
)[0]

NAMES = {"en": "Spring coupon", "fr": "Coupon de printemps", "it": "Coupon di primavera", "uk": "Весняний купон"}
# What a customer must read, per locale: validity, and both prices for 89.00 (EUR) / 3500 (UAH).
EXPECTED = {
    "en": ("Valid for 24 hours", "€89.00", "€75.65"),
    "fr": ("Valable 24 heures", "89,00\xa0€", "75,65\xa0€"),
    "it": ("Valido per 24 ore", "89,00\xa0€", "75,65\xa0€"),
    "uk": ("Діє 24 години", "3\xa0500,00\xa0₴", "2\xa0975,00\xa0₴"),
}


def email_for(locale: str, first_name: str = "Ana", timezone: str = "Europe/Paris", campaign=CAMPAIGN):
    currency, total = ("UAH", "3500.00") if locale == "uk" else ("EUR", "89.00")
    order = OrderRecord(
        "o-7", status="unpaid", currency=currency, total=total, pay_url="https://shop.example.com/pay/o-7"
    )
    contact = ContactRecord("c-1", email="a@example.com", first_name=first_name, locale=locale, timezone=timezone)
    return coupon_email(order, contact, campaign, SENT, campaign.coupon.code)


@pytest.mark.parametrize("locale", SUPPORTED)
def test_the_coupon_email_shows_what_the_customer_must_see_in_every_locale(locale: str) -> None:
    content = email_for(locale)
    validity, before, after = EXPECTED[locale]
    for part in (content.text, html.unescape(content.html)):  # as a reader sees it
        assert NAMES[locale] in part and "SAVE15" in part  # the coupon's name in the shopper's language
        assert validity in part
        assert before in part and after in part
        assert "https://shop.example.com/pay/o-7" in part
        assert "15" in part  # the discount
    assert validity.split()[-2:] == content.subject.split()[-2:] or validity.split()[-1] in content.subject


@pytest.mark.parametrize(("locale", "discount"), [("en", "15%"), ("fr", "15\xa0%"), ("it", "15%"), ("uk", "15%")])
def test_percentages_follow_the_locale(locale: str, discount: str) -> None:
    assert discount in email_for(locale).text


def test_money_is_formatted_for_locale_and_currency() -> None:
    root = str(templates_dir())
    assert Translator(root, "fr").money("89", "EUR") == "89,00\xa0€"
    assert Translator(root, "uk").money("30", "UAH") == "30,00\xa0₴"
    assert Translator(root, "en").money("89", "EUR") == "€89.00"


def test_ukrainian_plurals_follow_cldr() -> None:
    uk = Translator(str(templates_dir()), "uk")
    assert [uk.plural("hours", n) for n in (1, 2, 5, 21, 24)] == [
        "1 годину",
        "2 години",
        "5 годин",
        "21 годину",
        "24 години",
    ]


def test_the_validity_end_is_shown_in_the_contacts_time_zone() -> None:
    assert "3 March 2026, 10:30 (UTC+01:00)" in email_for("en", timezone="Europe/Paris").text
    assert "3 березня 2026, 11:30 (UTC+02:00)" in email_for("uk", timezone="Europe/Kyiv").text
    assert "3 March 2026, 09:30 (UTC)" in email_for("en", timezone="UTC").text


def test_an_unknown_locale_falls_back_to_english() -> None:
    content = email_for("de")
    assert content.text.startswith("Hello Ana,")
    assert "€89.00" in content.text


def test_branding_appears_in_header_footer_and_colours() -> None:
    content = email_for("en")
    assert "Kwiga Academy" in content.html and "1 Khreshchatyk St, Kyiv" in content.html
    assert "#2563eb" in content.html
    assert "mailto:help@kwiga.example?subject=Unsubscribe" in content.html
    assert "Kwiga Academy" in content.text and "1 Khreshchatyk St, Kyiv" in content.text


def test_css_is_inlined_for_mail_clients_that_drop_style() -> None:
    page = email_for("en").html
    content_cell = re.search(r'<td class="content"[^>]*>', page)
    assert content_cell and "padding: 24px" in content_cell.group(0)
    assert "@media only screen" in page  # kept for the clients that read it


def test_customer_and_merchant_text_with_html_in_it_is_escaped() -> None:
    sneaky = CAMPAIGN.model_copy(
        update={"coupon": CAMPAIGN.coupon.model_copy(update={"name": "<img src=x onerror=alert(1)>"})}
    )
    page = email_for("fr", first_name="<script>alert(1)</script>", campaign=sneaky).html
    assert "<script>" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_missing_variable_fails_loudly_instead_of_sending_a_blank() -> None:
    with pytest.raises(UndefinedError, match="pay_url"):
        render(
            "unpaid_order_coupon",
            {
                "first_name": "Ana",
                "coupon_name": "x",
                "coupon_code": "X",
                "percent_off": None,
                "free_shipping": False,
                "discount": 1,
                "currency": "EUR",
                "price": 2,
                "price_after": 1,
                "valid_hours": 24,
                "valid_until": SENT,
                "order_id": "o",
            },
        )


def _keys(data: dict, prefix: str = "") -> set[str]:
    keys = set()
    for key, value in data.items():
        if isinstance(value, dict) and "other" not in value:
            keys |= _keys(value, f"{prefix}{key}.")
        else:
            keys.add(f"{prefix}{key}")
    return keys


def test_every_locale_translates_every_message_and_templates_use_only_known_ones() -> None:
    catalogs = {
        loc: _keys(yaml.safe_load((templates_dir() / "locales" / f"{loc}.yaml").read_text())) for loc in SUPPORTED
    }
    for locale, keys in catalogs.items():
        assert keys == catalogs["en"], f"{locale} differs from en: {keys ^ catalogs['en']}"
    used = set()
    for path in templates_dir().rglob("*.*"):
        if path.suffix in (".html", ".txt"):
            used |= set(re.findall(r'(?:t|plural)\("([a-z_.]+)"', path.read_text()))
    assert used and used <= catalogs["en"]


@pytest.mark.parametrize("template", sorted(PREVIEWS))
@pytest.mark.parametrize("locale", SUPPORTED)
def test_every_template_previews_in_every_locale(template: str, locale: str, tmp_path: Path) -> None:
    from winback_local.cli import main

    assert (
        main(
            [
                "preview",
                template,
                "--locale",
                locale,
                "--campaigns",
                str(ROOT / "examples/campaigns.yaml"),
                "--out",
                str(tmp_path),
            ]
        )
        == 0
    )
    page = (tmp_path / f"{template}.{locale}.html").read_text()
    assert f'lang="{locale}"' in page
    eml = (tmp_path / f"{template}.{locale}.eml").read_bytes()
    assert b"Reply-To: help@example.com" in eml


def test_the_simulated_email_is_the_localized_template_in_the_contacts_locale(stack: Harness) -> None:
    stack.send("Order Created", order_created(locale="uk", timezone="Europe/Kyiv", first_name="Оксана"))
    stack.run_until(at(minutes=30))
    [sent] = stack.entries("email.sent")
    assert sent["locale"] == "uk" and sent["subject"].startswith("Ваше замовлення чекає")
    [message] = stack.emails()
    text = message.get_body(("plain",)).get_content()
    # A greeting that needs no vocative ("Оксано"), which cannot be guessed from a name.
    assert text.startswith("Вітаємо!\n") and "Оксан" not in text
