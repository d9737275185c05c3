"""Campaigns in DynamoDB: written by `winback campaigns apply`, read by the flows."""

from __future__ import annotations

from typing import TypeVar

from winback.aws.kept import Kept
from winback.aws.store import CampaignRecord
from winback.model import clock
from winback.model.campaigns import Campaign, campaign_from

_all: Kept[None, list[Campaign]] = Kept()  # every campaign, as one entry
_by_id: Kept[str, Campaign] = Kept()
C = TypeVar("C", bound=Campaign)


def apply(campaigns: list[Campaign]) -> dict[str, list[str]]:
    """Make the table match the file. A campaign missing from the file is disabled,
    not deleted: flows it started still need its coupon and template."""
    wanted = {c.id for c in campaigns}
    disabled: list[str] = []
    for record in CampaignRecord.scan():
        if record.campaign_id not in wanted and record.config.get("enabled", True):
            record.config = {**record.config, "enabled": False}
            record.save()
            disabled.append(record.campaign_id)
    for campaign in campaigns:
        CampaignRecord(
            campaign.id,
            coupon_code=campaign.coupon.code,
            config=campaign.model_dump(mode="json"),
            applied_at=clock.now(),
        ).save()
    invalidate()
    return {"applied": sorted(wanted), "disabled": sorted(disabled)}


def invalidate() -> None:
    _all.clear()
    _by_id.clear()


def _read_all() -> list[Campaign]:
    return sorted((campaign_from(r.config) for r in CampaignRecord.scan()), key=lambda c: c.id)


def all_campaigns() -> list[Campaign]:
    """Every stored campaign; kept for a minute per Lambda container."""
    return _all.get(None, _read_all)


def get[C: Campaign](campaign_id: str, kind: type[C]) -> C:
    """One campaign of the flow `kind`; kept for a minute per container like the
    list (each flow step needs it, and a merchant's change may take that long to
    reach a flow)."""
    campaign = _by_id.get(campaign_id, lambda: campaign_from(CampaignRecord.get(campaign_id).config))
    if not isinstance(campaign, kind):
        raise TypeError(f"campaign {campaign_id} is a {campaign.flow} campaign, not {kind.__name__}")
    return campaign


def by_coupon(code: str) -> Campaign | None:
    for record in CampaignRecord.by_coupon.query(code):
        return campaign_from(record.config)
    return None
