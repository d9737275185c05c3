"""The README's examples of amounts, dates and durations, generated from the code that
renders the emails, so the README never shows what the emails do not say.

`python -m winback_local.readme` rewrites the block between the markers in README.md;
tests/test_docs.py fails when the block and the code disagree.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from winback.emails.i18n import SUPPORTED, Translator
from winback.emails.render import templates_dir
from winback.model.coupon import Coupon

BEGIN = "<!-- BEGIN generated: python -m winback_local.readme -->"
END = "<!-- END generated -->"
README = Path(__file__).resolve().parents[2] / "README.md"


def locale_examples() -> str:
    """One row per locale: a discount in three currencies, a validity, a date."""
    coupon = Coupon(code="SAVE15", percent_off=Decimal(15))
    prices = (("EUR", Decimal("89.90")), ("JPY", Decimal("1999")), ("KWD", Decimal("27.450")))
    rows = [
        "| locale | 15 % off 89.90 EUR | 15 % off 1,999 JPY | 15 % off 27.450 KWD | valid 24 h / 168 h | until |",
        "|---|---|---|---|---|---|",
    ]
    for locale in SUPPORTED:
        speak = Translator(str(templates_dir()), locale, "Europe/Paris")
        cells = [f"{speak.money(price - coupon.discount_on(price, currency), currency)}" for currency, price in prices]
        until = speak.until(datetime(2026, 3, 1, 9, 30, tzinfo=UTC))
        rows.append(f"| {locale} | {' | '.join(cells)} | {speak.duration(24)} / {speak.duration(168)} | {until} |")
    return "\n".join(rows).replace("\xa0", " ").replace("\u202f", " ")


def block() -> str:
    return f"{BEGIN}\n{locale_examples()}\n{END}"


def current(text: str) -> str:
    start, end = text.index(BEGIN), text.index(END) + len(END)
    return text[start:end]


def main() -> int:
    text = README.read_text(encoding="utf-8")
    README.write_text(text.replace(current(text), block()), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
