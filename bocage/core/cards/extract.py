"""What a page says a card is, as Mastodon's LinkDetailsExtractor reads it: JSON-LD first (a
`NewsArticle`, `Article` or `WebPage`), then OpenGraph, then Twitter card tags, then the
`<title>` and `<meta name="description">`; a Twitter player makes it a `video` card whose
HTML is an iframe. An oEmbed document (found through the page's discovery link) wins over
all that when it gives a `link`, `photo` or `video` card; a `rich` one is refused (its HTML
is a script, which is never shown here) and the page's own tags are read instead.

The page itself is parsed by the adapter (adapters/html_meta.py), which hands over a
`PageMeta`: the raw values, unjudged. Every URL a page gives is resolved against the page's
own and must be http(s); the canonical URL only counts on the page's own host (a page may
not name another site's URL as its card's).
"""

from __future__ import annotations

import html as markup
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import nh3

from bocage.core.cards.links import normalized

TITLE_MAX = 2000  # characters kept of a title, a description or a name (a page may be junk)
TEXT_MAX = 5000
STRUCTURED_TYPES = ("NewsArticle", "Article", "BlogPosting", "WebPage")
OEMBED_TYPES = ("application/json+oembed", "text/json+oembed")
CDATA_JUNK = re.compile(
    r"^\s*(/\*\s*<!\[CDATA\[\s*\*/|//\s*<!\[CDATA\[|/\*\s*\]\]>\s*\*/|//\s*\]\]>)\s*$",
    re.MULTILINE,
)
# Mastodon's MASTODON_OEMBED sanitizer: an embedded player is an iframe, sandboxed.
SANDBOX = "allow-scripts allow-same-origin allow-popups allow-popups-to-escape-sandbox allow-forms"
_PLAYER_CLEANER = nh3.Cleaner(
    tags={"iframe", "audio", "video", "source", "embed"},
    attributes={
        "iframe": {"allowfullscreen", "frameborder", "height", "scrolling", "src", "width"},
        "audio": {"controls"},
        "video": {"controls", "height", "loop", "width"},
        "source": {"src", "type"},
        "embed": {"height", "src", "type", "width"},
    },
    url_schemes={"http", "https"},
    link_rel=None,
    set_tag_attribute_values={"iframe": {"sandbox": SANDBOX}},
)


@dataclass(frozen=True)
class PageMeta:
    """What the adapter found in a page, unjudged: the first `content` of each `<meta>`
    by its `property` or `name` (keys lower-cased), the first `href` of each `<link>` by its
    `rel` (lower-cased), the oEmbed discovery link (JSON only), the `<title>`, the `lang` of
    `<html>`, and the text of each `<script type="application/ld+json">`."""

    meta: dict[str, str] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)
    oembed: str | None = None
    title: str | None = None
    lang: str | None = None
    json_ld: tuple[str, ...] = ()


@dataclass(frozen=True)
class CardDraft:
    """A card as a page (or its oEmbed document) describes it, before its image is fetched:
    `image_url` is where the image is, to be copied here."""

    url: str
    type: str = "link"
    title: str = ""
    description: str = ""
    author_name: str = ""
    author_url: str = ""
    provider_name: str = ""
    provider_url: str = ""
    html: str = ""
    width: int = 0
    height: int = 0
    embed_url: str = ""
    language: str | None = None
    published_at: datetime | None = None
    image_url: str | None = None
    image_description: str = ""
    creator: str | None = None  # `fediverse:creator`: the handle the page names as its author


@dataclass(frozen=True)
class NoCard:
    """Why a page gives no card (logged)."""

    reason: str


Verdict = CardDraft | NoCard


def from_page(meta: PageMeta, page_url: str) -> Verdict:
    """The card a page's own tags describe (its OpenGraph, Twitter card, JSON-LD, title)."""
    ld = _structured(meta.json_ld)
    tag = meta.meta.get
    player = _url(tag("twitter:player"), page_url)
    width, height = _int(tag("twitter:player:width")), _int(tag("twitter:player:height"))
    player_html = ""
    if player:
        player_html = sanitized_player(
            f'<iframe src="{markup.escape(player)}" width="{width}" height="{height}" '
            'allowfullscreen="true" scrolling="no" frameborder="0"></iframe>'
        )
    title = _text(
        _first(
            ld.get("headline"), ld.get("name"), tag("og:title"), tag("twitter:title"), meta.title
        )
    )
    if not title and not player_html:
        return NoCard("the page has no title")
    image = _first(
        tag("og:image"), tag("og:image:url"), tag("og:image:secure_url"), tag("twitter:image"),
        tag("twitter:image:src"), _ld_image(ld.get("image")),
    )  # fmt: skip
    author = _first_of(ld.get("author"))
    publisher = _first_of(ld.get("publisher"))
    return CardDraft(
        url=_canonical(meta, page_url),
        type="video" if player else "link",
        title=title[:TITLE_MAX],
        description=_text(
            _first(
                ld.get("description"),
                tag("og:description"),
                tag("twitter:description"),
                tag("description"),
            )
        )[:TEXT_MAX],
        author_name=_text(
            _first(_name(author), tag("og:author"), tag("og:author:username"), tag("author"))
        )[:TITLE_MAX],
        author_url=_url(author.get("url") if isinstance(author, dict) else None, page_url),
        provider_name=_text(_first(_name(publisher), tag("og:site_name")))[:TITLE_MAX],
        provider_url=_url(_host_url(tag("og:site")), page_url),
        html=player_html,
        width=width if player else 0,
        height=height if player else 0,
        embed_url=_url(tag("twitter:player:stream"), page_url),
        language=language_of(_first(ld.get("inLanguage"), tag("og:locale"), meta.lang)),
        published_at=_date(_first(ld.get("datePublished"), tag("article:published_time"))),
        image_url=_url(image, page_url) or None,
        image_description=_text(_first(tag("og:image:alt"), tag("twitter:image:alt")))[:TEXT_MAX],
        creator=_handle(tag("fediverse:creator")),
    )


def oembed_endpoint(meta: PageMeta, page_url: str) -> str | None:
    """Where the page says its oEmbed document is (JSON only), resolved; None if nowhere."""
    return _url(meta.oembed, page_url) or None


def from_oembed(document: Any, page_url: str, endpoint: str) -> Verdict:
    """The card an oEmbed document describes (oembed.com §2.3), URLs in it resolved against
    its endpoint, as Mastodon's FetchLinkCardService takes one."""
    if not isinstance(document, dict):
        return NoCard("the oEmbed answer is no JSON object")
    kind = document.get("type")
    common: dict[str, Any] = {
        "url": page_url,
        "title": _text(_str(document.get("title")))[:TITLE_MAX],
        "author_name": _text(_str(document.get("author_name")))[:TITLE_MAX],
        "author_url": _url(_str(document.get("author_url")), endpoint),
        "provider_name": _text(_str(document.get("provider_name")))[:TITLE_MAX],
        "provider_url": _url(_str(document.get("provider_url")), endpoint),
    }
    thumbnail = _url(_str(document.get("thumbnail_url")), endpoint) or None
    width, height = _int(document.get("width")), _int(document.get("height"))
    if kind == "link":
        return CardDraft(type="link", image_url=thumbnail, **common)
    if kind == "photo":
        photo = _url(_str(document.get("url")), endpoint)
        if not photo:
            return NoCard("an oEmbed photo without its url")
        return CardDraft(
            type="photo", embed_url=photo, image_url=photo, width=width, height=height, **common
        )
    if kind == "video":
        player = sanitized_player(_str(document.get("html")) or "")
        if not player:
            return NoCard("an oEmbed video without a player")
        return CardDraft(
            type="video", html=player, image_url=thumbnail, width=width, height=height, **common
        )
    if kind == "rich":
        return NoCard("an oEmbed rich card (its HTML is a script)")
    return NoCard(f"an oEmbed document of no known type ({str(kind)[:40]})")


def sanitized_player(given: str) -> str:
    """An embedded player's markup, reduced to a sandboxed iframe (or audio/video) with
    http(s) sources; empty when nothing of it may be shown."""
    cleaned = _PLAYER_CLEANER.clean(given).strip()
    return cleaned if "<" in cleaned else ""


def language_of(value: str | None) -> str | None:
    """`en_US`, `en-GB`, `EN` → `en`; None for what is no language code."""
    if not value:
        return None
    primary = re.split(r"[_-]", value.strip(), maxsplit=1)[0].lower()
    return primary if re.fullmatch(r"[a-z]{2,3}", primary) else None


# --- helpers ------------------------------------------------------------------------------


def _structured(scripts: tuple[str, ...]) -> dict[str, Any]:
    """The first JSON-LD object of a supported type (in an array or an `@graph` too); pages
    often carry several, some of them broken: those are passed over."""
    for script in scripts:
        text = CDATA_JUNK.sub("", script).strip()
        if not text:
            continue
        try:
            data = json.loads(text)
        except ValueError:
            continue
        for item in _items(data):
            kinds = item.get("@type")
            kinds = kinds if isinstance(kinds, list) else [kinds]
            if any(kind in STRUCTURED_TYPES for kind in kinds):
                return item
    return {}


def _items(data: Any) -> list[dict[str, Any]]:
    roots = data if isinstance(data, list) else [data]
    found: list[dict[str, Any]] = []
    for root in roots:
        if isinstance(root, dict):
            found.append(root)
            graph = root.get("@graph")
            if isinstance(graph, list):
                found.extend(item for item in graph if isinstance(item, dict))
    return found


def _first_of(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def _name(value: Any) -> str | None:
    if isinstance(value, dict):
        return _str(value.get("name"))
    return _str(value)


def _ld_image(value: Any) -> str | None:
    value = _first_of(value)
    if isinstance(value, dict):
        return _str(value.get("url"))
    return _str(value)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _first(*values: Any) -> str | None:
    """The first value that is a string with something in it."""
    for value in values:
        if isinstance(value, str) and value.strip():
            return value
    return None


def _text(value: str | None) -> str:
    """Plain text: entities decoded (JSON-LD often carries them), whitespace folded."""
    if not value:
        return ""
    return " ".join(markup.unescape(value).split())


def _int(value: Any) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        return 0
    return number if 0 <= number <= 100_000 else 0


def _url(value: str | None, base: str, *, same_host: bool = False) -> str:
    """`value` resolved against `base`, if it is an http(s) URL with a host; else empty."""
    if not value or value.strip() in ("", "null"):
        return ""
    try:
        resolved = normalized(urljoin(base, value.strip()))
        host = urlsplit(resolved).hostname if resolved else None
    except ValueError:
        return ""
    if resolved is None or not host:
        return ""
    if same_host and host != urlsplit(base).hostname:
        return ""
    return resolved


def _handle(value: str | None) -> str | None:
    """`@name@domain` as a `fediverse:creator` tag gives it, or None for anything else."""
    if not value:
        return None
    found = re.fullmatch(r"@?([\w.-]+)@([\w.-]+(?::\d+)?)", value.strip())
    return f"@{found.group(1)}@{found.group(2)}" if found else None


def _host_url(value: str | None) -> str | None:
    if not value or not value.strip():
        return None
    value = value.strip()
    return value if re.match(r"https?://", value) else f"http://{value}"


def _canonical(meta: PageMeta, page_url: str) -> str:
    """The page's canonical URL (its `<link rel="canonical">` or `og:url`) when it is on the
    page's own host, else the URL it was read at."""
    named = _first(meta.links.get("canonical"), meta.meta.get("og:url"))
    return _url(named, page_url, same_host=True) or page_url


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
