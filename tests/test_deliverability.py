"""Inbox-safe sending: one-click unsubscribe (RFC 8058), bounces and complaints
suppress an address for every flow at once. Real ASL and handlers on moto."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flows import checkout, sent, shop

from conftest import T0, Harness, at, contact, order_created, order_paid, parts
from winback_local import aws_events

LINK = re.compile(r"<(https://unsubscribe\.winback\.test/\?t=[A-Za-z0-9_-]+)>")


def _visit(stack: Harness, method: str, url: str, body: str = "") -> tuple[int, str]:
    answer = stack.rt.invoke("UnsubscribeFunction", aws_events.function_url(method, url, body))
    return answer["statusCode"], answer["body"]


def _ses(stack: Harness, kind: str, address: str, bounce_type: str = "Permanent") -> dict:
    event = aws_events.ses_event(kind, address, bounce_type, "winback-sending")
    return stack.rt.invoke("SesEventsFunction", event)


def _link(stack: Harness, index: int = 0) -> str:
    found = LINK.search(str(stack.emails()[index]["List-Unsubscribe"]))
    assert found, stack.emails()[index]["List-Unsubscribe"]
    return found[1]


def test_every_marketing_email_has_one_click_unsubscribe_and_the_footer_uses_it(stack: Harness) -> None:
    stack.send("Order Created", order_created())
    stack.run_until(at(minutes=30))
    [message] = stack.emails()
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "mailto:" in message["List-Unsubscribe"]
    url = _link(stack)
    assert "c-42" not in url and "example.com" not in url  # no id, no address in clear
    both = parts(message)
    assert url in both["text/plain"] and url.replace("&", "&amp;") in both["text/html"]


def test_the_link_shows_a_page_in_the_contacts_language_and_one_click_unsubscribes() -> None:
    with shop() as stack:
        stack.send("Checkout Started", checkout("cart-1", "c-42", locale="fr"))
        stack.run_until(at(hours=1))  # the first cart email
        url = _link(stack)
        status, page = _visit(stack, "GET", url)
        assert status == 200 and 'lang="fr"' in page and "Me désabonner" in page and "<form" in page
        assert stack.entries("contact.suppressed") == []  # a GET changes nothing (link scanners)
        status, page = _visit(stack, "POST", url, "List-Unsubscribe=One-Click")
        assert status == 200 and "C’est fait" in page
        [suppressed] = stack.entries("contact.suppressed")
        assert suppressed["reason"] == "unsubscribed" and suppressed["cause"] == "one_click"
        # The series already running stops: no second or third email.
        stack.run_until(at(days=4))
        assert [e["step"] for e in sent(stack, "abandoned_cart")] == [1]
        assert stack.entries("email.skipped", reason="unsubscribed")
        # Transactional email still goes.
        stack.send("Order Created", order_created("o-9", "c-42", locale="fr"))
        stack.send("Order Paid", order_paid("o-9", "c-42"))
        stack.run_until(at(days=4, minutes=5))
        assert sent(stack, "order_confirmation")


@pytest.mark.parametrize("damage", ["tampered", "truncated", "expired", "garbage"])
def test_a_damaged_or_old_link_gets_a_clear_page_and_changes_nothing(stack: Harness, damage: str) -> None:
    stack.send("Order Created", order_created())
    stack.run_until(at(minutes=30))
    url = _link(stack)
    token = url.split("t=")[1]
    if damage == "tampered":
        url = url.replace(token, token[:10] + ("A" if token[10] != "A" else "B") + token[11:])
    elif damage == "truncated":
        url = url.replace(token, token[:-5])
    elif damage == "garbage":
        url = url.replace(token, "%%%not-base64")
    else:
        stack.run_until(T0 + timedelta(days=401))
    status, page = _visit(stack, "POST", url, "List-Unsubscribe=One-Click")
    assert status == (410 if damage == "expired" else 400)
    assert ("expired" if damage == "expired" else "not valid") in page
    assert stack.entries("contact.suppressed") == []


def test_a_hard_bounce_in_one_flow_stops_every_flows_mail_to_that_address() -> None:
    with shop() as stack:
        stack.send("Order Created", order_created("o-1", "c-42"))
        stack.run_until(at(minutes=30))  # the unpaid-order email...
        assert _ses(stack, "Email Bounced", "c-42@example.com") == {
            "suppressed": 1,
            "soft": 0,
            "replayed": 0,
            "ignored": 0,
        }
        stack.send("Checkout Started", checkout("cart-2", "c-42"), when=at(hours=1))
        stack.send("Order Created", order_created("o-2", "c-42"), when=at(days=1))
        stack.send("Order Paid", order_paid("o-2", "c-42"))
        stack.run_until(at(days=5))
        assert [e["template"] for e in stack.entries("email.sent")] == ["unpaid_order_coupon"]
        reasons = {e["reason"] for e in stack.entries("email.skipped", contact_id="c-42")}
        assert reasons == {"bounced"}  # the cart series and even the confirmation: the address is dead
        [suppressed] = stack.entries("contact.suppressed")
        assert suppressed["reason"] == "bounced" and "c-42" not in str(suppressed)


def test_a_complaint_stops_marketing_and_soft_bounces_count_up_to_three(stack: Harness) -> None:
    assert _ses(stack, "Email Complaint Received", "c-1@example.com")["suppressed"] == 1
    assert _ses(stack, "Email Complaint Received", "c-1@example.com")["replayed"] == 1  # replayed notice
    for _ in range(2):
        assert _ses(stack, "Email Bounced", "c-2@example.com", "Transient")["soft"] == 1
    assert stack.entries("contact.suppressed", reason="bounced") == []
    _ses(stack, "Email Bounced", "c-2@example.com", "Transient")
    assert stack.entries("contact.suppressed", reason="bounced", cause="soft_bounces")
    stack.send("Order Created", order_created("o-1", "c-1"))
    stack.send("Order Created", order_created("o-2", "c-2"))
    stack.run_until(at(hours=1))
    assert stack.rt.outbox == []
    assert {e["contact_id"]: e["reason"] for e in stack.entries("email.skipped")} == {
        "c-1": "complained",
        "c-2": "bounced",
    }


def test_a_malformed_or_unknown_ses_event_is_counted_not_a_crash(stack: Harness) -> None:
    event = aws_events.ses_event("Email Bounced", "x@example.com")
    del event["detail"]["bounce"]["bouncedRecipients"]
    assert stack.rt.invoke("SesEventsFunction", event)["ignored"] == 1
    assert stack.entries("ses_event.rejected")
    delivered = {**event, "detail-type": "Email Delivered"}
    assert stack.rt.invoke("SesEventsFunction", delivered)["ignored"] == 1
    assert _ses(stack, "Email Bounced", "nobody-we-know@example.com")["suppressed"] == 1


def test_an_unsubscribed_contact_gets_no_win_back_either(stack: Harness) -> None:
    from winback.domain import sending, suppression

    stack.send("Contact Updated", {"contact": contact("c-7")})
    suppression.suppress(suppression.email_key("c-7@example.com"), suppression.UNSUBSCRIBED)
    assert sending.cannot_email(sending.contact("c-7")) == "unsubscribed"
    assert sending.cannot_email(sending.contact("c-7"), marketing=False) is None


def test_a_burst_waits_for_the_ses_send_rate_and_nothing_is_lost_or_sent_twice(stack: Harness) -> None:
    from collections import Counter

    stack.send_batch([("Order Created", order_created(f"o-{n}", f"c-{n}")) for n in range(40)])
    stack.run_until(at(minutes=40))
    messages = stack.emails()
    assert len(messages) == 40
    assert len({m["X-Winback-Send"] for m in messages}) == 40  # none twice
    per_second = Counter(str(m["Date"]) for m in messages)
    assert max(per_second.values()) <= 14 and len(per_second) >= 3  # the stack's SesSendRate
    assert stack.rt.failures == []
