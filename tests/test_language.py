"""What shoppers read in en, fr, it and uk: nothing falls back to English, durations
and dates read as each language says them, plurals follow CLDR, long carts stay readable."""

from __future__ import annotations

import html
from datetime import UTC, datetime

import pytest
import yaml
from babel import Locale

from winback.aws.store import CartRecord, ContactRecord, OrderRecord
from winback.domain.carts import cart_email
from winback.domain.recovery import coupon_email
from winback.domain.sending import MAX_HTML_BYTES
from winback.emails.i18n import SUPPORTED, Translator, catalog
from winback.emails.render import templates_dir
from winback.model.campaigns import CampaignError, CartCampaign, UnpaidOrderCampaign, default_campaigns, parse_campaigns

SENT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def person(locale: str) -> ContactRecord:
    return ContactRecord("c-1", email="a@example.com", first_name="Olena", locale=locale, timezone="Europe/Kyiv")


def speak(locale: str, zone: str = "UTC") -> Translator:
    return Translator(str(templates_dir()), locale, zone)


def default(kind):
    return next(c for c in default_campaigns() if isinstance(c, kind))


# -- nothing a shopper reads falls back to English ------------------------------------
def test_an_ab_subject_without_every_locale_is_refused() -> None:
    step = {"after_hours": 1, "variants": [{"name": "a", "subject": "A"}, {"name": "b", "subject": "B"}]}
    with pytest.raises(CampaignError, match="variant a: subjects has no fr, it, uk translation"):
        parse_campaigns(
            [
                {
                    "id": "cart",
                    "flow": "abandoned_cart",
                    "list": "l",
                    "coupon": {"code": "CART10", "percent_off": 10},
                    "steps": [step, {"after_hours": 24}, {"after_hours": 72}],
                }
            ]
        )


def test_a_coupon_name_without_every_locale_is_refused() -> None:
    with pytest.raises(CampaignError, match="the coupon name has no it, uk translation"):
        parse_campaigns(
            [
                {
                    "id": "c",
                    "list": "l",
                    "coupon": {"code": "SAVE", "name": "Save", "names": {"fr": "Ép"}, "percent_off": 5},
                }
            ]
        )


@pytest.mark.parametrize(("locale", "offer"), [("fr", "de réduction"), ("uk", "Знижка 10")])
def test_the_default_coupon_is_named_in_the_shoppers_language(locale: str, offer: str) -> None:
    campaign = default(UnpaidOrderCampaign)
    order = OrderRecord("o-1", status="unpaid", currency="EUR", total="50.00", pay_url="https://shop.example.com/p")
    content = coupon_email(order, person(locale), campaign, SENT, campaign.coupon.code)
    for part in (content.subject, content.text, html.unescape(content.html)):
        assert offer in part, part[:300]
        assert " off" not in part and "Come back" not in part


def _cart() -> CartRecord:
    items = [
        {
            "sku": "s",
            "name": "Mug",
            "unit_price": "15.00",
            "quantity": 1,
            "image_url": None,
            "url": None,
            "description": None,
        }
    ]
    return CartRecord("k", currency="EUR", subtotal="15.00", restore_url="https://shop.example.com/c", items=items)


@pytest.mark.parametrize("locale", SUPPORTED)
def test_the_third_cart_email_without_an_offer_has_a_subject_of_its_own(locale: str) -> None:
    campaign = default(CartCampaign)
    subjects = [cart_email(_cart(), person(locale), campaign, step, None, None, SENT).subject for step in (1, 2, 3)]
    assert len(set(subjects)) == 3, subjects


# -- each language read by its own rules ------------------------------------------------
@pytest.mark.parametrize(
    ("locale", "hours", "reads"),
    [
        ("fr", 168, "7 jours"),
        ("fr", 24, "24 heures"),
        ("fr", 47, "47 heures"),
        ("en", 48, "2 days"),
        ("en", 60, "60 hours"),  # not whole days: stays exact
        ("it", 336, "14 giorni"),
        ("uk", 120, "5 днів"),
        ("uk", 72, "3 дні"),
    ],
)
def test_a_validity_reads_in_hours_under_two_days_and_in_days_after(locale: str, hours: int, reads: str) -> None:
    assert speak(locale).duration(hours) == reads


@pytest.mark.parametrize(
    ("locale", "day", "reads"),
    [
        ("fr", 1, "jusqu’au 1er mars 2026"),
        ("fr", 2, "jusqu’au 2 mars 2026"),
        ("it", 1, "fino all’1 marzo 2026"),
        ("it", 8, "fino all’8 marzo 2026"),
        ("it", 11, "fino all’11 marzo 2026"),
        ("it", 3, "fino al 3 marzo 2026"),
        ("en", 1, "until 1 March 2026"),
    ],
)
def test_dates_read_as_the_language_says_them(locale: str, day: int, reads: str) -> None:
    assert speak(locale).until(datetime(2026, 3, day, 12, 0, tzinfo=UTC)).startswith(reads)


@pytest.mark.parametrize("locale", SUPPORTED)
def test_every_plural_message_has_exactly_the_forms_its_language_uses(locale: str) -> None:
    categories = set(Locale.parse(locale).plural_form.tags) | {"other"}
    plurals = {k: v for k, v in catalog(str(templates_dir()), locale).items() if isinstance(v, dict)}
    assert plurals, "no plural message found"
    for key, forms in plurals.items():
        assert set(forms) == categories, f"{locale} {key}: has {sorted(forms)}, CLDR says {sorted(categories)}"
    # and the forms come out right for the numbers that pick each one
    words = {n: speak(locale).plural("hours", n) for n in (1, 2, 5, 11, 21, 22, 1_000_000)}
    assert all(str(n) in words[n] for n in words)


def test_ukrainian_counts_follow_cldr() -> None:
    assert [speak("uk").plural("items.more", n) for n in (1, 3, 5, 21)] == [
        "і ще 1 товар",
        "і ще 3 товари",
        "і ще 5 товарів",
        "і ще 21 товар",
    ]


def test_the_greeting_never_guesses_a_vocative() -> None:
    locales = yaml.safe_load((templates_dir() / "locales" / "uk.yaml").read_text())
    assert "{name}" not in locales["common"]["greeting"]


# -- long carts -----------------------------------------------------------------------
def _worst_item(n: int) -> dict:
    """An item with every field as long as the contract allows, of characters that grow
    when escaped."""
    url = "https://shop.example.com/p?" + "a=1&" * 505
    return {
        "sku": f"sku-{n}",
        "name": ("<b>&" * 50)[:200],
        "unit_price": "999999.99",
        "quantity": 10_000,
        "description": "&" * 2000,
        "image_url": url,
        "url": url,
    }


@pytest.mark.parametrize("locale", SUPPORTED)
def test_the_longest_cart_stays_under_gmails_clipping_point_and_says_how_many_more(locale: str) -> None:
    cart = _cart()
    cart.items = [_worst_item(n) for n in range(10)]  # what a record keeps of a 1,000-line cart
    cart.item_count = 1000
    content = cart_email(cart, person(locale), default(CartCampaign), 2, None, None, SENT)
    assert len(content.html.encode()) <= MAX_HTML_BYTES
    text = html.unescape(content.html)
    shown = text.count(speak(locale).money("999999.99", "EUR"))
    assert 1 <= shown <= 10
    assert speak(locale).plural("items.more", 1000 - shown) in text
