"""When a contact may get the next marketing email: a frequency cap and quiet hours.

Per contact, across every flow: at most `cap` marketing emails in a rolling window of
`window_days`, at least `min_gap_hours` between two, and none during quiet hours in the
contact's own time zone (21:00 to 08:00 by default; a zone's DST change moves the clock,
not the rule; what the night held goes over the first half hour of the morning).
Transactional email is never held. A send that comes too early is not dropped: its flow
waits until `next_allowed` and sends then, unless the wait makes it pointless
(docs/deliverability.md).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Rules:
    cap: int = 4
    window_days: int = 7
    min_gap_hours: float = 4
    quiet_start: time = time(21, 0)
    quiet_end: time = time(8, 0)

    @classmethod
    def from_env(cls) -> Rules:
        """The stack's parameters (MarketingCap, MarketingCapDays, MinGapHours, QuietHours)."""
        start, _, end = os.environ.get("QUIET_HOURS", "21:00-08:00").partition("-")
        return cls(
            cap=int(os.environ.get("MARKETING_CAP", "4")),
            window_days=int(os.environ.get("MARKETING_CAP_DAYS", "7")),
            min_gap_hours=float(os.environ.get("MIN_GAP_HOURS", "4")),
            quiet_start=time.fromisoformat(start),
            quiet_end=time.fromisoformat(end),
        )


def _quiet(local: datetime, rules: Rules) -> bool:
    at = local.time()
    if rules.quiet_start == rules.quiet_end:
        return False
    if rules.quiet_start > rules.quiet_end:  # across midnight, 21:00-08:00
        return at >= rules.quiet_start or at < rules.quiet_end
    return rules.quiet_start <= at < rules.quiet_end


# Every email held by the night would otherwise go at 08:00:00 sharp, far above the
# account's SES send rate: each contact gets their own minute of the first half hour.
MORNING_SPREAD_SECONDS = 30 * 60


def morning_offset(contact_id: str, rules: Rules) -> timedelta:
    """How long after the end of the quiet hours this contact's held emails go: the same
    for every email of theirs, spread evenly over MORNING_SPREAD_SECONDS across contacts
    (over half the day's allowed hours, if quiet hours leave less than an hour)."""
    start = rules.quiet_start.hour * 3600 + rules.quiet_start.minute * 60
    end = rules.quiet_end.hour * 3600 + rules.quiet_end.minute * 60
    allowed = (start - end) % 86400 or 86400
    spread = max(1, min(MORNING_SPREAD_SECONDS, allowed // 2))
    digest = hashlib.blake2b(contact_id.encode(), digest_size=8).digest()
    return timedelta(seconds=int.from_bytes(digest, "big") % spread)


def after_quiet_hours(moment: datetime, zone: str, rules: Rules, contact_id: str | None = None) -> datetime:
    """`moment`, or the end of the quiet hours it falls in, in the contact's zone (plus
    the contact's `morning_offset`, when named)."""
    tz = ZoneInfo(zone)
    local = moment.astimezone(tz)
    if not _quiet(local, rules):
        return moment
    day = local.date() if local.time() < rules.quiet_end else local.date() + timedelta(days=1)
    end = datetime.combine(day, rules.quiet_end, tzinfo=tz).astimezone(moment.tzinfo)
    return end + morning_offset(contact_id, rules) if contact_id else end


def next_allowed(
    now: datetime, zone: str, sent: list[datetime], rules: Rules, contact_id: str | None = None
) -> datetime:
    """The first moment from `now` a marketing email may go, given the contact's earlier
    marketing emails `sent` (any order); past quiet hours, at `contact_id`'s own minute."""
    moment = now
    for _ in range(4):  # each rule may push past another's boundary; they settle fast
        earlier = sorted(s for s in sent if s <= moment)
        if earlier:
            moment = max(moment, earlier[-1] + timedelta(hours=rules.min_gap_hours))
        window = [s for s in earlier if s > moment - timedelta(days=rules.window_days)]
        if len(window) >= rules.cap:
            moment = max(moment, window[-rules.cap] + timedelta(days=rules.window_days))
        settled = after_quiet_hours(moment, zone, rules, contact_id)
        if settled == moment:
            return moment
        moment = settled
    return moment


def reason_held(now: datetime, zone: str, sent: list[datetime], rules: Rules) -> str:
    """Which rule holds the email at `now`: quiet_hours, min_gap or frequency_cap."""
    if after_quiet_hours(now, zone, rules) > now:
        return "quiet_hours"
    earlier = [s for s in sent if s <= now]
    if earlier and max(earlier) + timedelta(hours=rules.min_gap_hours) > now:
        return "min_gap"
    return "frequency_cap"
