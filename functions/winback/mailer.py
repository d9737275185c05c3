"""Sending email through SES v2 as a full MIME message (HTML and text parts)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from functools import lru_cache
from typing import Any

from winback import clock
from winback.render import Rendered


@dataclass(frozen=True)
class Outgoing:
    sender: str
    to: str
    content: Rendered
    headers: dict[str, str] = field(default_factory=dict)


def default_sender() -> str:
    return os.environ.get("SENDER_EMAIL", "shop@example.com")


def to_mime(mail: Outgoing) -> bytes:
    message = EmailMessage()
    message["From"] = mail.sender
    message["To"] = mail.to
    message["Subject"] = mail.content.subject
    message["Date"] = formatdate(clock.now().timestamp(), usegmt=True)
    domain = mail.sender.rsplit("@", 1)[-1].strip(">") or "winback.local"
    message["Message-ID"] = make_msgid(domain=domain)
    for name, value in mail.headers.items():
        message[name] = value
    message.set_content(mail.content.text)
    message.add_alternative(mail.content.html, subtype="html")
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
    return str(_ses().send_email(**request)["MessageId"])
