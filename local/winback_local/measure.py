"""What the emails changed, honestly: treatment against holdout, variant against variant.

- Conversion: the share of contacts whose payment is attributed to the flow (emailed, or
  held out at the moment the email would have gone), "under way" payments included on
  both sides, since the holdout has them too.
- Uplift: the difference of conversion rates with a 95 % interval by Newcombe's hybrid
  score method (his method 10, from two Wilson intervals), which stays inside [-1, 1] and
  behaves at small counts where the Wald interval does not.
- Revenue per contact: the difference of means with a 95 % normal (Welch) interval, and
  the incremental revenue: that difference times the emailed contacts.
- Too small to conclude: with fewer than MIN_GROUP contacts in a group, or while the
  interval holds 0, the report says so, and how many contacts per group would detect the
  observed difference (80 % power, 5 % two-sided).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

Z95 = 1.959963984540054
# Below this many contacts in a group, no verdict whatever the interval says: the
# intervals' normal approximations and a handful of payments are not to be trusted.
MIN_GROUP = 30
Z80 = 0.8416212335729143


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a proportion."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float, float]:
    """(p1 - p2, lower, upper): the difference of two proportions, 95 % hybrid score interval."""
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson(x1, n1)
    l2, u2 = wilson(x2, n2)
    d = p1 - p2
    return d, d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)


def needed_per_group(p1: float, p2: float) -> int | None:
    """Contacts per group to detect p1 against p2 (80 % power, 5 % two-sided, Fleiss's
    formula with the pooled variance under the null); None if equal."""
    if p1 == p2:
        return None
    pooled = (p1 + p2) / 2
    spread = Z95 * math.sqrt(2 * pooled * (1 - pooled)) + Z80 * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    return max(2, math.ceil(spread**2 / (p1 - p2) ** 2))


def _mean_var(values: Sequence[float]) -> tuple[float, float]:
    n = len(values)
    mean = sum(values) / n
    var = sum((v - mean) ** 2 for v in values) / (n - 1) if n > 1 else 0.0
    return mean, var


@dataclass(frozen=True)
class Comparison:
    """One group against another: `a` (emailed, or a variant) and `b` (holdout, or the other)."""

    n_a: int
    n_b: int
    conversions_a: int
    conversions_b: int
    revenue_a: Sequence[float]  # per contact of a, 0 for those who did not pay
    revenue_b: Sequence[float]

    def as_json(self) -> dict[str, object]:
        if self.n_a == 0 or self.n_b == 0:
            empty = "treatment" if self.n_a == 0 else "comparison"
            return {"conclusive": False, "why": f"no contacts in the {empty} group", "n": [self.n_a, self.n_b]}
        d, low, high = newcombe(self.conversions_a, self.n_a, self.conversions_b, self.n_b)
        mean_a, var_a = _mean_var(self.revenue_a)
        mean_b, var_b = _mean_var(self.revenue_b)
        half = Z95 * math.sqrt(var_a / self.n_a + var_b / self.n_b)
        p_a, p_b = self.conversions_a / self.n_a, self.conversions_b / self.n_b
        needed = needed_per_group(p_a, p_b)
        smaller = min(self.n_a, self.n_b)
        conclusive = (low > 0 or high < 0) and smaller >= MIN_GROUP
        why = None
        if smaller < MIN_GROUP:
            why = f"too few contacts: {smaller} in the smaller group, at least {MIN_GROUP} before any verdict"
        elif not conclusive:
            why = (
                f"the interval holds 0: about {needed} contacts per group would tell"
                if needed
                else "no difference seen yet"
            )
        return {
            "n": [self.n_a, self.n_b],
            "conversion": [round(p_a, 4), round(p_b, 4)],
            "uplift": round(d, 4),
            "uplift_95": [round(low, 4), round(high, 4)],
            "uplift_method": "Newcombe hybrid score (Wilson), 95 %",
            "revenue_per_contact": [round(mean_a, 2), round(mean_b, 2)],
            "revenue_per_contact_difference_95": [round(mean_a - mean_b - half, 2), round(mean_a - mean_b + half, 2)],
            "incremental_revenue": round((mean_a - mean_b) * self.n_a, 2),
            "conclusive": conclusive,
            "why": why,
        }


def _revenue(entry: dict[str, object]) -> float:
    minor = entry.get("revenue_reporting_minor")
    return int(minor) / 100 if isinstance(minor, int) else 0.0  # a currency without a rate: counted, no amount


def _compare(a: set[str], b: set[str], paid: dict[str, float]) -> dict[str, object]:
    return Comparison(
        len(a),
        len(b),
        sum(1 for c in a if c in paid),
        sum(1 for c in b if c in paid),
        [paid.get(c, 0.0) for c in a],
        [paid.get(c, 0.0) for c in b],
    ).as_json()


def measurement(entries: Iterable[dict[str, object]]) -> dict[str, object]:
    """Per campaign: emailed against held out; per A/B step: variant against variant.
    From the timeline's email.sent, email.held_out and order.attributed entries (revenue in
    the reporting currency, per contact)."""
    emailed: dict[str, set[str]] = {}
    held: dict[str, set[str]] = {}
    by_variant: dict[str, dict[str, set[str]]] = {}
    paid: dict[str, dict[str, float]] = {}  # campaign -> contact -> revenue
    for e in entries:
        campaign, contact = str(e.get("campaign")), str(e.get("contact_id"))
        if e["type"] == "email.sent" and e.get("template") != "order_confirmation":
            emailed.setdefault(campaign, set()).add(contact)
            if e.get("variant"):
                by_variant.setdefault(campaign, {}).setdefault(str(e["variant"]), set()).add(contact)
        elif e["type"] == "email.held_out":
            held.setdefault(campaign, set()).add(contact)
        elif e["type"] == "order.attributed":
            owed = paid.setdefault(campaign, {})
            owed[contact] = owed.get(contact, 0.0) + _revenue(e)
    found: dict[str, object] = {}
    for campaign in sorted(set(emailed) | set(held)):
        entry: dict[str, object] = {
            "holdout": _compare(emailed.get(campaign, set()), held.get(campaign, set()), paid.get(campaign, {}))
        }
        variants = by_variant.get(campaign, {})
        if len(variants) >= 2:
            (name_a, a), (name_b, b) = sorted(variants.items())[:2]
            test = _compare(a, b, paid.get(campaign, {}))
            uplift = test.get("uplift")
            winner = None
            if test.get("conclusive") and isinstance(uplift, float):
                winner = name_a if uplift > 0 else name_b
            entry["ab"] = {"variants": [name_a, name_b], **test, "winner": winner or "no winner yet"}
        found[campaign] = entry
    return found
