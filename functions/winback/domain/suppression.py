"""Who must not get marketing email: unsubscribed, bounced or complained.

Suppressions are kept by a salted hash of the address, never the address itself, and
apply to every campaign and flow at once: each flow asks `reason(email)` right before
each send. A hard bounce stops transactional email too (the address does not exist);
an unsubscribe or a complaint stops marketing only.

Unsubscribe links (RFC 8058 one-click, and the footer) carry a signed token: the address
hash, the day it was issued and the contact's language, with an HMAC-SHA256 signature.
No id and no address in clear; a tampered, truncated or expired token changes nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import struct
from dataclasses import dataclass
from datetime import date, timedelta

from pynamodb.exceptions import UpdateError

from winback.aws import journal
from winback.aws.secrets import keys
from winback.aws.store import SuppressionRecord, condition_failed, find
from winback.model import clock

UNSUBSCRIBED, COMPLAINED, BOUNCED = "unsubscribed", "complained", "bounced"
SOFT_BOUNCES_LIMIT = 3  # soft bounces (mailbox full...) before the address counts as bounced
TOKEN_DAYS = 400  # a link stays good this long after the email: older ones get a page saying so
_EPOCH = date(2020, 1, 1)
_SIGNATURE = 16  # bytes of HMAC kept


def email_key(email: str) -> str:
    return hmac.new(keys().salt, email.strip().lower().encode(), hashlib.sha256).hexdigest()


def reason(email: str, marketing: bool = True) -> str | None:
    found = find(SuppressionRecord, email_key(email))
    if found is None or not found.reason:
        return None
    if not marketing and found.reason != BOUNCED:
        return None
    return found.reason


def suppress(key: str, why: str, **fields: object) -> bool:
    """Suppress the address behind `key`; False if it was already (a replayed notice)."""
    try:
        SuppressionRecord(key).update(
            actions=[SuppressionRecord.reason.set(why), SuppressionRecord.since.set(clock.now())],
            condition=SuppressionRecord.reason.does_not_exist(),
        )
    except UpdateError as error:
        if condition_failed(error):
            return False
        raise
    journal.record("contact.suppressed", reason=why, address=key[:12], **fields)
    return True


def soft_bounce(key: str, **fields: object) -> None:
    """Count a soft bounce; the third suppresses the address as bounced."""
    record = SuppressionRecord(key)
    record.update(actions=[SuppressionRecord.soft_bounces.add(1)])
    if (record.soft_bounces or 0) >= SOFT_BOUNCES_LIMIT:
        suppress(key, BOUNCED, cause="soft_bounces", **fields)


# -- unsubscribe links --------------------------------------------------------------------
def token(email: str, locale: str) -> str:
    day = (clock.now().date() - _EPOCH).days
    body = struct.pack(">BH2s", 1, day, locale[:2].encode().ljust(2, b"-")) + bytes.fromhex(email_key(email))
    signature = hmac.new(keys().signing, body, hashlib.sha256).digest()[:_SIGNATURE]
    return base64.urlsafe_b64encode(body + signature).decode().rstrip("=")


@dataclass(frozen=True)
class Token:
    key: str
    locale: str
    issued: date


class BadToken(ValueError):
    """A token that is not ours, was changed, cut short or is too old; `expired` says which."""

    def __init__(self, message: str, expired: bool = False, locale: str = "en"):
        super().__init__(message)
        self.expired = expired
        self.locale = locale


def read_token(text: str) -> Token:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError):
        raise BadToken("not a token") from None
    if len(raw) != 5 + 32 + _SIGNATURE:
        raise BadToken("cut short or too long")
    body, signature = raw[:-_SIGNATURE], raw[-_SIGNATURE:]
    expected = hmac.new(keys().signing, body, hashlib.sha256).digest()[:_SIGNATURE]
    if not hmac.compare_digest(signature, expected):
        raise BadToken("the signature does not match")
    version, day, locale = struct.unpack(">BH2s", body[:5])
    issued = _EPOCH + timedelta(days=day)
    language = locale.decode(errors="replace")
    if version != 1:
        raise BadToken("an unknown version")
    if clock.now().date() - issued > timedelta(days=TOKEN_DAYS):
        raise BadToken("expired", expired=True, locale=language)
    return Token(body[5:].hex(), language, issued)


def unsubscribe_url(email: str, locale: str) -> str | None:
    """The one-click link for this address (None where no endpoint is configured: previews)."""
    base = os.environ.get("UNSUBSCRIBE_URL")
    if not base or not os.environ.get("WINBACK_SECRET_ARN"):
        return None
    return f"{base.rstrip('/')}/?t={token(email, locale)}"


# -- the endpoint behind the links ---------------------------------------------------------
def answer(method: str, text: str, body: str) -> tuple[int, str, str]:
    """(status, page, locale) for a GET (a page with a confirm button) or a POST (the
    one-click request of RFC 8058, or that button) on an unsubscribe link."""
    try:
        found = read_token(text)
    except BadToken as bad:
        journal.record("unsubscribe.refused", reason=str(bad))
        return (410 if bad.expired else 400), ("expired" if bad.expired else "invalid"), bad.locale
    if method == "POST":
        one_click = "List-Unsubscribe=One-Click" in body
        suppress(found.key, UNSUBSCRIBED, cause="one_click" if one_click else "unsubscribe_page")
        return 200, "done", found.locale
    return 200, "confirm", found.locale


# -- SES's bounces and complaints ------------------------------------------------------------
def from_ses_event(event: dict[str, object]) -> dict[str, int]:
    """One SES event from the configuration set's EventBridge destination. A hard bounce
    or a complaint suppresses the address for every flow at once; soft bounces are
    counted. A replayed, malformed or unexpected notice is counted, never a crash."""
    detail = event.get("detail")
    kind = event.get("detail-type")
    counts = {"suppressed": 0, "soft": 0, "replayed": 0, "ignored": 0}
    try:
        assert isinstance(detail, dict)
        if kind == "Email Bounced":
            bounce = detail["bounce"]
            hard = bounce.get("bounceType") == "Permanent"
            addresses = [r["emailAddress"] for r in bounce["bouncedRecipients"]]
        elif kind == "Email Complaint Received":
            hard = True
            addresses = [r["emailAddress"] for r in detail["complaint"]["complainedRecipients"]]
        else:
            counts["ignored"] += 1
            return counts
    except (AssertionError, KeyError, TypeError) as problem:
        journal.record("ses_event.rejected", reason=f"malformed {kind}: {type(problem).__name__} {problem}")
        counts["ignored"] += 1
        return counts
    why = BOUNCED if kind == "Email Bounced" else COMPLAINED
    for address in addresses:
        key = email_key(str(address))
        if not hard:
            soft_bounce(key)
            counts["soft"] += 1
        elif suppress(key, why, cause=str(kind)):
            counts["suppressed"] += 1
        else:
            counts["replayed"] += 1
    return counts
