"""Email previews in headless Chromium: readable at 375 px and at 1024 px, no sideways scrolling."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from winback.emails.i18n import SUPPORTED
from winback.model.campaigns import load_campaigns
from winback_local.browser import ensure_chromium, measure, screenshot
from winback_local.preview import PREVIEWS, preview

ROOT = Path(__file__).resolve().parents[1]
WIDTHS = (375, 1024)


@pytest.fixture(scope="module")
def chromium() -> str:
    binary, why = ensure_chromium()  # installs Debian's chromium when missing and allowed
    if not binary:
        pytest.skip(f"headless Chromium unavailable: {why}")
    return binary


@pytest.fixture(scope="module")
def campaign():
    first = load_campaigns(ROOT / "examples" / "campaigns.yaml")[0]
    # No network here: a logo URL would only show its alt text.
    return first.model_copy(update={"branding": first.branding.model_copy(update={"logo_url": None})})


@pytest.mark.parametrize("template", sorted(PREVIEWS))
@pytest.mark.parametrize("locale", SUPPORTED)
def test_nothing_overflows_horizontally_on_a_phone_or_a_desktop(chromium, campaign, template, locale, tmp_path):
    page, _ = preview(template, locale, campaign, tmp_path)
    for width in WIDTHS:
        layout = measure(chromium, page, width)
        assert layout["innerWidth"] == width
        assert layout["scrollWidth"] <= width and layout["wide"] == [], f"{locale} at {width}px: {layout}"


def test_the_overflow_check_catches_a_too_wide_element(chromium, campaign, tmp_path):
    page, _ = preview("unpaid_order_coupon", "en", campaign, tmp_path)
    page.write_text(
        page.read_text().replace("</body>", '<table style="width:600px"><tr><td>x</td></tr></table></body>')
    )
    layout = measure(chromium, page, 375)
    assert layout["scrollWidth"] == 600 and "table." in layout["wide"]


def test_screenshots_at_both_widths(chromium, campaign, tmp_path):
    page, _ = preview("unpaid_order_coupon", "fr", campaign, tmp_path)
    for width in WIDTHS:
        png = screenshot(chromium, page, width, tmp_path / f"{width}.png", height=900)
        header = png.read_bytes()[:24]
        assert header[:8] == b"\x89PNG\r\n\x1a\n"
        assert struct.unpack(">II", header[16:24]) == (width, 900)
