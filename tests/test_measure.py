"""The statistics the report stands on, against cases worked by hand in the literature."""

from __future__ import annotations

import pytest

from winback_local.measure import Comparison, measurement, needed_per_group, newcombe, wilson


def test_wilson_and_newcombe_match_newcombes_worked_examples() -> None:
    # Newcombe (1998), Statistics in Medicine 17:873-890, Table II, method 10.
    d, low, high = newcombe(56, 70, 48, 80)
    assert (round(d, 4), round(low, 4), round(high, 4)) == (0.2, 0.0524, 0.3339)
    d, low, high = newcombe(9, 10, 3, 10)
    assert (round(low, 4), round(high, 4)) == (0.1705, 0.809)
    assert round(wilson(0, 10)[1], 4) == 0.2775  # zero successes still has an upper bound


def test_sample_size_for_a_small_lift() -> None:
    # 5 % against 4 %: the textbook answer is about 6,700 per group at 80 % power.
    assert 6_600 <= needed_per_group(0.05, 0.04) <= 6_800  # type: ignore[operator]
    assert needed_per_group(0.05, 0.05) is None


def test_a_small_sample_says_so_and_how_many_contacts_it_needs() -> None:
    small = Comparison(20, 3, 2, 0, [50.0, 50.0] + [0.0] * 18, [0.0] * 3).as_json()
    assert small["conclusive"] is False and "too few contacts: 3 in the smaller group" in str(small["why"])
    # an interval that excludes 0 on three held-out contacts is still no verdict
    lucky = Comparison(25, 3, 0, 2, [0.0] * 25, [50.0, 50.0, 0.0]).as_json()
    assert lucky["uplift_95"][1] < 0 and lucky["conclusive"] is False  # type: ignore[index]
    unsure = Comparison(400, 400, 24, 20, [1.0] * 400, [1.0] * 400).as_json()
    assert unsure["conclusive"] is False and "contacts per group would tell" in str(unsure["why"])
    big = Comparison(1000, 1000, 120, 60, [40.0] * 120 + [0.0] * 880, [40.0] * 60 + [0.0] * 940).as_json()
    assert big["conclusive"] is True and big["incremental_revenue"] == 2400.0


@pytest.mark.parametrize(("a", "b"), [(0, 5), (5, 0), (0, 0)])
def test_empty_groups_and_a_full_holdout_do_not_divide_by_zero(a: int, b: int) -> None:
    result = Comparison(a, b, 0, 0, [0.0] * a, [0.0] * b).as_json()
    assert result["conclusive"] is False and "no contacts" in str(result["why"])


def test_the_timeline_is_measured_per_campaign_and_per_variant() -> None:
    sent = [
        {"type": "email.sent", "campaign": "cart", "contact_id": f"c-{n}", "variant": "ab"[n % 2]} for n in range(8)
    ]
    held = [{"type": "email.held_out", "campaign": "cart", "contact_id": "c-h"}]
    paid = [{"type": "order.attributed", "campaign": "cart", "contact_id": "c-0", "revenue_reporting_minor": 5000}]
    found = measurement(sent + held + paid)["cart"]
    assert found["holdout"]["n"] == [8, 1] and found["holdout"]["revenue_per_contact"] == [6.25, 0.0]  # type: ignore[index]
    assert found["ab"]["variants"] == ["a", "b"] and found["ab"]["winner"] == "no winner yet"  # type: ignore[index]


def test_a_campaign_that_names_its_winner_sends_it_to_everyone() -> None:
    from winback.domain.sending import variant_for
    from winback.model.campaigns import EmailStep, default_campaigns

    subjects = {"fr": "x", "it": "x", "uk": "x"}
    variants = [
        {"name": "a", "subject": "A", "subjects": subjects},
        {"name": "b", "subject": "B", "subjects": subjects},
    ]
    testing = EmailStep(after_hours=1, variants=variants)
    decided = EmailStep(after_hours=1, variants=variants, winner="b")
    campaign = default_campaigns()[1]
    assert {variant_for(f"c-{n}", campaign, testing).name for n in range(50)} == {"a", "b"}  # type: ignore[union-attr]
    assert {variant_for(f"c-{n}", campaign, decided).name for n in range(50)} == {"b"}  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="winner 'c' is not one of the variants"):
        EmailStep(after_hours=1, variants=variants, winner="c")


def test_the_measurement_example_has_a_holdout_with_something_to_measure(tmp_path, capsys) -> None:
    from pathlib import Path

    from winback_local.cli import main

    scenario = Path(__file__).resolve().parents[1] / "examples" / "measurement" / "scenario.json"
    assert main(["simulate", str(scenario), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "uplift spring: 46% of 101 emailed paid, 18% of 49 held out; +27.2% [+11.2%, +40.0%], conclusive" in out
    from winback_local.report import build, from_simulation

    funnel = build(from_simulation(tmp_path))["funnel"]  # the flow read from each send's id
    assert funnel == {
        "unpaid_order": {
            "entered": 150,
            "emailed": 101,
            "clicked": 0,
            "paid": 46,
            "clicked_then_paid": 0,
            "held_out": 49,
        }
    }
