"""RFM scoring, pure: recency, frequency and monetary scores 1-5 and the 11 segments.

docs/rfm.md explains every choice. In short:
- R = whole UTC days since the last paid order, F = paid orders, M = average order value
  (or total revenue) in the reporting currency's minor units, over the last two years.
  Contacts without a paid order in that time are not scored.
- A score is 1 + floor(5 x the share of scored contacts strictly worse), so equal values
  always get equal scores whatever the row order, and ties (most shops' customers have
  exactly one order) all get the score of their group.
- Scores are monotonic in the value, so the day's scoring is four thresholds per
  dimension (`Cuts`): the job measures the whole table once (histograms), cuts, then
  scores each contact against the thresholds.
- A contact whose last order leaves the two-year window is no longer scored ("lapsed").
- M is compared at three significant figures (1,234.56 and 1,236.00 tie), which keeps a
  histogram of a million contacts small.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

LOOKBACK_DAYS = 730  # two years of orders

# The 125 three-digit codes (R, F, M) of the usual 11-segment table, each in exactly one
# segment (tests/test_rfm.py checks it). Source and reading: docs/rfm.md.
SEGMENT_CODES: dict[str, tuple[int, ...]] = {
    "Champions": (555, 554, 544, 545, 454, 455, 445),
    "Loyal customers": (543, 444, 435, 355, 354, 345, 344, 335),
    "Potential loyalists": (
        *(553, 551, 552, 541, 542, 533, 532, 531, 452, 451, 442, 441),
        *(431, 453, 433, 432, 423, 353, 352, 351, 342, 341, 333, 323),
    ),
    "New customers": (512, 511, 422, 421, 412, 411, 311),
    "Promising": (525, 524, 523, 522, 521, 515, 514, 513, 425, 424, 413, 414, 415, 315, 314, 313),
    "Need attention": (535, 534, 443, 434, 343, 334, 325, 324),
    "About to sleep": (331, 321, 312, 221, 213, 231, 241, 251),
    "At risk": (
        *(255, 254, 245, 244, 253, 252, 243, 242, 235, 234, 225),
        *(224, 153, 152, 145, 143, 142, 135, 134, 133, 125, 124),
    ),
    "Can't lose them": (155, 154, 144, 214, 215, 115, 114, 113),
    "Hibernating": (332, 322, 233, 232, 223, 222, 132, 123, 122, 212, 211),
    "Lost": (111, 112, 121, 131, 141, 151),
}
SEGMENTS = tuple(SEGMENT_CODES)
_BY_CODE = {code: name for name, codes in SEGMENT_CODES.items() for code in codes}


def segment_of(r: int, f: int, m: int) -> str:
    return _BY_CODE[100 * r + 10 * f + m]


@dataclass(frozen=True)
class Raw:
    """One contact's RFM inputs on a day."""

    recency_days: int
    frequency: int
    monetary: int  # minor units of the reporting currency, at three significant figures


def three_figures(value: int) -> int:
    """123456 -> 123000: M is compared at three significant figures."""
    if value <= 0:
        return 0
    digits = math.floor(math.log10(value)) + 1
    scale = 10 ** max(digits - 3, 0)
    return round(value / scale) * scale


@dataclass(frozen=True)
class Purchase:
    order_id: str
    paid_at: datetime
    amount_minor: int | None  # None: no rate to the reporting currency


def raw(purchases: Iterable[Purchase], today: date, monetary: str = "average") -> Raw | None:
    """The contact's R, F and M on `today` from their paid, unrefunded orders, or None
    when none falls in the last two years."""
    recent = [p for p in purchases if 0 <= (today - p.paid_at.date()).days <= LOOKBACK_DAYS]
    if not recent:
        return None
    recency = min((today - p.paid_at.date()).days for p in recent)
    amounts = [p.amount_minor for p in recent if p.amount_minor is not None]
    total = sum(amounts)
    value = total if monetary == "total" else (total // len(amounts) if amounts else 0)
    return Raw(recency, len(recent), three_figures(value))


@dataclass
class Histograms:
    """Counts of contacts per value, for one part of the table or all of it."""

    recency: Counter[int]
    frequency: Counter[int]
    monetary: Counter[int]

    @classmethod
    def empty(cls) -> Histograms:
        return cls(Counter(), Counter(), Counter())

    def add(self, value: Raw) -> None:
        self.recency[value.recency_days] += 1
        self.frequency[value.frequency] += 1
        self.monetary[value.monetary] += 1

    def merge(self, other: Histograms) -> None:
        self.recency.update(other.recency)
        self.frequency.update(other.frequency)
        self.monetary.update(other.monetary)

    def as_json(self) -> dict[str, dict[str, int]]:
        return {
            name: {str(k): v for k, v in getattr(self, name).items()} for name in ("recency", "frequency", "monetary")
        }

    @classmethod
    def from_json(cls, data: dict[str, dict[str, int]]) -> Histograms:
        return cls(*(Counter({int(k): int(v) for k, v in data[name].items()}) for name in cls.__dataclass_fields__))

    @property
    def contacts(self) -> int:
        return sum(self.recency.values())


def _thresholds(counts: Counter[int], higher_is_better: bool) -> list[int]:
    """For scores 2..5, the least good value that reaches it: score(v) = 1 + number of
    thresholds v reaches. score = 1 + floor(5 x worse / N), worse = contacts strictly
    worse than v."""
    total = sum(counts.values())
    ordered = sorted(counts, reverse=not higher_is_better)  # worst first
    thresholds: list[int] = []
    worse = 0
    for value in ordered:
        score = 1 + (5 * worse) // total
        while len(thresholds) < score - 1:
            thresholds.append(value)
        worse += counts[value]
    return thresholds


@dataclass(frozen=True)
class Cuts:
    """The day's scoring: for each dimension, the values that reach scores 2, 3, 4 and 5."""

    recency: tuple[int, ...]  # lower is better
    frequency: tuple[int, ...]
    monetary: tuple[int, ...]

    @classmethod
    def of(cls, histograms: Histograms) -> Cuts:
        return cls(
            tuple(_thresholds(histograms.recency, higher_is_better=False)),
            tuple(_thresholds(histograms.frequency, higher_is_better=True)),
            tuple(_thresholds(histograms.monetary, higher_is_better=True)),
        )

    def score(self, value: Raw) -> tuple[int, int, int]:
        r = 1 + sum(value.recency_days <= t for t in self.recency)
        f = 1 + sum(value.frequency >= t for t in self.frequency)
        m = 1 + sum(value.monetary >= t for t in self.monetary)
        return r, f, m

    def as_json(self) -> dict[str, list[int]]:
        return {"recency": list(self.recency), "frequency": list(self.frequency), "monetary": list(self.monetary)}

    @classmethod
    def from_json(cls, data: dict[str, list[int]]) -> Cuts:
        return cls(tuple(data["recency"]), tuple(data["frequency"]), tuple(data["monetary"]))


def cause(before: Raw | None, after: Raw) -> str:
    """Why a contact's scores moved: their own purchase or refund changed F or M
    ("own_purchase"), or the others moved around them ("others": other contacts bought,
    or left the two-year window). Time alone moves nobody: everyone ages alike, and
    the scores are ranks."""
    if before is None or (before.frequency, before.monetary) != (after.frequency, after.monetary):
        return "own_purchase"
    return "others"
