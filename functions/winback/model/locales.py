"""The languages winback's emails speak. Every text a shopper reads (templates, coupon
names, A/B subject lines) exists in each of them; `winback campaigns validate` and the
tests refuse anything that would fall back to English in a shopper's inbox."""

from __future__ import annotations

LOCALES = ("en", "fr", "it", "uk")
DEFAULT = "en"


def missing_translations(translations: dict[str, str]) -> list[str]:
    """The locales other than English a text given in English (`name`, `subject`) lacks in
    its `translations` (`names`, `subjects`)."""
    return [locale for locale in LOCALES if locale != DEFAULT and locale not in translations]
