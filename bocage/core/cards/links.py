"""Which link of a post gets a card: the first link that is not a mention, not a hashtag, not
a link to this node, and not a link to a media file (a photo or a video links to itself:
there is no page to preview), in the order the post's HTML has them, as Mastodon's
FetchLinkCardService picks it. A boost shows the card of the post it boosts; a post from
another server with a content warning gets none (Mastodon crawls those only for its own
posts: a warning hides what a card would show)."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from urllib.parse import quote, urlsplit, urlunsplit

MEDIA_EXTENSIONS = (
    ".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif", ".heic", ".svg",
    ".mp4", ".m4v", ".webm", ".mov", ".mp3", ".m4a", ".ogg", ".oga", ".opus", ".wav", ".flac",
)  # fmt: skip
MAX_URL = 2048  # a longer URL is no link anyone shares: no card
URL_SAFE = ":/?#[]@!$&'()*+,;=%~"  # RFC 3986 reserved characters and escapes: kept


@dataclass(frozen=True)
class Anchor:
    """A link of a post's HTML, as the adapter found it."""

    href: str
    rel: str = ""
    classes: str = ""


def wants_card(*, local: bool, spoiler_text: str, boost: bool, content: str) -> bool:
    """Whether a post is read for a card at all: not a boost, not another server's post
    behind a content warning, and only when its HTML has a link that may be the one (a
    quick look at its tags, so that most posts queue no job: the job parses it properly)."""
    if boost or (not local and spoiler_text):
        return False
    return any(
        "mention" not in tag and 'rel="tag"' not in tag for tag in _OPENING_A.findall(content)
    )


_OPENING_A = re.compile(r"<a\s[^>]*href=[\"']?https?://[^>]*>", re.IGNORECASE)


def first_link(
    anchors: Iterable[Anchor], mentioned: Collection[str], local_hosts: Collection[str]
) -> str | None:
    """The URL a post's card is made from (normalized), or None: `mentioned` are the
    profile URLs of the accounts it mentions, `local_hosts` this node's hosts (with the
    port, when it is not the scheme's own)."""
    for anchor in anchors:
        if _skipped(anchor, mentioned):
            continue
        url = normalized(anchor.href)
        if url is not None and not _refused(url, local_hosts):
            return url
    return None


def _skipped(anchor: Anchor, mentioned: Collection[str]) -> bool:
    """Hashtags (`rel="tag"`) and mentions (the `u-url`/`h-card` microformats, or a link to
    the profile of someone the post mentions)."""
    rels = anchor.rel.lower().split()
    classes = anchor.classes.lower().split()
    return (
        "tag" in rels
        or "u-url" in classes
        or "h-card" in classes
        or "mention" in classes
        or anchor.href in mentioned
    )


def normalized(href: str) -> str | None:
    """`href` with its scheme and host lower-cased and a default port dropped; None when it
    is no http(s) URL with a host."""
    href = href.strip()
    if not href or len(href) > MAX_URL:
        return None
    try:
        parts = urlsplit(href)
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not host:
        return None
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != (443 if scheme == "https" else 80):
        host = f"{host}:{port}"
    path, query, fragment = (ascii_url(part) for part in (parts.path, parts.query, parts.fragment))
    found = urlunsplit((scheme, host, path or "/", query, fragment))
    return found if len(found) <= MAX_URL else None


def ascii_url(url: str) -> str:
    """`url` with what is not printable ASCII percent-encoded (as the client sends it), and
    escapes and reserved characters kept as they are: URLs are stored and compared so."""
    return quote(url, safe=URL_SAFE)


def _refused(url: str, local_hosts: Collection[str]) -> bool:
    parts = urlsplit(url)
    if parts.netloc.lower() in local_hosts:
        return True
    return parts.path.lower().endswith(MEDIA_EXTENSIONS)


def host_of(url: str) -> str:
    """The host (and port, when not the default) a URL names, lower-cased."""
    return urlsplit(url).netloc.lower()
