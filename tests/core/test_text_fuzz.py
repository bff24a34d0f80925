"""Property tests of the HTML sanitizers (core/content/text.py, Ammonia through nh3), with markup
built to slip a script through: whatever goes in, what comes out has no script, no style,
no event handler, no URL but http(s), only the tags allowed, and cleaning it again changes
nothing. Rendering a local post's text obeys the same rules."""

from __future__ import annotations

import html
from html.parser import HTMLParser
from urllib.parse import urlsplit

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bocage.core.content import text
from tests.fuzz import HTML, TEXT


class Elements(HTMLParser):
    """The tags and attributes a browser would build from some HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, attrs))

    handle_startendtag = handle_starttag


def dangers(markup: str, allowed: set[str]) -> list[str]:
    """What in `markup` could run or load something, or is a tag not `allowed`."""
    parser = Elements()
    parser.feed(markup)
    parser.close()
    found = []
    for tag, attributes in parser.found:
        if tag not in allowed:
            found.append(f"<{tag}>")
        for name, value in attributes:
            if name.startswith("on") or name in ("style", "src", "srcset", "action"):
                found.append(f"{tag} {name}")
            link = html.unescape(value or "").strip()
            if name == "href" and urlsplit(link).scheme.lower() not in ("", "http", "https"):
                found.append(f"{tag} href={value!r}")  # relative links go nowhere else
    lowered = markup.lower()
    found += [word for word in ("<script", "<style") if word in lowered]
    return found


@settings(max_examples=300)
@given(HTML)
@example('<a href="java\tscript:alert(1)">x</a>')
@example('<a href="&#106;avascript:x">x</a><img src=x onerror=alert(1)>')
@example("<scr<script>ipt>alert(1)</script>")
def test_remote_html_keeps_nothing_that_runs(markup: str) -> None:
    cleaned = text.sanitize_remote(markup)
    assert dangers(cleaned, text.REMOTE_TAGS) == []
    assert text.sanitize_remote(cleaned) == cleaned


@settings(max_examples=300)
@given(HTML)
# Nested links Ammonia writes as `<a><a></a></a>`, which read back as siblings (found by this test).
@example('<a/href=javascript:x><object href="javascript:alert(1)"><a/href=javascript:x>')
def test_local_html_keeps_nothing_that_runs(markup: str) -> None:
    cleaned = text.sanitize(markup)
    assert dangers(cleaned, text.ALLOWED_TAGS) == []
    assert text.sanitize(cleaned) == cleaned


@settings(max_examples=200)
@given(
    st.lists(
        st.one_of(
            TEXT,
            HTML,
            st.sampled_from(["@alice", "#tag", "https://x.example/a", "\n\n", "@bob@b.example"]),
        ),
        max_size=8,
    ).map(" ".join)
)
def test_a_post_rendered_from_any_text_is_safe(written: str) -> None:
    rendered = text.render(written, lambda handle: f"https://h.example/@{handle.username}",
                           lambda tag: f"https://h.example/tags/{tag}")  # fmt: skip
    assert dangers(rendered, text.ALLOWED_TAGS) == []
    assert isinstance(text.plain(rendered), str)
    assert text.parse(written).length >= 0
