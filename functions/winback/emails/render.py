"""Email rendering with Jinja2: subject, HTML and plain text from `templates/`.

Every email extends `_layout/base.html` / `base.txt` (the shop's header, footer and
unsubscribe link) and speaks the contact's locale through `t()`, `plural()`,
`money()`, `percent()` and `when()` (see i18n.py). HTML is autoescaped, so a name
with markup in it shows as text. The CSS of `_layout/styles.css` is inlined into the
HTML templates once, when they are loaded (inline_css.py), because many mail clients
drop `<style>`. A template that names a missing variable raises instead of sending
"Hello ,".
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import BaseLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape

from winback.emails import inline_css
from winback.emails.i18n import Translator, resolve
from winback.model.campaigns import Branding

STYLESHEET = "_layout/styles.css"


def templates_dir() -> Path:
    """WINBACK_TEMPLATES (template.yaml sets /opt), else the templates layer if one is
    mounted at /opt, else the repository's templates/."""
    configured = os.environ.get("WINBACK_TEMPLATES")
    if configured:
        return Path(configured)
    layer = Path("/opt")  # a layer built from templates/ puts its content here
    if (layer / "locales").is_dir():
        return layer
    return Path(__file__).resolve().parents[3] / "templates"


class _InliningLoader(FileSystemLoader):
    """Reads templates from `root`, with the stylesheet's rules inlined into each HTML one."""

    def __init__(self, root: str, *, inline: bool = True) -> None:
        super().__init__(root)
        self.inline = inline
        self._rules: list[inline_css.Rule] | None = None

    def get_source(self, environment: Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        source, filename, uptodate = super().get_source(environment, template)
        if self.inline and template.endswith(".html") and not template.startswith("_pages/"):
            if self._rules is None:
                self._rules = inline_css.parse(super().get_source(environment, STYLESHEET)[0])
            source = inline_css.inline(source, self._rules)
        return source, filename, uptodate


@lru_cache(maxsize=4)
def _environment(root: str, inline: bool = True) -> Environment:
    loader: BaseLoader = _InliningLoader(root, inline=inline)
    return Environment(
        loader=loader,
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        keep_trailing_newline=False,
        auto_reload=False,  # read once per process: the layer's files do not change under a function
    )


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
        "until": speak.until,
        "duration": speak.duration,
    }
    subject = env.get_template(f"{template}/subject.txt").render(full)
    html = env.get_template(f"{template}/body.html").render(full)
    return Rendered(
        subject=" ".join(subject.split()),
        html=html,
        text=env.get_template(f"{template}/body.txt").render(full).strip() + "\n",
    )


def page(name: str, context: dict[str, Any], locale: str | None = "en") -> str:
    """A web page of `templates/_pages/` (the unsubscribe page) in the visitor's language."""
    root = str(templates_dir())
    language = resolve(locale)
    speak = Translator(root, language)
    return _environment(root).get_template(f"_pages/{name}.html").render({**context, "locale": language, "t": speak.t})
