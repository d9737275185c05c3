"""Which email, if any, a payment is owed to: counted at payment, never at order.

A paid order is attributed to the last email of a winback flow the contact received
before paying, within the campaign's attribution window (default 5 days). Paid less
than the minimum gap after that email (default 2 minutes), it is "under_way": nobody
opens an email, decides and pays in under two minutes, so that sale was already
happening and counting it would flatter the email. A payment after the order was
cancelled, or with no email in the window, is owed to nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

DEFAULT_WINDOW_DAYS = 5
DEFAULT_MIN_GAP_MINUTES = 2
DEFAULT_WINDOW = timedelta(days=DEFAULT_WINDOW_DAYS)
DEFAULT_MIN_GAP = timedelta(minutes=DEFAULT_MIN_GAP_MINUTES)
RECOVERED, UNDER_WAY = "recovered", "under_way"
# The flow and step of a send, from its ledger id: "<flow>#<key>#<step>".
FLOWS = ("unpaid_order", "abandoned_cart", "post_purchase", "winback")


def in_holdout(campaign_id: str, contact_id: str, percent: int) -> bool:
    """Whether this contact is in the campaign's holdout: the same answer every time for
    that contact and campaign (a hash, no state), close to `percent` over many contacts.
    Independent of the A/B split, which hashes other inputs."""
    if percent <= 0:
        return False
    bucket = int(hashlib.sha256(f"holdout:{campaign_id}:{contact_id}".encode()).hexdigest()[:8], 16) % 10_000
    return bucket < percent * 100


@dataclass(frozen=True)
class Touch:
    """An email of a flow that reached a contact (or, for the holdout, would have)."""

    send_id: str
    campaign: str
    at: datetime
    variant: str | None = None
    coupon_code: str | None = None
    held_out: bool = False
    clicked_at: datetime | None = None

    @property
    def flow(self) -> str:
        return self.send_id.split("#", 1)[0]

    @property
    def step(self) -> str:
        return self.send_id.rsplit("#", 1)[-1]

    @property
    def counts(self) -> bool:
        """A flow's marketing email; the order confirmation (transactional) never earns a sale."""
        return self.flow in FLOWS and self.step != "confirmation"


@dataclass(frozen=True)
class Attribution:
    touch: Touch
    outcome: str  # RECOVERED or UNDER_WAY


def attribute(
    touches: list[Touch],
    paid_at: datetime,
    window: timedelta = DEFAULT_WINDOW,
    min_gap: timedelta = DEFAULT_MIN_GAP,
) -> Attribution | None:
    """The last touch before `paid_at` within `window`, and whether the payment came
    after the minimum gap; None when no flow email came in the window."""
    before = [t for t in touches if t.counts and paid_at - window <= t.at <= paid_at]
    if not before:
        return None
    last = max(before, key=lambda t: (t.at, t.send_id))
    return Attribution(last, RECOVERED if paid_at - last.at >= min_gap else UNDER_WAY)
