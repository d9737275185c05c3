"""`winback report`: the page a merchant reads, rendered in a real browser with its charts."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from winback_local.browser import ensure_chromium, screenshot
from winback_local.cli import main
from winback_local.report import build, page

ROOT = Path(__file__).resolve().parents[1]


def sample_timeline(seed: int = 7) -> list[dict]:
    """A month of two flows: 10 % held out, emailed contacts paying a little more often."""
    rng, entries = random.Random(seed), []
    for n in range(600):
        flow, campaign, template = (
            ("abandoned_cart", "abandoned-cart", "abandoned_cart")
            if n % 2
            else ("unpaid_order", "spring", "unpaid_order_coupon")
        )
        held = n % 10 == 0
        day = f"2026-03-{1 + n % 28:02d}"
        kind = "email.held_out" if held else "email.sent"
        entries.append(
            {
                "type": kind,
                "at": f"{day}T10:00:00Z",
                "campaign": campaign,
                "contact_id": f"c-{n}",
                "template": template,
                "flow": flow,
            }
        )
        if rng.random() < (0.10 if held else 0.22):
            entries.append(
                {
                    "type": "order.attributed",
                    "at": f"{day}T15:00:00Z",
                    "campaign": campaign,
                    "contact_id": f"c-{n}",
                    "flow": flow,
                    "held_out": held,
                    "outcome": "recovered",
                    "revenue_reporting_minor": 4900,
                }
            )
    return entries


def test_the_report_of_a_simulation_writes_html_json_and_csv(tmp_path: Path, capsys) -> None:
    out = tmp_path / "sim"
    out.mkdir()
    (out / "timeline.jsonl").write_text("\n".join(json.dumps(e) for e in sample_timeline()))
    assert main(["report", "--from", str(out), "--out", str(tmp_path / "r"), "--since", "2026-03-01"]) == 0
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert set(report["funnel"]) == {"abandoned_cart", "unpaid_order"}
    assert report["campaigns"]["spring"]["holdout"]["n"] == [240, 60]
    assert (tmp_path / "r" / "report.csv").read_text().startswith("campaign,emailed,held_out,uplift")
    assert (tmp_path / "r" / "report.html").read_text().count("<svg") == 3
    assert set(report["by_step"]) == {"abandoned_cart/None", "unpaid_order/None"}  # the sample gives no steps
    assert sum(row["orders"] for row in report["by_coupon"].values()) == sum(
        flow["paid"] for flow in report["funnel"].values()
    )


def test_empty_ranges_and_bad_input_are_said_not_crashed_on(tmp_path: Path, capsys) -> None:
    out = tmp_path / "sim"
    out.mkdir()
    (out / "timeline.jsonl").write_text("\n".join(json.dumps(e) for e in sample_timeline()))
    assert main(["report", "--from", str(out), "--out", str(tmp_path / "r"), "--since", "2027-01-01"]) == 0
    assert "nothing to measure" in capsys.readouterr().out
    assert main(["report", "--from", str(tmp_path / "nowhere"), "--out", str(tmp_path / "r")]) == 2
    assert main(["report", "--from", str(out), "--out", str(tmp_path / "r"), "--since", "March"]) == 2


def test_the_page_shows_its_charts_in_chromium(tmp_path: Path) -> None:
    binary, why = ensure_chromium()
    if not binary:
        pytest.skip(f"headless Chromium unavailable: {why}")
    from PIL import Image

    html = tmp_path / "report.html"
    html.write_text(page(build(sample_timeline())))
    png = screenshot(binary, html, 900, tmp_path / "report.png", height=1500)
    image = Image.open(png).convert("RGB")
    colours = colours_of(image)
    assert colours["green"] > 2_000 and colours["blue"] > 2_000, colours  # the bars and the interval marks drawn
    assert (ROOT / "docs" / "report.png").is_file()  # this page, as docs/measurement.md shows it


def colours_of(image) -> dict[str, int]:
    green = blue = 0
    for r, g, b in image.get_flattened_data():
        if g > 120 and r < 80 and b < 110:
            green += 1
        elif b > 180 and r < 170:
            blue += 1
    return {"green": green, "blue": blue}


def test_clicks_show_as_clicked_then_paid_beside_received_then_paid() -> None:
    entries = [
        {
            "type": "email.sent",
            "campaign": "spring",
            "contact_id": "c-1",
            "template": "unpaid_order_coupon",
            "flow": "unpaid_order",
        },
        {
            "type": "email.sent",
            "campaign": "spring",
            "contact_id": "c-2",
            "template": "unpaid_order_coupon",
            "flow": "unpaid_order",
        },
        {"type": "email.clicked", "send_id": "unpaid_order#o-1#coupon"},
        {
            "type": "order.attributed",
            "campaign": "spring",
            "contact_id": "c-1",
            "flow": "unpaid_order",
            "held_out": False,
            "outcome": "recovered",
            "clicked": True,
            "at": "2026-03-02",
        },
        {
            "type": "order.attributed",
            "campaign": "spring",
            "contact_id": "c-2",
            "flow": "unpaid_order",
            "held_out": False,
            "outcome": "recovered",
            "clicked": False,
            "at": "2026-03-02",
        },
    ]
    funnel = build(entries)["funnel"]["unpaid_order"]
    assert (funnel["emailed"], funnel["clicked"], funnel["paid"], funnel["clicked_then_paid"]) == (2, 1, 2, 1)
