"""Helpers for the cart and post-purchase tests: every default campaign, the example
catalogue, and Checkout Started events as the shop sends them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from conftest import T0, Harness, contact, no_holdout
from winback.domain import catalogue
from winback.model.campaigns import Campaign, default_campaigns
from winback_local.runtime import LocalRuntime

ROOT = Path(__file__).resolve().parents[1]

BOOK = {
    "sku": "py-101",
    "name": "Python 101",
    "unit_price": "120.00",
    "quantity": 1,
    "description": "The language from zero",
    "image_url": "https://shop.example.com/static/py-101.png",
}
MUG = {"sku": "mug", "name": "Python mug", "unit_price": "15.00", "quantity": 2}


def checkout(
    cart_id: str = "cart-1", cid: str = "c-42", items: list[dict[str, Any]] | None = None, **contact_overrides: Any
) -> dict[str, Any]:
    items = items if items is not None else [BOOK, MUG]
    subtotal = sum(float(i["unit_price"]) * i["quantity"] for i in items)
    return {
        "cart_id": cart_id,
        "contact": contact(cid, **contact_overrides),
        "items": items,
        "currency": "EUR",
        "subtotal": f"{subtotal:.2f}",
        "restore_url": f"https://shop.example.com/cart/{cart_id}?restore=1",
    }


@contextmanager
def shop(campaigns: list[Campaign] | None = None, daily_jobs: bool = False) -> Iterator[Harness]:
    """Every default campaign (unpaid order, abandoned cart, post-purchase, win-back) and
    the example catalogue; `daily_jobs` runs the RFM job each virtual day."""
    with LocalRuntime(T0, campaigns or no_holdout(default_campaigns()), daily_jobs=daily_jobs) as runtime:
        catalogue.apply(catalogue.load_catalogue(ROOT / "examples" / "catalogue.yaml"))
        yield Harness(runtime)


def sent(stack: Harness, template: str, **match: Any) -> list[dict[str, Any]]:
    return stack.entries("email.sent", template=template, **match)


def mails(stack: Harness, template: str) -> list[tuple[dict[str, Any], str]]:
    """The emails of `template` in the order sent: (timeline entry, text + HTML as read)."""
    import html

    from conftest import parts

    every = stack.entries("email.sent")
    messages = stack.emails()
    assert len(every) == len(messages)
    found = []
    for entry, message in zip(every, messages, strict=True):
        if entry["template"] == template:
            both = parts(message)
            found.append((entry, both["text/plain"] + "\n" + html.unescape(both["text/html"])))
    return found


def throttle_step_functions(monkeypatch: pytest.MonkeyPatch) -> None:
    """Step Functions answers the early stops' calls (GetExecutionHistory, StopExecution)
    with ThrottlingException, as in a sale's burst of orders and payments."""
    from botocore.exceptions import ClientError

    from winback.aws import flows

    def throttled(**_: Any) -> Any:
        raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "StopExecution")

    for call in ("get_execution_history", "stop_execution"):
        monkeypatch.setattr(flows._sfn(), call, throttled)
