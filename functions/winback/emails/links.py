"""Google Analytics tags on the links of an email.

Every http(s) link the shopper can follow (an `href` in the HTML part, a URL in the text
part) gets utm_source, utm_medium, utm_campaign and utm_content, unless it carries that
tag already (the merchant's own wins). The rest of the query and the fragment are kept,
so restore-cart, pay, order and coupon links work as before. Images and the unsubscribe
link are left alone.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_HREF = re.compile(r'href="(https?://[^"]+)"')
_TEXT_URL = re.compile(r"https?://[^\s<>\"']+")


def tag(url: str, tags: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    present = {key for key, _ in query}
    query += [(key, value) for key, value in tags.items() if key not in present]
    return urlunsplit(parts._replace(query=urlencode(query)))


def tag_email(html: str, text: str, tags: dict[str, str], keep: str = "") -> tuple[str, str]:
    """The HTML and text parts with every link tagged, except `keep` (the unsubscribe URL)."""
    import html as markup

    def in_html(found: re.Match[str]) -> str:
        url = markup.unescape(found[1])
        return found[0] if url == keep else f'href="{markup.escape(tag(url, tags))}"'

    def in_text(found: re.Match[str]) -> str:
        url = found[0].rstrip(".,;:!?)")  # a sentence's full stop is not part of the link
        return found[0] if url == keep else tag(url, tags) + found[0][len(url) :]

    return _HREF.sub(in_html, html), _TEXT_URL.sub(in_text, text)
