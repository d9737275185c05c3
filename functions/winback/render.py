"""Email rendering with Jinja2: subject, HTML and plain text from `templates/`.

Every email extends `_layout/base.html` / `base.txt` (the shop's header, footer and
unsubscribe link) and speaks the contact's locale through `t()`, `plural()`,
`money()`, `percent()` and `when()` (see i18n.py). HTML is autoescaped, so a name
with markup in it shows as text, and its CSS is inlined at render time because many
mail clients drop `<style>`. A template that names a missing variable raises
instead of sending "Hello ,".
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from winback.campaigns import Branding
from winback.i18n import Translator, resolve


def templates_dir() -> Path:
    """WINBACK_TEMPLATES (template.yaml sets /opt), else the templates layer if one is
    mounted at /opt, else the repository's templates/."""
    configured = os.environ.get("WINBACK_TEMPLATES")
    if configured:
        return Path(configured)
    layer = Path("/opt")  # a layer built from templates/ puts its content here
    if (layer / "locales").is_dir():
        return layer
    return Path(__file__).resolve().parents[2] / "templates"


@lru_cache(maxsize=4)
def _environment(root: str) -> Environment:
    return Environment(
        loader=FileSystemLoader(root),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        keep_trailing_newline=False,
    )


@lru_cache(maxsize=1)
def _inliner() -> Any:
    import css_inline

    # @media rules cannot be inlined: keep the <style> block for clients that read it.
    return css_inline.CSSInliner(keep_style_tags=True)


@dataclass(frozen=True)
class Rendered:
    subject: str
    html: str
    text: str


def render(
    template: str,
    context: dict[str, Any],
    *,
    locale: str | None = "en",
    timezone: str = "UTC",
    branding: Branding | None = None,
    unsubscribe_url: str = "#unsubscribe",
) -> Rendered:
    root = str(templates_dir())
    env = _environment(root)
    language = resolve(locale)
    speak = Translator(root, language, timezone)
    full = {
        **context,
        "locale": language,
        "brand": (branding or Branding()).model_dump(),
        "unsubscribe_url": unsubscribe_url,
        "t": speak.t,
        "plural": speak.plural,
        "money": speak.money,
        "percent": speak.percent,
        "when": speak.when,
    }
    subject = env.get_template(f"{template}/subject.txt").render(full)
    html = env.get_template(f"{template}/body.html").render(full)
    return Rendered(
        subject=" ".join(subject.split()),
        html=_inliner().inline(html),
        text=env.get_template(f"{template}/body.txt").render(full).strip() + "\n",
    )
