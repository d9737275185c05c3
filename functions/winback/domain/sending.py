"""Sending one email of a flow: rendered for the contact, sent at most once, recorded.

Every flow's email goes through `send_once`: the send ledger row is claimed before SES
is called, so a retried task finds it and sends nothing (at most once; the README says
why). If SES refuses the call the claim is released so the retry can send.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from botocore.exceptions import ClientError
from pynamodb.exceptions import PutError

from winback.aws import journal
from winback.aws.store import ContactRecord, CustomerRecord, SendRecord, condition_failed, find, kept_until
from winback.model import clock
from winback.model.campaigns import Campaign, EmailStep, Variant

if TYPE_CHECKING:
    from winback.aws.mailer import Outgoing
    from winback.emails.render import Rendered


def contact(contact_id: str | None) -> ContactRecord | None:
    return find(ContactRecord, contact_id)


def cannot_email(person: ContactRecord | None, marketing: bool = True) -> str | None:
    """Why this contact may not get the email (no_email, no_consent, unsubscribed,
    complained, bounced), or None. Marketing email needs consent and an address nobody
    suppressed; a transactional one an address that does not bounce. Every flow asks
    right before each send, so an unsubscribe stops a series already running."""
    from winback.domain import suppression

    if person is None or not person.email:
        return "no_email"
    if marketing and not person.marketing_consent:
        return "no_consent"
    return suppression.reason(person.email, marketing)


def zone_of(person: ContactRecord) -> str:
    """The contact's time zone, for quiet hours (events give the shop's when they name none)."""
    return person.timezone or "UTC"


def hold(
    person: ContactRecord,
    campaign: Campaign,
    send_id: str,
    max_delay: timedelta,
    customer: CustomerRecord | None = None,
) -> dict[str, Any] | None:
    """None: the marketing email may go now (its slot is taken). Else what the flow does:
    {"delay_until": ISO time} to wait for the contact's next allowed moment (quiet hours,
    frequency cap, minimum gap), or {"skip": reason} when waiting longer than `max_delay`
    would make the email pointless. Each decision is in the timeline with its reason.
    `customer`: the contact's record if the step has just read it (consistently); the
    conditional write below catches any change since, and a retry reads it again."""
    from pynamodb.exceptions import UpdateError

    from winback.model.pacing import Rules, next_allowed, reason_held

    rules, now = Rules.from_env(), clock.now()
    if campaign.holds_out(person.contact_id):
        return None  # nothing goes out, so nothing takes the contact's slot
    for attempt in range(3):  # another flow may take the slot between the read and the write
        if attempt or customer is None:
            customer = find(CustomerRecord, person.contact_id)
        if customer is not None and customer.marketing_last_for == send_id:
            return None  # a retried step: its slot is taken already
        sent = [clock.parse(s) for s in (customer.marketing_sent or [])] if customer else []
        zone = zone_of(person)
        allowed = next_allowed(now, zone, sent, rules, person.contact_id)
        if allowed > now:
            why = reason_held(now, zone, sent, rules)
            if allowed - now > max_delay:
                journal.record(
                    "email.skipped", contact_id=person.contact_id, campaign=campaign.id, reason=f"{why}_too_long"
                )
                return {"skip": f"{why}_too_long"}
            journal.record(
                "email.delayed",
                contact_id=person.contact_id,
                campaign=campaign.id,
                reason=why,
                until=clock.iso(allowed),
            )
            return {"delay_until": clock.iso(allowed)}
        recent = [clock.iso(s) for s in sent if s > now - timedelta(days=rules.window_days)][-19:]
        gap = now - timedelta(hours=rules.min_gap_hours)
        try:
            CustomerRecord(person.contact_id).update(
                actions=[
                    CustomerRecord.marketing_sent.set([*recent, clock.iso(now)]),
                    CustomerRecord.marketing_last_at.set(now),
                    CustomerRecord.marketing_last_for.set(send_id),
                ],
                condition=CustomerRecord.marketing_last_at.does_not_exist() | (CustomerRecord.marketing_last_at <= gap),
            )
            return None
        except UpdateError as error:
            if not condition_failed(error):
                raise
    return {"delay_until": clock.iso(now + timedelta(hours=rules.min_gap_hours))}


def past_quiet_hours(due: datetime, zone: str, max_delay: timedelta, contact_id: str) -> datetime:
    """When a marketing email falling due at `due` may go, as far as the contact's quiet
    hours say, known as its flow starts. The flow waits until then instead of waking up
    at night only to be held (a Lambda call and three state transitions more). The cap
    and the gap depend on what else goes out meanwhile, so the send step still applies
    every rule. A push longer than `max_delay` is left to that step, which skips the
    email as pointless, as it would have."""
    from winback.model.pacing import Rules, after_quiet_hours

    allowed = after_quiet_hours(due, zone, Rules.from_env(), contact_id)
    return due if allowed - due > max_delay else allowed


def note_quiet_hours(due: datetime, planned: datetime, contact_id: str, campaign_id: str, **fields: Any) -> None:
    """The timeline's word for an email planned after the quiet hours it fell due in."""
    if planned > due:
        journal.record(
            "email.delayed",
            contact_id=contact_id,
            campaign=campaign_id,
            reason="quiet_hours",
            until=clock.iso(planned),
            **fields,
        )


def variant_for(contact_id: str, campaign: Campaign, step: EmailStep) -> Variant | None:
    """The A/B variant of `step` this contact gets: the same one every time, by
    contact and campaign, and close to evenly split over many contacts."""
    if not step.variants:
        return None
    if step.winner:
        return next(v for v in step.variants if v.name == step.winner)
    digest = hashlib.sha256(f"{campaign.id}\x1f{contact_id}".encode()).digest()
    return step.variants[int.from_bytes(digest[:8], "big") % len(step.variants)]


def with_coupon(url: str, campaign: Campaign, code: str | None) -> str:
    """The link with the coupon in the campaign's query parameter: the shop applies
    it, the customer never types it."""
    if not code:
        return url
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != campaign.coupon_param]
    query.append((campaign.coupon_param, code))
    return urlunsplit(parts._replace(query=urlencode(query)))


def render_for(
    campaign: Campaign,
    person: ContactRecord,
    template: str,
    context: dict[str, Any],
    subject: str | None = None,
    step: int | None = None,
) -> Rendered:
    """The campaign's email in the contact's locale and time zone, with its branding and
    its links tagged for analytics (utm_content: the template, and the step of a series);
    `subject` (an A/B variant's) replaces the template's."""
    # Jinja2 and Babel load here, on the paths that send: cold start.
    from winback.aws import mailer
    from winback.domain import suppression
    from winback.emails.links import tag_email
    from winback.emails.render import Rendered, render

    by_email = mailer.unsubscribe_by_email(campaign.branding.reply_to or campaign.sender)
    unsubscribe = (suppression.unsubscribe_url(person.email, person.locale) if person.email else None) or by_email
    while True:
        content = render(
            template,
            {"first_name": person.first_name or "", **context},
            locale=person.locale,
            timezone=person.timezone or "UTC",
            branding=campaign.branding,
            unsubscribe_url=unsubscribe,
        )
        html, text = content.html, content.text
        if campaign.tracking.enabled:
            tags = {
                "utm_source": campaign.tracking.source,
                "utm_medium": campaign.tracking.medium,
                "utm_campaign": campaign.tracking.campaign or campaign.id,
                "utm_content": template if step is None else f"{template}-{step}",
            }
            html, text = tag_email(html, text, tags, keep=unsubscribe)
        items = context.get("items") or []
        if len(html.encode()) <= MAX_HTML_BYTES or not items:
            return Rendered(subject or content.subject, html, text)
        # Gmail clips a message past 102 KB (the rest hides behind "View entire message",
        # unsubscribe link included): show fewer items, the rest as "and N more".
        context = {**context, "items": items[: len(items) // 2]}


# Under Gmail's clipping point (102 KB of HTML), with room for what SES adds.
MAX_HTML_BYTES = 100_000


SEND_HEADER = "X-Winback-Send"  # the ledger's send id: which flow step sent this message


def outgoing(
    campaign: Campaign,
    to: str,
    content: Rendered,
    send_id: str | None = None,
    locale: str = "en",
    marketing: bool = True,
) -> Outgoing:
    """The message as handed to SES: the campaign's sender (or the stack's), the
    branding's reply-to, the send id (no personal data in it) and, on marketing email,
    the one-click unsubscribe headers."""
    from winback.aws import mailer
    from winback.domain import suppression

    headers = {"Reply-To": campaign.branding.reply_to} if campaign.branding.reply_to else {}
    if send_id:
        headers[SEND_HEADER] = send_id
    if marketing:
        by_email = mailer.unsubscribe_by_email(campaign.branding.reply_to or campaign.sender)
        headers.update(mailer.list_unsubscribe(suppression.unsubscribe_url(to, locale), by_email))
    return mailer.Outgoing(campaign.sender or mailer.default_sender(), to, content, headers)


def _take_send_slot() -> None:
    """One of this second's SES sends (the stack's SesSendRate, 14 by default), or
    SendingRateExceeded: the step is retried a moment later. Taken before the ledger
    claim, so a step held here has claimed nothing."""
    import os

    from pynamodb.exceptions import UpdateError

    from winback.aws.errors import SendingRateExceeded
    from winback.aws.store import SendRateRecord

    rate = int(os.environ.get("SES_SEND_RATE", "14"))
    second = clock.now().replace(microsecond=0)
    try:
        SendRateRecord(str(int(second.timestamp()))).update(
            actions=[SendRateRecord.sent.add(1), SendRateRecord.expires_at.set(second + timedelta(minutes=5))],
            condition=SendRateRecord.sent.does_not_exist() | (SendRateRecord.sent < rate),
        )
    except UpdateError as error:
        if condition_failed(error):
            raise SendingRateExceeded(f"{rate} emails already sent in this second") from None
        raise


def _release(claim: SendRecord, attempts: int = 5) -> None:
    """Give back a claim after SES refused the message. Tried again on throttling: a
    claim left behind would make every retry think the email was sent (found by
    bench/send_rate.py under faults: one email in a thousand was lost that way)."""
    from pynamodb.exceptions import DeleteError

    for attempt in range(attempts):
        try:
            claim.delete()
            return
        except DeleteError:
            if attempt == attempts - 1:
                raise


def was_sent(send_id: str) -> bool:
    """Whether the email of this send id has gone out (its ledger entry says sent)."""
    record = find(SendRecord, send_id)
    return record is not None and record.status == "sent"


def _ledger_entry(
    send_id: str,
    status: str,
    person: ContactRecord,
    campaign: Campaign,
    template: str,
    coupon_code: str | None,
    variant: str | None,
    fields: dict[str, Any],
) -> SendRecord:
    """The send ledger's row for one email of a flow step, claimed now."""
    return SendRecord(
        send_id,
        status=status,
        contact_id=person.contact_id,
        campaign_id=campaign.id,
        order_id=fields.get("order_id") or fields.get("cart_id"),
        template=template,
        coupon_code=coupon_code,
        variant=variant,
        claimed_at=clock.now(),
        expires_at=kept_until(clock.now()),
    )


def hold_out(
    send_id: str,
    person: ContactRecord,
    campaign: Campaign,
    template: str,
    variant: str | None = None,
    fields: dict[str, Any] | None = None,
) -> bool:
    """A holdout contact: the email that would have gone now is recorded in the ledger
    (status "held_out", what attribution compares with), and nothing is sent. False."""
    fields = fields or {}
    try:
        entry = _ledger_entry(send_id, "held_out", person, campaign, template, None, variant, fields)
        entry.sent_at = entry.claimed_at
        entry.save(condition=SendRecord.send_id.does_not_exist())
    except PutError as error:
        if not condition_failed(error):
            raise
        return False  # a retried step: recorded already
    journal.record(
        "email.held_out",
        send_id=send_id,
        contact_id=person.contact_id,
        campaign=campaign.id,
        template=template,
        **fields,
    )
    return False


def send_once(
    send_id: str,
    *,
    person: ContactRecord,
    campaign: Campaign,
    template: str,
    content: Rendered,
    coupon_code: str | None = None,
    variant: str | None = None,
    marketing: bool = True,
    **fields: Any,
) -> bool:
    """Send unless this send_id was sent (or is being sent) already; True if sent.
    `fields` (order_id, cart_id, step) go to the ledger's journal entry."""
    from winback.aws import mailer

    assert person.email
    if marketing and campaign.holds_out(person.contact_id):
        return hold_out(send_id, person, campaign, template, variant, fields)
    _take_send_slot()
    claim = _ledger_entry(send_id, "sending", person, campaign, template, coupon_code, variant, fields)
    try:
        claim.save(condition=SendRecord.send_id.does_not_exist())
    except PutError as error:
        if condition_failed(error):
            return False
        raise
    try:
        message_id = mailer.send(outgoing(campaign, person.email, content, send_id, person.locale, marketing))
    except ClientError:
        # SES answered with an error (throttled, refused): nothing was sent, so the
        # claim is released and the retry sends. Any other failure (a lost response,
        # a timeout) may come after SES accepted the message: the claim stays and
        # the retry sends nothing (at most once).
        _release(claim)
        raise
    claim.update(
        actions=[
            SendRecord.status.set("sent"),
            SendRecord.message_id.set(message_id),
            SendRecord.sent_at.set(clock.now()),
            SendRecord.subject.set(content.subject),
        ]
    )
    extra = {"variant": variant} if variant else {}
    journal.record(
        "email.sent",
        send_id=send_id,
        to=person.email,
        contact_id=person.contact_id,
        campaign=campaign.id,
        template=template,
        subject=content.subject,
        locale=person.locale,
        coupon_code=coupon_code,
        **extra,
        **fields,
    )
    return True
