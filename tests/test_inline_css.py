"""winback inlines its email CSS itself (css-inline has no wheel for Lambda on arm64):
every element of every email gets the same styles as css-inline gives it."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from winback.emails import inline_css, render
from winback.emails.i18n import SUPPORTED
from winback.model.campaigns import default_campaigns
from winback_local.preview import PREVIEWS

css_inline = pytest.importorskip("css_inline", reason="the reference inliner has no wheel for this platform")


class _Styles(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        style = dict(attrs).get("style") or ""
        pairs = (d.partition(":") for d in style.split(";"))
        self.found.append((tag, {k.strip(): " ".join(v.split()) for k, _, v in pairs if k.strip()}))


def _styles(html: str) -> list[tuple[str, dict[str, str]]]:
    parser = _Styles()
    parser.feed(html)
    skipped = ("html", "head", "meta", "title", "style", "tbody")  # html5ever adds the tbody
    return [(tag, style) for tag, style in parser.found if tag not in skipped]


@pytest.mark.parametrize("locale", SUPPORTED)
@pytest.mark.parametrize("template", sorted(PREVIEWS))
def test_every_element_gets_the_styles_css_inline_would_give_it(
    template: str, locale: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    campaign = default_campaigns()[0]
    ours = PREVIEWS[template](locale, campaign)[1].html
    loaded = render._environment
    monkeypatch.setattr(render, "_environment", lambda root: loaded(root, inline=False))
    plain = PREVIEWS[template](locale, campaign)[1].html
    assert plain != ours
    reference = css_inline.CSSInliner(keep_style_tags=True).inline(plain)
    assert _styles(ours) == _styles(reference)
    assert "@media only screen" in ours  # the phone rules stay for clients that read <style>


def test_an_elements_own_style_wins_and_unsupported_selectors_stay_in_style_only() -> None:
    rules = inline_css.parse(".a { color: red; padding: 1px } .a:hover { color: blue } p .a { margin: 0 }")
    page = inline_css.inline('<p><span class="a" style="color: green">x</span></p><span class="a">y</span>', rules)
    assert page == (
        '<p><span class="a" style="color: green; padding: 1px; margin: 0;">x</span></p>'
        '<span class="a" style="color: red; padding: 1px;">y</span>'
    )
