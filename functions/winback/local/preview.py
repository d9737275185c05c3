"""`winback preview TEMPLATE --locale fr [--campaign ID] --out DIR`.

Renders an email with realistic sample data, through the same code the flow sends
with, to DIR/TEMPLATE.LOCALE.html (open it in a browser) and .eml (open it in a
mail client), so a marketer sees it before launching a campaign.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from winback import mailer
from winback.campaigns import Campaign, UnpaidOrderCampaign
from winback.i18n import SUPPORTED
from winback.recovery import coupon_email
from winback.render import Rendered
from winback.sending import outgoing
from winback.store import ContactRecord, OrderRecord

# name, time zone, currency, order total, product: what a customer of each locale looks like
SAMPLES = {
    "en": ("Emma", "Europe/London", "EUR", "89.00", "Python for Data Analysis"),
    "fr": ("Camille", "Europe/Paris", "EUR", "89.00", "Python pour l’analyse de données"),
    "it": ("Giulia", "Europe/Rome", "EUR", "89.00", "Python per l’analisi dei dati"),
    "uk": ("Оксана", "Europe/Kyiv", "UAH", "3500.00", "Python для аналізу даних"),
}
SENT_AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _unpaid_order_coupon(locale: str, campaign: Campaign) -> tuple[str, Rendered]:
    if not isinstance(campaign, UnpaidOrderCampaign):
        raise PreviewError(f"campaign {campaign.id} is a {campaign.flow} campaign")
    name, zone, currency, total, product = SAMPLES[locale]
    order = OrderRecord(
        "o-20260302-1042",
        status="unpaid",
        contact_id="c-sample",
        offer_id=campaign.offers[0] if campaign.offers[0] != "*" else "sample-offer",
        currency=currency,
        total=total,
        pay_url="https://shop.example.com/pay/o-20260302-1042",
        items=[{"sku": "sample", "name": product, "unit_price": total, "quantity": 1}],
    )
    contact = ContactRecord("c-sample", email="customer@example.com", first_name=name, locale=locale, timezone=zone)
    return "customer@example.com", coupon_email(order, contact, campaign, SENT_AT)


PREVIEWS: dict[str, Callable[[str, Campaign], tuple[str, Rendered]]] = {
    "unpaid_order_coupon": _unpaid_order_coupon,
}


class PreviewError(ValueError):
    pass


def preview(template: str, locale: str, campaign: Campaign, out: Path) -> tuple[Path, Path]:
    if template not in PREVIEWS:
        raise PreviewError(f"no template {template!r}; choose one of: {', '.join(sorted(PREVIEWS))}")
    if locale not in SUPPORTED:
        raise PreviewError(f"no locale {locale!r}; choose one of: {', '.join(SUPPORTED)}")
    to, content = PREVIEWS[template](locale, campaign)
    out.mkdir(parents=True, exist_ok=True)
    html, eml = out / f"{template}.{locale}.html", out / f"{template}.{locale}.eml"
    html.write_text(content.html, encoding="utf-8")
    eml.write_bytes(mailer.to_mime(outgoing(campaign, to, content)))
    return html, eml
