"""Translations, money and dates for the emails, per locale.

Messages live in `templates/locales/<locale>.yaml`, one file per language, shipped
with the templates. Per-locale message files rather than gettext catalogs: there is
no compile step between the repository and the Lambda layer, and a marketer edits one
readable file per language. Plurals are keyed by CLDR category (one, few, many,
other) and chosen with Babel's plural rules, which Ukrainian needs. Money and dates
are formatted by Babel for the locale; an unknown locale falls back to English.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from babel import Locale
from babel.dates import format_datetime
from babel.numbers import format_currency, format_percent

from winback.model.locales import DEFAULT, LOCALES

SUPPORTED = LOCALES
FALLBACK = DEFAULT
HOURS_BEFORE_DAYS = 48
# The first of the month is an ordinal where the language says so: "1er mars".
ORDINAL_FIRST = {"fr": "er"}
# Days whose number starts with a vowel sound, so the article before it elides:
# "all’1, all’8, all’11 marzo" but "al 3 marzo".
ELIDING_DAYS = {"it": (1, 8, 11)}


class MissingMessage(KeyError):
    """A message id that no catalog, not even English, defines: a template bug."""


def resolve(locale: str | None) -> str:
    language = (locale or FALLBACK).replace("_", "-").split("-")[0].lower()
    return language if language in SUPPORTED else FALLBACK


@lru_cache(maxsize=16)
def catalog(root: str, locale: str) -> dict[str, Any]:
    path = Path(root) / "locales" / f"{locale}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return _flatten(data)


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and not set(value) <= {"zero", "one", "two", "few", "many", "other"}:
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


@dataclass(frozen=True)
class Translator:
    """Everything a template needs to speak one locale in one time zone."""

    root: str
    locale: str
    timezone: str = "UTC"

    def _message(self, key: str) -> Any:
        for locale in (self.locale, FALLBACK):
            found = catalog(self.root, locale).get(key)
            if found is not None:
                return found
        raise MissingMessage(f"no message {key!r} in {self.locale} or {FALLBACK}")

    def t(self, key: str, **values: Any) -> str:
        message = self._message(key)
        if isinstance(message, dict):
            raise MissingMessage(f"{key!r} is a plural message: use plural()")
        return str(message).format(**values)

    def plural(self, key: str, n: int, **values: Any) -> str:
        forms = self._message(key)
        category = Locale.parse(self.locale).plural_form(n)
        form = forms.get(category, forms.get("other"))
        return str(form).format(n=n, **values)

    def money(self, amount: Decimal | str | int, currency: str) -> str:
        return str(format_currency(Decimal(str(amount)), currency, locale=self.locale))

    def percent(self, value: Decimal | int | str) -> str:
        """15 -> "15%" in en, "15 %" in fr and uk."""
        return str(format_percent(Decimal(str(value)) / 100, locale=self.locale, decimal_quantization=False))

    def duration(self, hours: int) -> str:
        """A validity in its natural unit: hours under 48 ("24 heures"), whole days from
        there on ("7 jours" for 168); a count of hours that is not whole days stays in hours."""
        if hours >= HOURS_BEFORE_DAYS and hours % 24 == 0:
            return self.plural("days", hours // 24)
        return self.plural("hours", hours)

    def when(self, moment: datetime) -> str:
        """A date and time in the contact's zone, e.g. "1er mars 2026, 10:30 (UTC+1)"."""
        zone = ZoneInfo(self.timezone)
        day = ORDINAL_FIRST.get(self.locale) if moment.astimezone(zone).day == 1 else None
        pattern = f"d'{day}' MMMM y, HH:mm" if day else "d MMMM y, HH:mm"
        text = format_datetime(moment, pattern, tzinfo=zone, locale=self.locale)
        offset = format_datetime(moment, "ZZZZ", tzinfo=zone, locale="en").replace("GMT", "UTC")
        return f"{text} ({'UTC' if offset in ('UTC', 'UTC+00:00') else offset})"

    def until(self, moment: datetime) -> str:
        """ "until 1 March 2026, 10:30 (UTC+1)" with the preposition the date needs:
        Italian elides it before a vowel ("fino all’8 marzo", "fino al 3 marzo")."""
        day = moment.astimezone(ZoneInfo(self.timezone)).day
        elided = day in ELIDING_DAYS.get(self.locale, ())
        return self.t("common.until_elided" if elided else "common.until", date=self.when(moment))
