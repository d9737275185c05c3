"""Campaigns: what a merchant configures, validated before it is stored.

A campaign file (YAML) is a list of campaigns under `campaigns:`, each naming its
`flow`: unpaid_order, abandoned_cart or post_purchase. `winback campaigns apply FILE`
validates it and writes it to the campaigns table, so a change needs no redeploy.
`defaults/campaigns.yaml` holds the documented defaults.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError, model_validator

from winback.model.attribution import DEFAULT_MIN_GAP_MINUTES, DEFAULT_WINDOW_DAYS, in_holdout
from winback.model.coupon import Coupon
from winback.model.locales import missing_translations

MIN_DELAY_MINUTES = 10
DEFAULT_DELAY_MINUTES = 30
DEFAULT_WINDOW_HOURS = 24
DEFAULT_CART_HOURS = (1.0, 24.0, 72.0)
DEFAULT_CART_OFFER_HOURS = 5
DEFAULT_SECOND_PURCHASE_DAYS = 14
DEFAULT_COOLDOWN_DAYS = 30
DEFAULT_HOLDOUT_PERCENT = 10

Slug = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")]


class CampaignError(ValueError):
    """A campaign file that cannot be used; the message names the campaign and field."""


Color = Annotated[str, StringConstraints(pattern=r"^#[0-9A-Fa-f]{6}$")]
HttpUrl = Annotated[str, StringConstraints(max_length=2048, pattern=r"^https://[^\s\"'<>]+$")]


class Branding(BaseModel):
    """How the shop looks in its emails: per stack (the file's `branding:`), and per
    campaign where a campaign overrides some of it."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    shop_name: Annotated[str, StringConstraints(min_length=1, max_length=80)] = "Our shop"
    logo_url: HttpUrl | None = None
    primary_color: Color = "#16a34a"
    background_color: Color = "#f4f4f5"
    text_color: Color = "#18181b"
    address: Annotated[str, StringConstraints(max_length=300)] = ""
    reply_to: Annotated[str, StringConstraints(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] | None = None


Locale = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")]
Subject = Annotated[str, StringConstraints(min_length=1, max_length=150)]


class Variant(BaseModel):
    """One arm of a subject-line test: its subject (per locale where given) and,
    optionally, its hero image."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: Slug
    subject: Subject
    subjects: dict[Locale, Subject] = {}
    hero_image: HttpUrl | None = None

    @model_validator(mode="after")
    def _every_locale(self) -> Variant:
        if missing := missing_translations(self.subjects):
            raise ValueError(f"variant {self.name}: subjects has no {', '.join(missing)} translation")
        return self

    def subject_for(self, locale: str) -> str:
        return self.subjects.get(locale, self.subject)


class EmailStep(BaseModel):
    """One email of a series: when it goes out and, for an A/B test, its variants."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    after_hours: Annotated[float, Field(gt=0, le=24 * 90)]
    variants: list[Variant] = []
    # The test is over: every contact gets this variant (the report says when one has won).
    winner: Slug | None = None

    @model_validator(mode="after")
    def _two_or_more(self) -> EmailStep:
        if len(self.variants) == 1:
            raise ValueError("an A/B test needs two or more variants (or none)")
        if len({v.name for v in self.variants}) != len(self.variants):
            raise ValueError("variant names must differ")
        if self.winner is not None and self.winner not in {v.name for v in self.variants}:
            raise ValueError(f"winner {self.winner!r} is not one of the variants")
        return self


class Tracking(BaseModel):
    """Google Analytics tags on every link of the campaign's emails (utm_content is the
    template and step); `enabled: false` leaves the links as they are."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    enabled: bool = True
    source: Annotated[str, StringConstraints(min_length=1, max_length=100)] = "winback"
    medium: Annotated[str, StringConstraints(min_length=1, max_length=100)] = "email"
    campaign: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None  # default: the id


class Campaign(BaseModel):
    """What every campaign has: its coupon, the list that makes the coupon personal,
    who sends and how it looks. Each flow's campaign adds its own timing."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: Slug
    flow: str
    enabled: bool = True
    offers: Annotated[list[str], Field(min_length=1)] = ["*"]
    window_hours: Annotated[int, Field(ge=1, le=24 * 30)] = DEFAULT_WINDOW_HOURS
    coupon: Coupon
    list: Slug
    # The pay or restore link carries the code in this query parameter, so the
    # customer never types it (the shop's checkout reads it).
    coupon_param: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,40}$")] = "coupon"
    # A contact gets at most one coupon per this many days, whatever the campaign.
    coupon_cooldown_days: Annotated[int, Field(ge=0, le=365)] = DEFAULT_COOLDOWN_DAYS
    template: Slug
    sender: Annotated[str, StringConstraints(max_length=320)] | None = None
    # A payment up to this many days after the campaign's last email to the contact is
    # owed to that email; one within the minimum gap was under way already (attribution.py).
    attribution_days: Annotated[int, Field(ge=1, le=90)] = DEFAULT_WINDOW_DAYS
    attribution_min_gap_minutes: Annotated[int, Field(ge=0, le=24 * 60)] = DEFAULT_MIN_GAP_MINUTES
    # This share of contacts goes through the flow's waits and checks but gets no email
    # and no coupon: the comparison that says what the emails changed (0 turns it off).
    holdout_percent: Annotated[int, Field(ge=0, le=100)] = DEFAULT_HOLDOUT_PERCENT
    branding: Branding = Branding()
    tracking: Tracking = Tracking()

    def holds_out(self, contact_id: str) -> bool:
        return in_holdout(self.id, contact_id, self.holdout_percent)

    def covers(self, offer_id: str) -> bool:
        return "*" in self.offers or offer_id in self.offers

    @property
    def window_seconds(self) -> int:
        return self.window_hours * 3600

    def describe(self) -> str:
        """One line for `winback campaigns validate`."""
        raise NotImplementedError


class UnpaidOrderCampaign(Campaign):
    """Unpaid-order recovery: a coupon email after the delay, valid for the window."""

    flow: Literal["unpaid_order"] = "unpaid_order"
    delay_minutes: int = DEFAULT_DELAY_MINUTES
    template: Slug = "unpaid_order_coupon"

    @model_validator(mode="after")
    def _delay_floor(self) -> UnpaidOrderCampaign:
        if self.delay_minutes < MIN_DELAY_MINUTES:
            raise ValueError(
                f"delay_minutes is {self.delay_minutes}, but must be at least "
                f"{MIN_DELAY_MINUTES}: payments take time to clear, and a coupon sent "
                "sooner goes to customers who were about to pay"
            )
        return self

    @property
    def delay_seconds(self) -> int:
        return self.delay_minutes * 60

    def describe(self) -> str:
        return (
            f"offers {', '.join(self.offers)}; after {self.delay_minutes} min, coupon {self.coupon.code} "
            f"({self.coupon.describe()}) for {self.window_hours} h to list {self.list}"
        )


def _default_cart_steps() -> list[EmailStep]:
    return [EmailStep(after_hours=hours) for hours in DEFAULT_CART_HOURS]


class CartCampaign(Campaign):
    """Abandoned-cart series: three emails after the checkout started (need help? /
    your items are on hold / an offer valid `window_hours`, default 5)."""

    flow: Literal["abandoned_cart"] = "abandoned_cart"
    window_hours: Annotated[int, Field(ge=1, le=24 * 30)] = DEFAULT_CART_OFFER_HOURS
    steps: Annotated[list[EmailStep], Field(min_length=3, max_length=3)] = Field(default_factory=_default_cart_steps)
    template: Slug = "abandoned_cart"

    @model_validator(mode="after")
    def _in_order(self) -> CartCampaign:
        hours = [step.after_hours for step in self.steps]
        if hours != sorted(set(hours)):
            raise ValueError(f"steps: after_hours must increase, got {hours}")
        return self

    def describe(self) -> str:
        hours = " / ".join(f"{step.after_hours:g}" for step in self.steps)
        return (
            f"emails {hours} h after the checkout; the last offers {self.coupon.code} "
            f"({self.coupon.describe()}) for {self.window_hours} h to list {self.list}"
        )


class PostPurchaseCampaign(Campaign):
    """After "Order Paid": the confirmation (transactional), then for a first-time
    buyer one second-purchase email with an incentive after `second_purchase`."""

    flow: Literal["post_purchase"] = "post_purchase"
    # Where the customer sees the order; {order_id} is filled in.
    order_url: Annotated[
        str, StringConstraints(max_length=2048, pattern=r"^https://[^\s\"'<>]*\{order_id\}[^\s\"'<>]*$")
    ]
    # The second-purchase email's button: the shop (it carries the coupon).
    shop_url: HttpUrl
    second_purchase: EmailStep = EmailStep(after_hours=DEFAULT_SECOND_PURCHASE_DAYS * 24)
    window_hours: Annotated[int, Field(ge=1, le=24 * 30)] = 7 * 24
    template: Slug = "order_confirmation"
    second_purchase_template: Slug = "second_purchase"

    def describe(self) -> str:
        return (
            f"confirmation on every paid order; first-time buyers get {self.coupon.code} "
            f"({self.coupon.describe()}) {self.second_purchase.after_hours:g} h later, for {self.window_hours} h"
        )


class WinBackCampaign(Campaign):
    """Win-back of lapsed customers: when a contact enters `segment` (default "Can't
    lose them") in the daily RFM, wait `wait_hours`; unless they bought in the last
    `purchase_window_hours`, give them a coupon (a unique code from the pool by default)
    and email it. At most once per `cooldown_days` per contact; only contacts with at
    least `min_orders` paid orders (docs/rfm.md says why the default is 1)."""

    flow: Literal["winback"] = "winback"
    segment: str = "Can't lose them"
    wait_hours: Annotated[float, Field(ge=0, le=24 * 30)] = 8
    purchase_window_hours: Annotated[float, Field(ge=0, le=24 * 90)] = 8
    cooldown_days: Annotated[int, Field(ge=0, le=3650)] = 90
    min_orders: Annotated[int, Field(ge=1, le=1000)] = 1
    window_hours: Annotated[int, Field(ge=1, le=24 * 90)] = 14 * 24
    shop_url: HttpUrl
    products: Annotated[int, Field(ge=0, le=6)] = 3  # best sellers shown
    pool_low_at: Annotated[int, Field(ge=0)] = 50  # codes left that raise the low-pool alarm
    template: Slug = "winback_coupon"

    @model_validator(mode="after")
    def _known_segment(self) -> WinBackCampaign:
        from winback.model.rfm import SEGMENTS

        if self.segment not in SEGMENTS:
            raise ValueError(f"segment {self.segment!r} is not one of: {', '.join(SEGMENTS)}")
        return self

    def describe(self) -> str:
        code = f"a code from pool {self.id}" if self.coupon.pool else self.coupon.code
        return (
            f"on entering {self.segment!r}, after {self.wait_hours:g} h unless they bought, {code} "
            f"({self.coupon.describe()}) for {self.window_hours} h; at most once in {self.cooldown_days} days"
        )


AnyCampaign = Annotated[
    UnpaidOrderCampaign | CartCampaign | PostPurchaseCampaign | WinBackCampaign, Field(discriminator="flow")
]
_ONE = TypeAdapter(AnyCampaign)
FLOWS = ("unpaid_order", "abandoned_cart", "post_purchase", "winback")


def campaign_from(config: dict[str, Any]) -> Campaign:
    """A stored campaign (its JSON) as the model of its flow."""
    return _ONE.validate_python({"flow": "unpaid_order", **config})


class CampaignFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    branding: dict[str, Any] = {}
    campaigns: Annotated[list[AnyCampaign], Field(min_length=1)]

    @model_validator(mode="before")
    @classmethod
    def _brand_campaigns(cls, data: Any) -> Any:
        """Each campaign's branding is the file's, with the campaign's own on top."""
        if not isinstance(data, dict) or not isinstance(data.get("campaigns"), list):
            return data
        shared = data.get("branding") or {}
        if not isinstance(shared, dict):
            return data
        campaigns = [
            {"flow": "unpaid_order", **c, "branding": {**shared, **(c.get("branding") or {})}}
            if isinstance(c, dict)
            else c
            for c in data["campaigns"]
        ]
        return {**data, "campaigns": campaigns}

    @model_validator(mode="after")
    def _unique(self) -> CampaignFile:
        seen: dict[str, str] = {}
        for campaign in self.campaigns:
            for key, value in (("id", campaign.id), ("coupon code", campaign.coupon.code)):
                if f"{key}:{value}" in seen:
                    raise ValueError(f"two campaigns use the {key} {value!r}")
                seen[f"{key}:{value}"] = campaign.id
        return self


def parse_campaigns(data: Any, source: str = "campaigns") -> list[Campaign]:
    """Validate campaign data (already loaded from YAML/JSON) or raise CampaignError."""
    if isinstance(data, list):
        data = {"campaigns": data}
    try:
        return list[Campaign](CampaignFile.model_validate(data).campaigns)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        loc = [part for part in first["loc"] if part not in FLOWS]  # the union's tag says nothing
        where = ".".join(str(part) for part in loc)
        if len(loc) >= 2 and loc[0] == "campaigns" and isinstance(loc[1], int):
            campaigns = data.get("campaigns") if isinstance(data, dict) else None
            entry = campaigns[loc[1]] if isinstance(campaigns, list) else None
            name = entry.get("id") if isinstance(entry, dict) else None
            rest = ".".join(str(part) for part in loc[2:])
            where = f"campaign {name or '#' + str(loc[1] + 1)}" + (f", {rest}" if rest else "")
        message = first["msg"].removeprefix("Value error, ")
        raise CampaignError(f"{source}: {where}: {message}") from None


def read_yaml(path: Path, what: str, error: type[ValueError]) -> Any:
    """A merchant's YAML file, or `error` saying which file and why it cannot be read."""
    import yaml

    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as problem:
        raise error(f"{path}: cannot read {what}: {problem}") from None


def load_campaigns(path: str | Path) -> list[Campaign]:
    return parse_campaigns(read_yaml(Path(path), "campaigns", CampaignError), str(path))


def default_campaigns() -> list[Campaign]:
    """The documented defaults shipped with winback (defaults/campaigns.yaml)."""
    import yaml

    text = resources.files("winback").joinpath("defaults/campaigns.yaml").read_text("utf-8")
    return parse_campaigns(yaml.safe_load(text), "default campaigns")


def winback_for(campaigns: list[Campaign], segment: str) -> WinBackCampaign | None:
    """The enabled win-back campaign for contacts entering `segment`."""
    return next((c for c in campaigns if isinstance(c, WinBackCampaign) and c.enabled and c.segment == segment), None)


def choose_campaign(campaigns: list[Campaign], offer_id: str, flow: str = "unpaid_order") -> Campaign | None:
    """The enabled campaign of `flow` for an offer: one that names it wins over a catch-all."""
    enabled = [c for c in campaigns if c.enabled and c.flow == flow]
    named = [c for c in enabled if offer_id in c.offers]
    if named:
        return named[0]
    return next((c for c in enabled if c.covers(offer_id)), None)
