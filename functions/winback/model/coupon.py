"""A campaign's coupon: what it takes off, in which currency, and the rounding.

Money is rounded to the currency's minor unit (ISO 4217 through Babel: EUR 2 decimals,
JPY 0, KWD 3), half up, once per order: the discount is computed on the order total,
then the price after it is the total minus that discount. JPY 1,999 with 15 % off is
a discount of ¥300 (299.85 rounded) and a price of ¥1,699. Configure the shop's coupon
as an order-level discount so the checkout charges the same. A discount never exceeds
the price: an amount-off coupon on a smaller order makes it free, not negative.

A fixed amount belongs to a currency: `amount_off: 10` with `currency: EUR`, or a table
`amount_off: {EUR: 10, USD: 11, JPY: 1500}`. An order in a currency the table lacks
gets no coupon (recorded as "coupon.skipped" with the reason "currency").
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from winback.model.locales import missing_translations
from winback.model.money import decimals, is_currency

CouponName = Annotated[str, StringConstraints(min_length=1, max_length=120)]


class Coupon(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    code: Annotated[str, StringConstraints(min_length=4, max_length=40, pattern=r"^[A-Z0-9][A-Z0-9_-]*$")]
    # The name shoppers read, in English, and in every other locale under `names`.
    # Without a name, the email names the offer itself ("10 % de réduction").
    name: CouponName | None = None
    names: dict[Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")], CouponName] = {}
    # True: each contact gets a unique code from the campaign's pool (`winback coupons
    # import|generate`); `code` then only names the coupon, it is never sent.
    pool: bool = False
    percent_off: Annotated[Decimal, Field(gt=0, le=100)] | None = None
    # Per currency, in major units: {"EUR": 10}. `amount_off: 10, currency: EUR` is read as that.
    amount_off: dict[str, Annotated[Decimal, Field(gt=0)]] | None = None
    free_shipping: bool = False

    @model_validator(mode="before")
    @classmethod
    def _amount_with_currency(cls, data: Any) -> Any:
        if not isinstance(data, dict) or ("currency" not in data and not _is_number(data.get("amount_off"))):
            return data
        data = dict(data)
        currency = data.pop("currency", None)
        amount = data.get("amount_off")
        if not _is_number(amount):
            raise ValueError("currency goes with a single amount_off (a table names its own currencies)")
        if not currency:
            raise ValueError(
                "amount_off needs its currency: `currency: EUR`, or a table such as amount_off: {EUR: 10, USD: 11}"
            )
        data["amount_off"] = {currency: amount}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Coupon:
        given = [self.percent_off is not None, self.amount_off is not None, self.free_shipping]
        if sum(given) != 1:
            raise ValueError("give exactly one of percent_off, amount_off or free_shipping: true")
        for currency, amount in (self.amount_off or {}).items():
            if not is_currency(currency):
                raise ValueError(f"amount_off: {currency!r} is not an ISO 4217 currency code")
            if -amount.as_tuple().exponent > decimals(currency):  # type: ignore[operator]
                raise ValueError(f"amount_off: {amount} {currency} has more decimals than {currency} has")
        if self.amount_off == {}:
            raise ValueError("amount_off: give at least one currency")
        if self.name is None and self.names:
            raise ValueError("names: give the English `name` too")
        if self.name is not None and (missing := missing_translations(self.names)):
            raise ValueError(
                f"names: the coupon name has no {', '.join(missing)} translation; give names for "
                "every locale, or leave out `name` and the email names the offer in each language"
            )
        return self

    def name_for(self, locale: str) -> str | None:
        """The coupon's name in `locale`, or None when the email should name the offer."""
        return self.names.get(locale, self.name)

    def applies_to(self, currency: str) -> bool:
        """A percentage or free shipping works in any currency; a fixed amount only in its own."""
        return self.amount_off is None or currency in self.amount_off

    def discount_on(self, price: Decimal, currency: str) -> Decimal:
        """The discount in money on `price` in `currency`, rounded to the currency's minor
        unit and never more than the price (free shipping takes nothing off the items).
        Zero when the coupon has no amount for this currency."""
        unit = Decimal(1).scaleb(-decimals(currency))
        if self.percent_off is not None:
            raw = price * self.percent_off / Decimal(100)
        elif self.amount_off is not None:
            raw = self.amount_off.get(currency, Decimal(0))
        else:
            raw = Decimal(0)
        return min(raw, price).quantize(unit, rounding=ROUND_HALF_UP)

    def describe(self) -> str:
        """ "15%", "10 EUR / 11 USD" or "free shipping" (emails format money per locale)."""
        if self.percent_off is not None:
            return f"{self.percent_off.normalize():f}%"
        if self.free_shipping:
            return "free shipping"
        return " / ".join(f"{amount:f} {currency}" for currency, amount in (self.amount_off or {}).items())


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal, str)) and not isinstance(value, bool)
