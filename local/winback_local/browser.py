"""Headless Chromium for email previews: screenshots and a horizontal-overflow check.

    python -m winback_local.browser docs/     # refresh the README's screenshots

Uses Debian's `chromium`; `ensure_chromium()` installs it with apt-get when it is
missing and this process may (root), and otherwise says why it cannot.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--virtual-time-budget=3000",
]
# The email goes into an iframe of exactly the width asked for (headless windows do not
# lay out narrower than 500 px); srcdoc keeps it same-origin so the probe can read it.
_HOST = """<!DOCTYPE html><html><body style="margin:0">
<iframe id="email" style="width:WIDTHpx;height:HEIGHTpx;border:0" srcdoc="SRCDOC"></iframe>
<script>
document.getElementById('email').addEventListener('load', function () {
  var doc = this.contentDocument, win = this.contentWindow, wide = [];
  doc.querySelectorAll('body *').forEach(function (e) {
    var r = e.getBoundingClientRect();
    if (r.width && r.right > win.innerWidth + 0.5) { wide.push(e.tagName.toLowerCase() + '.' + e.className); }
  });
  document.body.setAttribute('data-overflow', JSON.stringify(
    {scrollWidth: doc.documentElement.scrollWidth, innerWidth: win.innerWidth, wide: wide.slice(0, 5)}));
});
</script></body></html>"""


def find_chromium() -> str | None:
    return next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)


def ensure_chromium() -> tuple[str | None, str]:
    """(path, "") when Chromium is there or could be installed, else (None, why not)."""
    found = find_chromium()
    if found:
        return found, ""
    if not shutil.which("apt-get"):
        return None, "chromium is not installed and there is no apt-get to install it"
    if os.geteuid() != 0:
        return None, "chromium is not installed and installing it needs root (apt-get install chromium)"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900, check=False)  # noqa: S603
        if done.returncode != 0:
            return None, f"{' '.join(command)} failed: {done.stderr.strip()[-300:]}"
    found = find_chromium()
    return (found, "") if found else (None, "apt-get installed chromium but no chromium binary is on PATH")


def _run(binary: str, args: list[str]) -> str:
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(  # noqa: S603
            [binary, *FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
    return done.stdout


def measure(binary: str, page: Path, width: int, height: int = 900) -> dict[str, Any]:
    """Lay the page out `width` CSS pixels wide; report its scroll width and what overflows."""
    srcdoc = html.escape(page.read_text(encoding="utf-8"), quote=True)
    host = _HOST.replace("WIDTH", str(width)).replace("HEIGHT", str(height)).replace("SRCDOC", srcdoc)
    with tempfile.TemporaryDirectory() as tmp:
        hosted = Path(tmp) / "host.html"
        hosted.write_text(host, encoding="utf-8")
        dom = _run(binary, [f"--window-size={max(width, 1024)},{height}", "--dump-dom", hosted.as_uri()])
    found = re.search(r'<body[^>]*data-overflow="([^"]*)"', dom)
    if not found:
        raise RuntimeError(f"the overflow probe did not run in {page.name}")
    return dict(json.loads(html.unescape(found.group(1))))


def screenshot(binary: str, page: Path, width: int, png: Path, height: int = 1100) -> Path:
    png.parent.mkdir(parents=True, exist_ok=True)
    _run(binary, [f"--window-size={width},{height}", f"--screenshot={png.resolve()}", page.resolve().as_uri()])
    return png


def main(out: str) -> int:
    """Render the French coupon email of the example campaigns at 375 and 1024 px."""
    from winback.model.campaigns import load_campaigns
    from winback_local.preview import preview
    from winback_local.template import ROOT

    binary, why = ensure_chromium()
    if not binary:
        print(f"no screenshots: {why}", file=sys.stderr)
        return 1
    campaign = load_campaigns(ROOT / "examples" / "campaigns.yaml")[0]
    offline = campaign.model_copy(update={"branding": campaign.branding.model_copy(update={"logo_url": None})})
    with tempfile.TemporaryDirectory() as tmp:
        page, _ = preview("unpaid_order_coupon", "fr", offline, Path(tmp))
        for width, height in ((375, 1150), (1024, 950)):
            print(screenshot(binary, page, width, Path(out) / f"unpaid_order_coupon.fr.{width}.png", height))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "docs"))
