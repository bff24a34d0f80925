"""HTML read with lxml (libxml2's HTML parser, as Mastodon's Nokogiri): a page's `<head>`
tags for its link preview card, and the links of a post's HTML. No rule here: which link
gets a card and what the tags make of it are core/cards'.

The parser never touches the network (no DTDs, no entities fetched), refuses huge trees
(libxml2's own limits), and gets at most what the client read (1 MiB: core/cards
`PAGE_LIMIT`). The charset is the one the server named when it is one Python knows, else the
page's own `<meta charset>` as libxml2 reads it.
"""

from __future__ import annotations

import codecs
from typing import Any

from lxml import etree, html

from bocage.core.cards.extract import OEMBED_TYPES, PageMeta
from bocage.core.cards.links import Anchor

MAX_SCRIPTS = 10  # JSON-LD blocks read of one page
MAX_SCRIPT_CHARS = 200_000


def page_meta(body: bytes, charset: str | None = None) -> PageMeta:
    """The tags of a page a card is made from (an empty `PageMeta` for what is no HTML)."""
    document = _document(body, charset)
    if document is None:
        return PageMeta()
    meta: dict[str, str] = {}
    for element in document.iter("meta"):
        content = element.get("content")
        if content is None:
            continue
        for key in (element.get("property"), element.get("name")):
            if key:
                for name in key.lower().split():
                    meta.setdefault(name, content)
    links: dict[str, str] = {}
    oembed = None
    for element in document.iter("link"):
        href = element.get("href")
        if not href:
            continue
        kind = (element.get("type") or "").strip().lower()
        if oembed is None and kind in OEMBED_TYPES:
            oembed = href
        for rel in (element.get("rel") or "").lower().split():
            links.setdefault(rel, href)
    title = next((_text(element) for element in document.iter("title")), None)
    scripts = tuple(
        _text(element)[:MAX_SCRIPT_CHARS]
        for element in document.iter("script")
        if (element.get("type") or "").strip().lower() == "application/ld+json"
    )[:MAX_SCRIPTS]
    root = document.getroot() if hasattr(document, "getroot") else document
    lang = root.get("lang") if root is not None and root.tag == "html" else None
    return PageMeta(meta=meta, links=links, oembed=oembed, title=title, lang=lang, json_ld=scripts)


def anchors(content: str) -> list[Anchor]:
    """The links of a post's HTML, in order."""
    if not content or "<a" not in content:
        return []
    try:
        fragment = html.fragment_fromstring(content, create_parent="div", parser=_PARSER)
    except (etree.ParserError, ValueError):
        return []
    return [
        Anchor(element.get("href") or "", element.get("rel") or "", element.get("class") or "")
        for element in fragment.iter("a")
        if element.get("href")
    ]


_PARSER = html.HTMLParser(no_network=True, remove_comments=True, remove_pis=True)


def _document(body: bytes, charset: str | None) -> Any:
    if not body.strip():
        return None
    encoding = _known(charset)
    parser = (
        html.HTMLParser(encoding=encoding, no_network=True, remove_comments=True, remove_pis=True)
        if encoding
        else _PARSER
    )
    try:
        return html.document_fromstring(body, parser=parser)
    except (etree.ParserError, ValueError, LookupError):
        return None


def _known(charset: str | None) -> str | None:
    if not charset:
        return None
    try:
        return codecs.lookup(charset.strip().strip('"')).name
    except LookupError:
        return None


def _text(element: Any) -> str:
    return "".join(element.itertext())


class LxmlHtml:
    """The HTML reader the services are given (services/ports.py `HtmlReader`)."""

    def page_meta(self, body: bytes, charset: str | None = None) -> PageMeta:
        return page_meta(body, charset)

    def anchors(self, content: str) -> list[Anchor]:
        return anchors(content)
