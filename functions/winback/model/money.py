"""Amounts in minor units, and the shop's reporting currency.

Every currency has its own number of decimals (ISO 4217, through Babel's CLDR data):
EUR 2, JPY 0, KWD 3. Amounts that are added up or compared across orders (revenue,
average order value) are integers in the minor units of the reporting currency.

The reporting currency is the stack's `ReportingCurrency` parameter (default EUR).
Orders in another currency are converted with the rates of the `ExchangeRates`
parameter, "USD=0.92,GBP=1.17" (one unit of that currency in the reporting currency),
rates the merchant sets and updates, e.g. monthly: winback fetches none. An order in a
currency without a rate still counts as an order; its amount is left out of revenue.
"""

from __future__ import annotations

import os
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache


@lru_cache(maxsize=64)
def decimals(currency: str) -> int:
    from babel.numbers import get_currency_precision

    return int(get_currency_precision(currency))


def to_minor(amount: Decimal, currency: str) -> int:
    """49.90 EUR -> 4990; 1999 JPY -> 1999; 1.234 KWD -> 1234."""
    return int((amount * (10 ** decimals(currency))).to_integral_value(rounding=ROUND_HALF_UP))


def from_minor(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-decimals(currency))


def reporting_currency() -> str:
    return os.environ.get("REPORTING_CURRENCY", "EUR") or "EUR"


@lru_cache(maxsize=4)
def _rates(spec: str) -> dict[str, Decimal]:
    rates: dict[str, Decimal] = {}
    for pair in filter(None, (p.strip() for p in spec.split(","))):
        currency, _, rate = pair.partition("=")
        rates[currency.strip().upper()] = Decimal(rate.strip())
    return rates


def in_reporting_minor(amount: Decimal, currency: str) -> int | None:
    """`amount` of `currency` in minor units of the reporting currency, or None when no
    rate is set for it."""
    target = reporting_currency()
    if currency == target:
        return to_minor(amount, target)
    rate = _rates(os.environ.get("EXCHANGE_RATES", "")).get(currency)
    if rate is None:
        return None
    return to_minor(amount * rate, target)


def is_currency(code: str) -> bool:
    """An ISO 4217 code Babel knows ("EUR"; not "eur" nor "EURO")."""
    return code in _currencies()


@lru_cache(maxsize=1)
def _currencies() -> frozenset[str]:
    from babel.numbers import list_currencies

    return frozenset(list_currencies())
