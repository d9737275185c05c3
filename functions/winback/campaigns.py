"""Campaigns: what a merchant configures, validated before it is stored.

A campaign file (YAML) is a list of campaigns under `campaigns:`. `winback campaigns
apply FILE` validates it and writes it to the campaigns table, so a change needs no
redeploy. `defaults/campaigns.yaml` holds the documented defaults.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

MIN_DELAY_MINUTES = 10
DEFAULT_DELAY_MINUTES = 30
DEFAULT_WINDOW_HOURS = 24

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


class Coupon(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    code: Annotated[str, StringConstraints(min_length=4, max_length=40, pattern=r"^[A-Z0-9][A-Z0-9_-]*$")]
    name: Annotated[str, StringConstraints(min_length=1, max_length=120)]
    # The name in other languages, by locale ("fr": "..."); `name` is used otherwise.
    names: dict[
        Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")],
        Annotated[str, StringConstraints(min_length=1, max_length=120)],
    ] = {}
    percent_off: Annotated[Decimal, Field(gt=0, le=100)] | None = None
    amount_off: Annotated[Decimal, Field(gt=0)] | None = None

    @model_validator(mode="after")
    def _one_discount(self) -> Coupon:
        if (self.percent_off is None) == (self.amount_off is None):
            raise ValueError("give exactly one of percent_off or amount_off")
        return self

    def name_for(self, locale: str) -> str:
        return self.names.get(locale, self.name)

    def discount_on(self, price: Decimal) -> Decimal:
        """The discount in money on `price`, never more than the price itself."""
        if self.percent_off is not None:
            raw = price * self.percent_off / Decimal(100)
        else:
            raw = self.amount_off or Decimal(0)
        return min(raw, price).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    def describe(self) -> str:
        """ "15%" or "10.00" (money is formatted by the template with the currency)."""
        if self.percent_off is not None:
            return f"{self.percent_off.normalize():f}%"
        return f"{self.amount_off:.2f}"


class Campaign(BaseModel):
    """One unpaid-order recovery campaign."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: Slug
    flow: Literal["unpaid_order"] = "unpaid_order"
    enabled: bool = True
    offers: Annotated[list[str], Field(min_length=1)] = ["*"]
    delay_minutes: int = DEFAULT_DELAY_MINUTES
    window_hours: Annotated[int, Field(ge=1, le=24 * 30)] = DEFAULT_WINDOW_HOURS
    coupon: Coupon
    list: Slug
    template: Slug = "unpaid_order_coupon"
    sender: Annotated[str, StringConstraints(max_length=320)] | None = None
    branding: Branding = Branding()

    @model_validator(mode="after")
    def _delay_floor(self) -> Campaign:
        if self.delay_minutes < MIN_DELAY_MINUTES:
            raise ValueError(
                f"delay_minutes is {self.delay_minutes}, but must be at least "
                f"{MIN_DELAY_MINUTES}: payments take time to clear, and a coupon sent "
                "sooner goes to customers who were about to pay"
            )
        return self

    def covers(self, offer_id: str) -> bool:
        return "*" in self.offers or offer_id in self.offers

    @property
    def delay_seconds(self) -> int:
        return self.delay_minutes * 60

    @property
    def window_seconds(self) -> int:
        return self.window_hours * 3600


class CampaignFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    branding: dict[str, Any] = {}
    campaigns: Annotated[list[Campaign], Field(min_length=1)]

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
            {**c, "branding": {**shared, **(c.get("branding") or {})}} if isinstance(c, dict) else c
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
        return CampaignFile.model_validate(data).campaigns
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        loc = list(first["loc"])
        where = ".".join(str(part) for part in loc)
        if len(loc) >= 2 and loc[0] == "campaigns" and isinstance(loc[1], int):
            campaigns = data.get("campaigns") if isinstance(data, dict) else None
            entry = campaigns[loc[1]] if isinstance(campaigns, list) else None
            name = entry.get("id") if isinstance(entry, dict) else None
            rest = ".".join(str(part) for part in loc[2:])
            where = f"campaign {name or '#' + str(loc[1] + 1)}" + (f", {rest}" if rest else "")
        message = first["msg"].removeprefix("Value error, ")
        raise CampaignError(f"{source}: {where}: {message}") from None


def load_campaigns(path: str | Path) -> list[Campaign]:
    import yaml

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise CampaignError(f"{path}: cannot read campaigns: {error}") from None
    return parse_campaigns(data, str(path))


def default_campaigns() -> list[Campaign]:
    """The documented defaults shipped with winback (defaults/campaigns.yaml)."""
    import yaml

    text = resources.files("winback").joinpath("defaults/campaigns.yaml").read_text("utf-8")
    return parse_campaigns(yaml.safe_load(text), "default campaigns")


def choose_campaign(campaigns: list[Campaign], offer_id: str) -> Campaign | None:
    """The enabled campaign for an offer: one that names it wins over a catch-all."""
    enabled = [c for c in campaigns if c.enabled and c.flow == "unpaid_order"]
    named = [c for c in enabled if offer_id in c.offers]
    if named:
        return named[0]
    return next((c for c in enabled if c.covers(offer_id)), None)
