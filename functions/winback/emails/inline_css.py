"""CSS inlined into the HTML templates once, when Jinja loads them, not into each email.

Many mail clients drop `<style>`, so every rule of `_layout/styles.css` that can be
written as a `style` attribute is copied onto the elements it selects, in the template
source: Jinja expressions in the CSS (`{{ brand.primary_color }}`) land in the attribute
and are rendered with the email. The `<style>` block stays for the `@media` rules.

The selectors the stylesheet may use are the ones mail-safe layouts need: a tag, one or
more classes (`td.amount`, `.a.b`) and descendants of those (`.coupon td`). Anything
else (`:hover`, `>`, `[attr]`) is left to the `<style>` block. Declarations apply in
order of specificity, then of source; an element's own `style` attribute wins. The
ancestors of an element are those of its own template file (a block's content sits
inside the layout's elements, which the stylesheet does not select on).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_SIMPLE = re.compile(r"^(?P<tag>[a-z][a-z0-9]*)?(?P<classes>(?:\.[A-Za-z_][\w-]*)*)$")


@dataclass(frozen=True)
class _Part:
    tag: str | None
    classes: frozenset[str]

    def matches(self, tag: str, classes: set[str]) -> bool:
        return (self.tag is None or self.tag == tag) and self.classes <= classes


@dataclass(frozen=True)
class Rule:
    parts: tuple[_Part, ...]  # ancestors first, the element itself last
    specificity: tuple[int, int]
    order: int
    declarations: tuple[tuple[str, str], ...]


def _top_level_blocks(css: str) -> list[tuple[str, str]]:
    """(prelude, body) of each top-level block; at-rules (`@media`) are skipped."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    blocks, depth, start, prelude = [], 0, 0, ""
    for i, char in enumerate(css):
        if char == "{":
            if depth == 0:
                prelude, start = css[start:i].strip(), i + 1
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                if not prelude.startswith("@"):
                    blocks.append((prelude, css[start:i]))
                start = i + 1
    return blocks


def _part(text: str) -> _Part | None:
    found = _SIMPLE.match(text)
    if not found or not text:
        return None
    classes = frozenset(c for c in found["classes"].split(".") if c)
    return _Part(found["tag"], classes)


def parse(css: str) -> list[Rule]:
    rules: list[Rule] = []
    for prelude, body in _top_level_blocks(css):
        declarations = tuple(
            (name.strip().lower(), value.strip())
            for name, _, value in (d.partition(":") for d in body.split(";"))
            if name.strip() and value.strip() and "!important" not in value
        )
        for selector in prelude.split(","):
            parts = [_part(p) for p in selector.split()]
            if not parts or any(p is None for p in parts):
                continue  # not inlinable: stays in <style> only
            kept = tuple(p for p in parts if p is not None)
            specificity = (sum(len(p.classes) for p in kept), sum(p.tag is not None for p in kept))
            rules.append(Rule(kept, specificity, len(rules), declarations))
    return sorted(rules, key=lambda r: (r.specificity, r.order))


def _selects(rule: Rule, stack: list[tuple[str, set[str]]], tag: str, classes: set[str]) -> bool:
    *ancestors, last = rule.parts
    if not last.matches(tag, classes):
        return False
    i = len(stack)
    for part in reversed(ancestors):
        while i > 0 and not part.matches(*stack[i - 1]):
            i -= 1
        if i == 0:
            return False
        i -= 1
    return True


def _style_text(declarations: dict[str, str]) -> str:
    return "; ".join(f"{name}: {value}" for name, value in declarations.items()) + ";"


class _Inliner(HTMLParser):
    def __init__(self, source: str, rules: list[Rule]) -> None:
        super().__init__(convert_charrefs=False)
        self.rules = rules
        self.lines = source.splitlines(keepends=True)
        self.offsets = [0]
        for line in self.lines:
            self.offsets.append(self.offsets[-1] + len(line))
        self.stack: list[tuple[str, set[str]]] = []
        self.edits: list[tuple[int, int, str]] = []

    def _position(self) -> int:
        line, column = self.getpos()
        return self.offsets[line - 1] + column

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._element(tag, attrs, closed=tag in VOID)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._element(tag, attrs, closed=True)

    def _element(self, tag: str, attrs: list[tuple[str, str | None]], *, closed: bool) -> None:
        values = dict(attrs)
        classes = set((values.get("class") or "").split())
        if tag not in ("html", "head", "style", "meta", "title", "link"):
            declarations: dict[str, str] = {}
            for rule in self.rules:
                if _selects(rule, self.stack, tag, classes):
                    declarations.update(rule.declarations)
            if declarations:
                self._rewrite(tag, values.get("style"), declarations)
        if not closed:
            self.stack.append((tag, classes))

    def _rewrite(self, tag: str, own: str | None, declarations: dict[str, str]) -> None:
        start = self._position()
        text = self.get_starttag_text() or ""
        if own is not None:
            for name, _, value in (d.partition(":") for d in own.split(";")):
                if name.strip() and value.strip():
                    declarations[name.strip().lower()] = value.strip()
            text = re.sub(r"""\sstyle\s*=\s*(".*?"|'.*?')""", "", text, count=1, flags=re.S)
        close = len(text) - (2 if text.endswith("/>") else 1)
        rewritten = f'{text[:close].rstrip()} style="{_style_text(declarations)}"{text[close:]}'
        self.edits.append((start, start + len(self.get_starttag_text() or ""), rewritten))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def result(self) -> str:
        source = "".join(self.lines)
        for start, end, text in sorted(self.edits, reverse=True):
            source = source[:start] + text + source[end:]
        return source


def inline(source: str, rules: list[Rule]) -> str:
    """The template source with the stylesheet's inlinable rules as `style` attributes."""
    inliner = _Inliner(source, rules)
    inliner.feed(source)
    inliner.close()
    return inliner.result()
