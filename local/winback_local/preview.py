"""`winback preview TEMPLATE --locale fr [--campaign ID] --out DIR`.

Renders an email with realistic sample data, through the same code the flow sends
with, to DIR/TEMPLATE.LOCALE.html (open it in a browser) and .eml (open it in a
mail client), so a marketer sees it before launching a campaign.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from winback.aws import mailer
from winback.aws.store import CartRecord, ContactRecord, OrderRecord
from winback.domain.carts import cart_email
from winback.domain.purchases import confirmation_email, second_purchase_email
from winback.domain.recovery import coupon_email
from winback.domain.sending import outgoing
from winback.domain.winback import winback_email
from winback.emails.i18n import SUPPORTED
from winback.emails.render import Rendered
from winback.model.campaigns import (
    Campaign,
    CartCampaign,
    PostPurchaseCampaign,
    UnpaidOrderCampaign,
    WinBackCampaign,
    default_campaigns,
)
from winback.model.money import from_minor, to_minor

C = TypeVar("C", bound=Campaign)

# name, time zone, currency, order total, product: what a customer of each locale looks like
SAMPLES = {
    "en": ("Emma", "Europe/London", "EUR", "89.00", "Python for Data Analysis"),
    "fr": ("Camille", "Europe/Paris", "EUR", "89.00", "Python pour l’analyse de données"),
    "it": ("Giulia", "Europe/Rome", "EUR", "89.00", "Python per l’analisi dei dati"),
    "uk": ("Оксана", "Europe/Kyiv", "UAH", "3500.00", "Python для аналізу даних"),
}
SENT_AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
# Sample order totals in other currencies (`winback campaigns validate` renders each).
SAMPLE_TOTALS = {"JPY": Decimal("1999"), "KWD": Decimal("27.450"), "USD": Decimal("96.00"), "GBP": Decimal("76.00")}
# A product from the catalogue, as the recommendations show one.
PRODUCT = {
    "name": "SQL 101",
    "description": "Query any database with confidence.",
    "price": "49.00",
    "currency": "EUR",
    "url": "https://shop.example.com/courses/sql-101",
    "image_url": None,
}


def _money(locale: str, currency: str | None) -> tuple[str, str]:
    """The sample's currency (the locale's unless given) and an order total in it."""
    sample = SAMPLES[locale]
    if currency is None or currency == sample[2]:
        return sample[2], sample[3]
    return currency, str(from_minor(to_minor(SAMPLE_TOTALS.get(currency, Decimal("89")), currency), currency))


def _unpaid_order_coupon(locale: str, campaign: Campaign, currency: str | None = None) -> tuple[str, Rendered]:
    if not isinstance(campaign, UnpaidOrderCampaign):
        raise PreviewError(f"campaign {campaign.id} is a {campaign.flow} campaign")
    name, zone, _, _, product = SAMPLES[locale]
    currency, total = _money(locale, currency)
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
    code = campaign.coupon.code if campaign.coupon.applies_to(currency) else None  # as the flow decides
    return "customer@example.com", coupon_email(order, contact, campaign, SENT_AT, code)


def _of_flow[C: Campaign](kind: type[C], campaign: Campaign) -> C:
    """The campaign if it is of this flow, else the default one in its branding."""
    if isinstance(campaign, kind):
        return campaign
    default = next(c for c in default_campaigns() if isinstance(c, kind))
    return default.model_copy(update={"branding": campaign.branding, "sender": campaign.sender})


def _person(locale: str) -> ContactRecord:
    name, zone, *_ = SAMPLES[locale]
    return ContactRecord("c-sample", email="customer@example.com", first_name=name, locale=locale, timezone=zone)


def _items(locale: str, currency: str | None = None) -> list[dict[str, Any]]:
    product = SAMPLES[locale][4]
    _, total = _money(locale, currency)
    return [
        {
            "sku": "sample",
            "name": product,
            "unit_price": total,
            "quantity": 1,
            "description": "12 lessons, 40 exercises, a certificate.",
            "image_url": "https://shop.example.com/static/sample.png",
            "url": None,
        },
        {
            "sku": "mug",
            "name": "Mug",
            "unit_price": "15.00",
            "quantity": 2,
            "description": None,
            "image_url": None,
            "url": None,
        },
    ]


def _abandoned_cart(locale: str, campaign: Campaign, currency: str | None = None) -> tuple[str, Rendered]:
    cart_campaign = _of_flow(CartCampaign, campaign)
    currency, _ = _money(locale, currency)
    items = _items(locale, currency)
    cart = CartRecord(
        "cart-sample",
        status="open",
        currency=currency,
        subtotal=str(sum(Decimal(i["unit_price"]) * i["quantity"] for i in items)),
        restore_url="https://shop.example.com/cart/cart-sample",
        items=items,
    )
    step = len(cart_campaign.steps)  # the richest: items and the offer
    coupon = cart_campaign.coupon if cart_campaign.coupon.applies_to(currency) else None
    return "customer@example.com", cart_email(cart, _person(locale), cart_campaign, step, coupon, None, SENT_AT)


def _order_confirmation(locale: str, campaign: Campaign, currency: str | None = None) -> tuple[str, Rendered]:
    post = _of_flow(PostPurchaseCampaign, campaign)
    currency, total = _money(locale, currency)
    order = OrderRecord("o-20260302-1042", currency=currency, total=total, items=_items(locale, currency)[:1])
    return "customer@example.com", confirmation_email(order, _person(locale), post, [PRODUCT], [PRODUCT])


def _second_purchase(locale: str, campaign: Campaign, currency: str | None = None) -> tuple[str, Rendered]:
    post = _of_flow(PostPurchaseCampaign, campaign)
    currency, _ = _money(locale, currency)
    order = OrderRecord("o-20260302-1042", currency=currency)
    coupon = post.coupon if post.coupon.applies_to(currency) else None
    return "customer@example.com", second_purchase_email(order, _person(locale), post, coupon, None, SENT_AT)


def _winback_coupon(locale: str, campaign: Campaign, currency: str | None = None) -> tuple[str, Rendered]:
    """In the stack's reporting currency, whatever `currency`: a lapsed customer has no order."""
    lapsed = _of_flow(WinBackCampaign, campaign)
    return "customer@example.com", winback_email(_person(locale), lapsed, "K7QM-3XPRT-9WVH", SENT_AT, [PRODUCT])


PREVIEWS: dict[str, Callable[[str, Campaign, str | None], tuple[str, Rendered]]] = {
    "unpaid_order_coupon": _unpaid_order_coupon,
    "abandoned_cart": _abandoned_cart,
    "order_confirmation": _order_confirmation,
    "second_purchase": _second_purchase,
    "winback_coupon": _winback_coupon,
}


class PreviewError(ValueError):
    pass


def preview(template: str, locale: str, campaign: Campaign, out: Path) -> tuple[Path, Path]:
    if template not in PREVIEWS:
        raise PreviewError(f"no template {template!r}; choose one of: {', '.join(sorted(PREVIEWS))}")
    if locale not in SUPPORTED:
        raise PreviewError(f"no locale {locale!r}; choose one of: {', '.join(SUPPORTED)}")
    to, content = PREVIEWS[template](locale, campaign, None)
    out.mkdir(parents=True, exist_ok=True)
    html, eml = out / f"{template}.{locale}.html", out / f"{template}.{locale}.eml"
    html.write_text(content.html, encoding="utf-8")
    eml.write_bytes(mailer.to_mime(outgoing(campaign, to, content)))
    return html, eml


# The emails each flow sends, by preview.
FLOW_EMAILS = {
    "unpaid_order": ("unpaid_order_coupon",),
    "abandoned_cart": ("abandoned_cart",),
    "post_purchase": ("order_confirmation", "second_purchase"),
    "winback": ("winback_coupon",),
}


def problems(campaign: Campaign, currencies: tuple[str, ...] = ()) -> list[str]:
    """What would fail at run time: each email of the campaign rendered with its own
    template in every locale, in each of `currencies` (and each locale's sample one)."""
    found: list[str] = []
    for email in FLOW_EMAILS[campaign.flow]:
        cases = [(locale, currency) for locale in SUPPORTED for currency in (None, *currencies)]
        for locale, currency in cases:
            try:
                PREVIEWS[email](locale, campaign, currency)
            except Exception as error:  # a template error of any kind is what we report
                found.append(f"{email} in {locale}{f' ({currency})' if currency else ''}: {_explain(error)}")
                break  # one problem per email is enough to act on
    return found


def _explain(error: Exception) -> str:
    from jinja2 import TemplateNotFound, UndefinedError

    if isinstance(error, TemplateNotFound):
        name = str(error.name)
        return f"template {name!r} does not exist (templates/{name.split('/')[0]}/ is missing)"
    if isinstance(error, UndefinedError):
        return f"the template fails (does it belong to another flow?): {error.message}"
    return f"{type(error).__name__}: {error}"
