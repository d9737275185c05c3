"""RFM scoring on a table computed by hand (docs/rfm.md), and the segment table."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from itertools import product

from winback.model.rfm import SEGMENT_CODES, SEGMENTS, Cuts, Histograms, Purchase, Raw, raw, segment_of, three_figures

TODAY = date(2026, 3, 2)

# Ten contacts: days since their last order, their orders, their average order in cents.
TABLE = [
    (1, 7, 90_000),
    (1, 3, 50_000),
    (5, 2, 12_000),
    (10, 1, 12_000),
    (30, 1, 9_000),
    (30, 2, 4_000),
    (60, 1, 3_000),
    (100, 1, 2_000),
    (200, 1, 2_000),
    (400, 1, 1_000),
]
# By hand: score = 1 + floor(5 x contacts strictly worse / 10).
# R (fewer days is better): 1 day: 8 worse -> 5; 5: 7 -> 4; 10: 6 -> 4; 30: 4 -> 3; 60: 3 -> 2;
#   100: 2 -> 2; 200: 1 -> 1; 400: 0 -> 1.
# F: 1 order: 0 worse -> 1; 2: 6 -> 4; 3: 8 -> 5; 7: 9 -> 5.
# M: 1,000: 0 -> 1; 2,000: 1 -> 1; 3,000: 3 -> 2; 4,000: 4 -> 3; 9,000: 5 -> 3;
#   12,000: 6 -> 4; 50,000: 8 -> 5; 90,000: 9 -> 5.
EXPECTED = [
    (5, 5, 5),
    (5, 5, 5),
    (4, 4, 4),
    (4, 1, 4),
    (3, 1, 3),
    (3, 4, 3),
    (2, 1, 2),
    (2, 1, 1),
    (1, 1, 1),
    (1, 1, 1),
]


def _cuts(rows: list[tuple[int, int, int]]) -> Cuts:
    counts = Histograms.empty()
    for r, f, m in rows:
        counts.add(Raw(r, f, m))
    return Cuts.of(Histograms.from_json(counts.as_json()))  # as stored between the job's steps


def test_each_of_the_125_codes_is_in_exactly_one_segment() -> None:
    every = [code for codes in SEGMENT_CODES.values() for code in codes]
    assert sorted(every) == sorted(100 * r + 10 * f + m for r, f, m in product(range(1, 6), repeat=3))
    assert len(SEGMENTS) == 11
    assert segment_of(1, 5, 5) == "Can't lose them" and segment_of(5, 5, 5) == "Champions"
    assert segment_of(1, 1, 3) == "Can't lose them"  # one large old order: the docs warn about it


def test_scores_of_a_table_computed_by_hand() -> None:
    cuts = _cuts(TABLE)
    assert [cuts.score(Raw(*row)) for row in TABLE] == EXPECTED


def test_equal_values_get_equal_scores_whatever_the_row_order() -> None:
    rng = random.Random(5)
    rows = [(rng.choice([3, 3, 3, 40, 90]), 1 if rng.random() < 0.8 else rng.randint(2, 6), 5000) for _ in range(500)]
    first = _cuts(rows)
    rng.shuffle(rows)
    again = _cuts(rows)
    assert first == again
    scores = {row: first.score(Raw(*row)) for row in rows}
    one_order = {score[1] for (_, f, _), score in scores.items() if f == 1}
    assert one_order == {1}, "most customers have one order: they all share the lowest F"


def test_inputs_come_from_the_last_two_years_of_paid_orders() -> None:
    at = lambda days: datetime(2026, 3, 2, 10, tzinfo=UTC) - timedelta(days=days)  # noqa: E731
    bought = [Purchase("a", at(10), 12_345), Purchase("b", at(100), 20_000), Purchase("c", at(900), 99_999)]
    assert raw(bought, TODAY) == Raw(10, 2, 16_200)  # average of two, at three figures
    assert raw(bought, TODAY, "total") == Raw(10, 2, 32_300)
    assert raw([Purchase("c", at(900), 5)], TODAY) is None  # not scored
    assert raw([Purchase("x", at(1), None)], TODAY) == Raw(1, 1, 0)  # no rate: an order, no revenue


def test_three_significant_figures() -> None:
    assert [three_figures(v) for v in (0, 7, 999, 1234, 123_456, 123_567)] == [0, 7, 999, 1230, 123_000, 124_000]
