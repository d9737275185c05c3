"""The abandoned-cart series on the real ASL, the virtual clock and the real handlers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flows import BOOK, MUG, checkout, mails, sent, shop, throttle_step_functions

from conftest import T0, at, order_created, order_paid
from winback.domain.sending import variant_for
from winback.model.campaigns import CartCampaign, default_campaigns, parse_campaigns

CART = "abandoned_cart"


def test_an_abandoned_cart_gets_three_emails_at_1_24_and_72_hours_with_its_items_and_restore_link() -> None:
    with shop() as stack:
        stack.send("Checkout Started", checkout())
        stack.run_until(at(days=4))
        emails = mails(stack, CART)
        assert [entry["at"] for entry, _ in emails] == [
            "2026-03-02T10:00:00Z",
            "2026-03-03T09:00:00Z",
            "2026-03-05T09:00:00Z",
        ]
        assert [entry["step"] for entry, _ in emails] == [1, 2, 3]
        subjects = [entry["subject"] for entry, _ in emails]
        assert subjects[0] == "Need a hand finishing your order?"
        assert subjects[1] == "Your items are on hold, but not for long"
        assert subjects[2] == "A little something to finish your order: 10% off"
        for _, body in emails:
            assert "Python 101" in body and "The language from zero" in body and "€120.00" in body
            assert "https://shop.example.com/static/py-101.png" in body
            assert "Python mug" in body and "Quantity: 2" in body
            assert "https://shop.example.com/cart/cart-1?restore=1" in body
            assert "Python for Data Analysis" not in body  # no cross-selling in a cart email
        # The offer is in the restore link itself: nobody types a code.
        assert "https://shop.example.com/cart/cart-1?restore=1&coupon=CART10" in emails[2][1]
        assert "coupon=" not in emails[0][1] and "coupon=" not in emails[1][1]
        [ended] = stack.entries("flow.ended", cart_id="cart-1")
        assert ended["outcome"] == "completed" and ended["at"] == "2026-03-05T14:00:00Z"  # after the 5-hour offer


def test_buying_after_the_first_email_stops_the_series() -> None:
    with shop() as stack:
        stack.send("Checkout Started", checkout())
        stack.run_until(at(hours=2))
        stack.send("Order Created", order_created("o-1", cart_id="cart-1"))
        stack.send("Order Paid", order_paid("o-1"), when=at(hours=3))
        stack.run_until(at(days=4))
        assert [e["step"] for e in sent(stack, CART)] == [1]
        [ended] = stack.entries("flow.ended", cart_id="cart-1")
        assert ended["outcome"] == "ordered" and ended["emails_sent"] == 1


def test_buying_within_the_first_hour_sends_no_cart_email() -> None:
    with shop() as stack:
        stack.send("Checkout Started", checkout())
        # Order Paid names no cart: any purchase by the contact after the checkout counts.
        stack.send("Order Paid", order_paid("o-elsewhere"), when=at(minutes=40))
        stack.run_until(at(days=4))
        assert sent(stack, CART) == []
        [ended] = stack.entries("flow.ended", cart_id="cart-1")
        assert ended["outcome"] == "bought" and ended["emails_sent"] == 0


def test_the_offer_works_for_that_contact_within_its_hours_only() -> None:
    with shop() as stack:
        stack.send("Checkout Started", checkout())
        stack.run_until(at(hours=73))
        assert stack.validate("CART10", "c-42", offer_id="any", price="150.00")["valid"]
        assert stack.validate("CART10", "c-99", offer_id="any", price="150.00")["reason"] == "not_eligible"
        stack.run_until(at(hours=72 + 5, minutes=1))
        assert stack.validate("CART10", "c-42", offer_id="any", price="150.00")["reason"] == "not_eligible"


def test_a_removed_item_is_absent_from_the_next_email() -> None:
    with shop() as stack:
        stack.send("Checkout Started", checkout())
        stack.run_until(at(hours=2))
        assert "Python mug" in mails(stack, CART)[0][1]
        stack.send("Checkout Started", checkout(items=[BOOK]))  # the shopper took the mug out
        stack.run_until(at(hours=25))
        second = mails(stack, CART)[1][1]
        assert "Python 101" in second and "Python mug" not in second
        assert len(stack.entries("flow.started", cart_id="cart-1")) == 1  # still one series per cart


def test_an_older_checkout_arriving_late_does_not_bring_items_back() -> None:
    with shop() as stack:
        stack.send("Checkout Started", checkout(items=[BOOK]), when=at(minutes=10))
        old = stack.rt.envelope("Checkout Started", checkout(items=[BOOK, MUG]))
        old["time"] = "2026-03-02T09:00:00Z"
        stack.rt.put_events([old])
        stack.run_until(at(hours=2))
        assert "Python mug" not in mails(stack, CART)[0][1]


def test_a_second_abandonment_within_30_days_is_reminded_without_a_coupon() -> None:
    with shop() as stack:
        stack.send("Checkout Started", checkout("cart-1"))
        stack.run_until(at(days=5))
        stack.send("Checkout Started", checkout("cart-2"))
        stack.run_until(at(days=9))
        emails = mails(stack, CART)
        first = emails[2]
        [second] = [m for m in emails if m[0]["cart_id"] == "cart-2" and m[0]["step"] == 3]
        assert first[0]["coupon_code"] == "CART10"
        # Six reminders in nine days is one too many: the frequency cap (4 in 7 days) held the
        # second series' second email past its 24 hours, so it was skipped.
        assert [m[0]["step"] for m in emails if m[0]["cart_id"] == "cart-2"] == [1, 3]
        assert stack.entries("email.skipped", reason="frequency_cap_too_long")
        assert second[0]["step"] == 3 and second[0]["coupon_code"] is None
        assert "coupon=" not in second[1] and "10% off" not in second[1]
        [skip] = stack.entries("coupon.skipped", cart_id="cart-2")
        assert skip["reason"] == "cooldown"
        # After the cool-down the coupon comes back.
        stack.send("Checkout Started", checkout("cart-3"), when=at(days=40))
        stack.run_until(at(days=44))
        [third] = [m for m in mails(stack, CART) if m[0]["cart_id"] == "cart-3" and m[0]["step"] == 3]
        assert third[0]["coupon_code"] == "CART10"


def test_an_order_for_the_cart_hands_over_to_the_unpaid_order_flow() -> None:
    with shop() as stack:
        stack.send("Checkout Started", checkout())
        stack.send("Order Created", order_created("o-1", cart_id="cart-1"), when=at(minutes=20))
        stack.run_until(at(days=4))
        assert sent(stack, CART) == []
        assert [e["template"] for e in stack.entries("email.sent")] == ["unpaid_order_coupon"]
        [ended] = stack.entries("flow.ended", cart_id="cart-1")
        assert ended["outcome"] == "ordered"


def test_an_order_for_the_cart_stops_its_waiting_series_at_once() -> None:
    with shop() as stack:
        stack.send("Checkout Started", checkout())
        stack.send("Order Created", order_created("o-1", cart_id="cart-1"), when=at(hours=2))
        stack.run_until(at(days=4))
        [series] = [e for e in stack.rt.executions() if e["name"] == "cart-cart-1"]
        assert series["status"] == "ABORTED"  # not left running until its next email was due
        [ended] = stack.entries("flow.ended", cart_id="cart-1")
        assert ended["outcome"] == "ordered" and ended["emails_sent"] == 1
        assert ended["at"] == "2026-03-02T11:00:00Z"  # the moment of the order
        [billed] = [e for e in stack.rt.ended if e.name == "cart-cart-1"]
        assert billed.transitions == 4  # first wait, first email, its check, second wait


def test_an_ordered_series_step_functions_would_not_stop_yields_to_the_resumed_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with shop() as stack:
        throttle_step_functions(monkeypatch)  # a sale's burst of orders
        stack.send("Checkout Started", checkout())
        stack.send("Order Created", order_created("o-1", cart_id="cart-1"), when=at(minutes=30))
        stack.send("Order Cancelled", {"order_id": "o-1", "contact_id": "c-42"}, when=at(minutes=40))  # declined
        stack.run_until(at(days=3, hours=1))
        # The first series woke at 10:00 and ended there: the cart was ordered during it.
        [first] = [e for e in stack.entries("flow.ended", cart_id="cart-1") if e["execution"].endswith(":cart-cart-1")]
        assert first["outcome"] == "ordered" and first["at"] == "2026-03-02T10:00:00Z"
        stack.run_until(at(days=3, hours=5))  # the offer went at 09:40, valid for 5 hours
        assert stack.validate("CART10", "c-42", offer_id="any", price="150.00")["valid"]
        sent_at = [e["at"] for e in sent(stack, CART)]
        assert sent_at == ["2026-03-02T10:40:00Z", "2026-03-03T09:40:00Z", "2026-03-05T09:40:00Z"]  # once each


def test_no_consent_no_cart_email() -> None:
    with shop() as stack:
        stack.send("Checkout Started", checkout(marketing_consent=False))
        stack.run_until(at(days=4))
        assert sent(stack, CART) == []
        assert stack.entries("email.skipped", cart_id="cart-1")[0]["reason"] == "no_consent"


def _with_variants() -> list:
    found = []
    for campaign in default_campaigns():
        if isinstance(campaign, CartCampaign):
            data = campaign.model_dump(mode="json")
            data["steps"][0]["variants"] = [
                {
                    "name": "question",
                    "subject": "Need a hand?",
                    "subjects": {"fr": "Besoin d’aide ?", "it": "Serve una mano?", "uk": "Потрібна допомога?"},
                },
                {
                    "name": "reminder",
                    "subject": "You left something behind",
                    "subjects": {"fr": "Vous avez oublié", "it": "Hai dimenticato", "uk": "Ви дещо забули"},
                    "hero_image": "https://x.example/h.png",
                },
            ]
            campaign = parse_campaigns([data])[0]
        found.append(campaign)
    return found


def test_subject_variants_split_evenly_and_stick_to_the_contact() -> None:
    [campaign] = [c for c in _with_variants() if isinstance(c, CartCampaign)]
    step = campaign.steps[0]
    picks = [variant_for(f"c-{n}", campaign, step) for n in range(1000)]
    counts = {v.name: sum(1 for p in picks if p is v) for v in step.variants}
    assert all(450 <= n <= 550 for n in counts.values()), counts
    assert [variant_for(f"c-{n}", campaign, step) for n in range(1000)] == picks  # same contact, same variant
    assert variant_for("c-1", campaign, campaign.steps[1]) is None  # no test on that step


def test_the_variant_is_sent_and_recorded() -> None:
    with shop(_with_variants()) as stack:
        for n in range(6):
            stack.send("Checkout Started", checkout(f"cart-{n}", f"c-{n}"))
        stack.run_until(at(hours=2))
        emails = sent(stack, CART)
        assert len(emails) == 6 and {e["variant"] for e in emails} == {"question", "reminder"}
        for entry in emails:
            assert (
                entry["subject"]
                == {"question": "Need a hand?", "reminder": "You left something behind"}[entry["variant"]]
            )
        bodies = {entry["variant"]: body for entry, body in mails(stack, CART)}
        assert "https://x.example/h.png" in bodies["reminder"] and "https://x.example/h.png" not in bodies["question"]


def test_a_checkout_without_a_cart_campaign_starts_nothing() -> None:
    unpaid_only = [c for c in default_campaigns() if c.flow == "unpaid_order"]
    with shop(unpaid_only) as stack:
        stack.send("Checkout Started", checkout())
        stack.run_until(T0 + timedelta(days=4))
        assert stack.entries("flow.started") == [] and stack.rt.rejected() == []
