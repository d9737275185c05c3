"""Analytics tags on every link: the link still works, the merchant's own tags win."""

from __future__ import annotations

from winback.emails.links import tag, tag_email

TAGS = {"utm_source": "winback", "utm_medium": "email", "utm_campaign": "c1", "utm_content": "abandoned_cart-2"}


def test_query_and_fragment_are_kept_and_existing_tags_win() -> None:
    url = "https://shop.example.com/cart/9?restore=1&coupon=CART10&utm_source=newsletter#items"
    tagged = tag(url, TAGS)
    assert tagged.startswith("https://shop.example.com/cart/9?restore=1&coupon=CART10&utm_source=newsletter&")
    assert tagged.endswith("&utm_medium=email&utm_campaign=c1&utm_content=abandoned_cart-2#items")


def test_every_link_of_both_parts_but_images_and_the_unsubscribe_link() -> None:
    html = (
        '<a href="https://s.example/pay?o=1&amp;x=2">Pay</a><img src="https://s.example/i.png">'
        '<a href="https://u.example/?t=abc">Unsubscribe</a>'
    )
    text = "Pay: https://s.example/pay?o=1. Unsubscribe: https://u.example/?t=abc"
    out_html, out_text = tag_email(html, text, TAGS, keep="https://u.example/?t=abc")
    assert 'href="https://s.example/pay?o=1&amp;x=2&amp;utm_source=winback' in out_html
    assert 'src="https://s.example/i.png"' in out_html and 'href="https://u.example/?t=abc"' in out_html
    assert "https://s.example/pay?o=1&utm_source=winback" in out_text and out_text.count("utm_") == 4
    assert ". Unsubscribe: https://u.example/?t=abc" in out_text  # the full stop is not part of the link


def test_a_campaign_can_turn_tagging_off_or_name_its_own_campaign() -> None:
    from winback.aws.store import ContactRecord
    from winback.domain.sending import render_for
    from winback.model.campaigns import Tracking, WinBackCampaign, default_campaigns

    campaign = next(c for c in default_campaigns() if isinstance(c, WinBackCampaign))
    person = ContactRecord("c-1", email="c-1@example.com", first_name="Ana", locale="it", timezone="Europe/Rome")
    context = {
        "offer_name": "x",
        "coupon": campaign.coupon.model_dump(),
        "currency": "EUR",
        "valid_hours": 24,
        "valid_until": __import__("datetime").datetime(2026, 3, 2, tzinfo=__import__("datetime").UTC),
        "shop_url": "https://shop.example.com/?coupon=ABC",
        "best_sellers": [],
    }
    named = campaign.model_copy(update={"tracking": Tracking(campaign="spring-2026", source="crm")})
    assert (
        "utm_source=crm&utm_medium=email&utm_campaign=spring-2026"
        in render_for(named, person, "winback_coupon", context).text
    )
    off = campaign.model_copy(update={"tracking": Tracking(enabled=False)})
    assert "utm_" not in render_for(off, person, "winback_coupon", context).html
