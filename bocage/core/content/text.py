"""Post text → safe HTML: links, @mentions and #hashtags recognised, everything else escaped.

Authors write plain text (as on Mastodon). We render HTML once, at write time, and sanitize
the result with nh3 anyway so that a bug here can never become stored XSS.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass

import nh3

URL_RE = r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]"
MENTION_RE = r"(?<![\w/@])@(?P<user>[A-Za-z0-9_]{1,30})(?:@(?P<host>[A-Za-z0-9.\-]+(?::\d+)?))?"
TAG_RE = r"(?<![\w/&#])#(?P<tag>[^\W\d][\w]{0,99}|\d+[^\W\d][\w]{0,98})"
TOKEN = re.compile(f"(?P<url>{URL_RE})|(?P<mention>{MENTION_RE})|(?P<hashtag>{TAG_RE})")

# Mastodon counts every link as 23 characters, whatever its length.
URL_WEIGHT = 23

ALLOWED_TAGS = {"p", "br", "a", "span"}
ALLOWED_ATTRIBUTES = {"a": {"href", "class", "rel", "target"}, "span": {"class"}}


@dataclass(frozen=True)
class Handle:
    username: str
    host: str | None

    def key(self) -> str:
        return (
            f"{self.username.lower()}@{self.host.lower()}" if self.host else self.username.lower()
        )


@dataclass(frozen=True)
class ParsedText:
    mentions: tuple[Handle, ...]
    tags: tuple[str, ...]
    length: int


def parse(text: str) -> ParsedText:
    mentions: dict[str, Handle] = {}
    tags: dict[str, str] = {}
    length = len(text)
    for match in TOKEN.finditer(text):
        if match.group("url"):
            length += URL_WEIGHT - len(match.group("url"))
        elif match.group("mention"):
            handle = Handle(match.group("user"), match.group("host"))
            mentions.setdefault(handle.key(), handle)
            if handle.host:  # the @host part does not count, as on Mastodon
                length -= len(handle.host) + 1
        else:
            tag = match.group("tag")
            tags.setdefault(tag.lower(), tag)
    return ParsedText(tuple(mentions.values()), tuple(tags), length)


def render(
    text: str,
    mention_url: Callable[[Handle], str | None],
    tag_url: Callable[[str], str],
) -> str:
    """Render plain text as paragraphs; unknown mentions stay plain text."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    rendered = [
        "<p>"
        + "<br>".join(_render_line(line, mention_url, tag_url) for line in p.split("\n"))
        + "</p>"
        for p in paragraphs
    ]
    return sanitize("".join(rendered))


def _render_line(
    line: str, mention_url: Callable[[Handle], str | None], tag_url: Callable[[str], str]
) -> str:
    out: list[str] = []
    position = 0
    for match in TOKEN.finditer(line):
        out.append(html.escape(line[position : match.start()]))
        out.append(_render_token(match, mention_url, tag_url))
        position = match.end()
    out.append(html.escape(line[position:]))
    return "".join(out)


def _render_token(
    match: re.Match[str],
    mention_url: Callable[[Handle], str | None],
    tag_url: Callable[[str], str],
) -> str:
    raw = match.group(0)
    if match.group("url"):
        href = html.escape(raw, quote=True)
        rel = "nofollow noopener noreferrer"
        return f'<a href="{href}" rel="{rel}" target="_blank">{html.escape(raw)}</a>'
    if match.group("mention"):
        handle = Handle(match.group("user"), match.group("host"))
        url = mention_url(handle)
        if url is None:
            return html.escape(raw)
        return (
            f'<span class="h-card"><a href="{html.escape(url, quote=True)}" class="u-url mention">'
            f"@<span>{html.escape(handle.username)}</span></a></span>"
        )
    tag = match.group("tag")
    return (
        f'<a href="{html.escape(tag_url(tag), quote=True)}" class="mention hashtag" rel="tag">'
        f"#<span>{html.escape(tag)}</span></a>"
    )


# Built once: configuring Ammonia on every call cost as much as the cleaning itself.
_POST_CLEANER = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    url_schemes={"http", "https"},
    link_rel=None,
)


def sanitize(markup: str) -> str:
    """Keep only the few tags a post may contain; everything else is stripped (Ammonia)."""
    return _settled(_POST_CLEANER, markup)


def _settled(cleaner: nh3.Cleaner, markup: str) -> str:
    """Cleaned until cleaning changes nothing more: Ammonia can write markup that parses
    differently when read again (`<a><a></a></a>`, from nested links it let through, reads
    back as two sibling links), and what is stored must be what a second cleaning keeps."""
    cleaned = cleaner.clean(markup)
    for _ in range(3):
        again = cleaner.clean(cleaned)
        if again == cleaned:
            break
        cleaned = again
    return cleaned


# What other servers may put in a post (Mastodon's list for remote content): formatting,
# lists, quotes and code, never scripts, styles, images or forms.
REMOTE_TAGS = ALLOWED_TAGS | {
    "b", "strong", "i", "em", "u", "del", "s", "pre", "code", "blockquote", "ul", "ol", "li",
}  # fmt: skip
_REMOTE_CLEANER = nh3.Cleaner(
    tags=REMOTE_TAGS,
    attributes={"a": {"href", "class"}, "span": {"class"}},
    url_schemes={"http", "https"},
    link_rel="nofollow noopener noreferrer",
)


def sanitize_remote(markup: str) -> str:
    """HTML written on another server, reduced to what is safe to show here."""
    return _settled(_REMOTE_CLEANER, markup)


def plain(markup: str) -> str:
    """HTML → text, for previews and titles."""
    text = re.sub(r"<br\s*/?>|</p>", "\n", markup)
    return html.unescape(nh3.clean(text, tags=set())).strip()
