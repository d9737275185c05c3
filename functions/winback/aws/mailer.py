"""Sending email through SES v2 as a full MIME message (HTML and text parts)."""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass, field
from email.charset import QP, Charset
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from functools import lru_cache
from typing import Any

from winback.emails.render import Rendered
from winback.model import clock


@dataclass(frozen=True)
class Outgoing:
    sender: str
    to: str
    content: Rendered
    headers: dict[str, str] = field(default_factory=dict)


def default_sender() -> str:
    return os.environ.get("SENDER_EMAIL", "shop@example.com")


def _utf8_qp() -> Charset:
    charset = Charset("utf-8")
    charset.body_encoding = QP  # readable source, safe line lengths
    return charset


def domain_of(address: str) -> str:
    """ "Shop <shop@example.com>" -> "example.com"."""
    return parseaddr(address)[1].rsplit("@", 1)[-1]


def unsubscribe_by_email(address: str | None) -> str:
    """The mailto unsubscribe (beside the one-click link, and alone in previews)."""
    _, plain = parseaddr(address or default_sender())
    return f"mailto:{plain}?subject=Unsubscribe"


def list_unsubscribe(one_click: str | None, by_email: str) -> dict[str, str]:
    """RFC 2369 and RFC 8058 headers: Gmail and Yahoo require one-click from bulk senders."""
    if not one_click:
        return {"List-Unsubscribe": f"<{by_email}>"}
    return {"List-Unsubscribe": f"<{one_click}>, <{by_email}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def to_mime(mail: Outgoing) -> bytes:
    """multipart/alternative with a text and an HTML part. Headers are RFC 2047
    encoded by email.header, which round-trips any subject exactly (the newer
    email.policy folder can add or drop spaces around encoded words)."""
    message = MIMEMultipart("alternative")
    name, address = parseaddr(mail.sender)
    message["From"] = formataddr((name, address), charset="utf-8")
    message["To"] = mail.to
    message["Subject"] = Header(mail.content.subject, "utf-8")  # type: ignore[assignment]
    message["Date"] = formatdate(clock.now().timestamp(), usegmt=True)
    message["Message-ID"] = make_msgid(domain=domain_of(mail.sender) or "winback_local")
    for header, value in mail.headers.items():
        message[header] = value
    message.attach(MIMEText(mail.content.text, "plain", _utf8_qp()))  # type: ignore[arg-type]
    message.attach(MIMEText(mail.content.html, "html", _utf8_qp()))  # type: ignore[arg-type]
    return message.as_bytes()


@lru_cache(maxsize=1)
def _ses() -> Any:
    import boto3

    return boto3.client("sesv2")


def send(mail: Outgoing) -> str:
    """Hand the message to SES; returns SES's message id."""
    request: dict[str, Any] = {
        "FromEmailAddress": mail.sender,
        "Destination": {"ToAddresses": [mail.to]},
        "Content": {"Raw": {"Data": to_mime(mail)}},
    }
    configuration_set = os.environ.get("SES_CONFIGURATION_SET")
    if configuration_set:
        request["ConfigurationSetName"] = configuration_set
    send_id = mail.headers.get("X-Winback-Send")
    if send_id:  # SES events (a click) name the send back; tag values allow letters, digits, _ and - only
        request["EmailTags"] = [{"Name": SEND_TAG, "Value": send_tag(send_id)}]
    return str(_ses().send_email(**request)["MessageId"])


SEND_TAG = "winback-send"


def send_tag(send_id: str) -> str:
    return base64.urlsafe_b64encode(send_id.encode()).decode().rstrip("=")


def send_of_tag(tag: str) -> str:
    return base64.urlsafe_b64decode(tag + "=" * (-len(tag) % 4)).decode()
