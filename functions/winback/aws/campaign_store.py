"""Campaigns in DynamoDB: written by `winback campaigns apply`, read by the flows."""

from __future__ import annotations

import time
from typing import TypeVar

from winback.aws.store import CampaignRecord
from winback.model import clock
from winback.model.campaigns import Campaign, campaign_from

CACHE_SECONDS = 60.0
_cache: tuple[float, list[Campaign]] | None = None
_by_id: dict[str, tuple[float, Campaign]] = {}
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
    global _cache
    _cache = None
    _by_id.clear()


def all_campaigns() -> list[Campaign]:
    """Every stored campaign; cached for a minute per Lambda container."""
    global _cache
    if _cache is None or time.monotonic() - _cache[0] > CACHE_SECONDS:
        found = [campaign_from(r.config) for r in CampaignRecord.scan()]
        _cache = (time.monotonic(), sorted(found, key=lambda c: c.id))
    return _cache[1]


def get[C: Campaign](campaign_id: str, kind: type[C]) -> C:
    """One campaign of the flow `kind`; cached for a minute per container like the
    list (each flow step needs it, and a merchant's change may take that long to
    reach a flow)."""
    cached = _by_id.get(campaign_id)
    if cached is None or time.monotonic() - cached[0] > CACHE_SECONDS:
        cached = (time.monotonic(), campaign_from(CampaignRecord.get(campaign_id).config))
        _by_id[campaign_id] = cached
    campaign = cached[1]
    if not isinstance(campaign, kind):
        raise TypeError(f"campaign {campaign_id} is a {campaign.flow} campaign, not {kind.__name__}")
    return campaign


def by_coupon(code: str) -> Campaign | None:
    for record in CampaignRecord.by_coupon.query(code):
        return campaign_from(record.config)
    return None
