"""Email rendering with Jinja2: subject, HTML and plain text from `templates/`.

HTML is autoescaped, so a name with markup in it shows as text; a template that
names a missing variable raises instead of sending "Hello ,".
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape


def templates_dir() -> Path:
    """WINBACK_TEMPLATES, else /opt/templates (the Lambda layer), else the repo's."""
    configured = os.environ.get("WINBACK_TEMPLATES")
    if configured:
        return Path(configured)
    layer = Path("/opt/templates")
    if layer.is_dir():
        return layer
    return Path(__file__).resolve().parents[2] / "templates"


def money(amount: Decimal | str, currency: str, locale: str = "en") -> str:
    from babel.numbers import format_currency

    try:
        return str(format_currency(Decimal(amount), currency, locale=locale))
    except Exception:  # an unknown locale: fall back to English formatting
        return str(format_currency(Decimal(amount), currency, locale="en"))


@lru_cache(maxsize=4)
def _environment(root: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(root),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        keep_trailing_newline=False,
    )
    env.filters["money"] = money
    return env


@dataclass(frozen=True)
class Rendered:
    subject: str
    html: str
    text: str


def render(template: str, context: dict[str, Any]) -> Rendered:
    env = _environment(str(templates_dir()))
    subject = env.get_template(f"{template}/subject.txt").render(context)
    return Rendered(
        subject=" ".join(subject.split()),
        html=env.get_template(f"{template}/body.html").render(context),
        text=env.get_template(f"{template}/body.txt").render(context),
    )
