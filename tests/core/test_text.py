"""Post text: parsing (mentions, tags, length) and rendering to safe HTML. No database."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from bocage.core.content import text
from bocage.core.content.text import Handle


def tag_url(name: str) -> str:
    return f"https://node.test/tags/{name.lower()}"


def known(*usernames: str):  # type: ignore[no-untyped-def]
    names = {u.lower() for u in usernames}

    def mention_url(handle: Handle) -> str | None:
        if handle.host is None and handle.username.lower() in names:
            return f"https://node.test/@{handle.username.lower()}"
        return None

    return mention_url


def render(source: str, *usernames: str) -> str:
    return text.render(source, known(*usernames), tag_url)


def test_plain_length_is_the_number_of_characters() -> None:
    assert text.parse("hello").length == 5
    assert text.parse("héllo wörld").length == 11
    assert text.parse("a\nb").length == 3


def test_every_link_counts_23_characters() -> None:
    long_url = "https://example.org/" + "a" * 200
    assert text.parse(long_url).length == 23
    assert text.parse("see http://x.io/a").length == 4 + 23
    assert text.parse(f"{long_url} {long_url}").length == 23 + 1 + 23


def test_trailing_punctuation_is_not_part_of_a_link() -> None:
    parsed = text.parse("(see https://example.org/page).")
    assert parsed.length == len("(see ") + 23 + len(").")
    html = render("go to https://example.org/page.")
    assert 'href="https://example.org/page"' in html
    assert "</a>.</p>" in html


def test_remote_mention_host_does_not_count() -> None:
    parsed = text.parse("hi @bob@remote.example")
    assert parsed.length == len("hi @bob")
    assert parsed.mentions == (Handle("bob", "remote.example"),)


def test_mentions_are_recognised_once_case_insensitively() -> None:
    parsed = text.parse("@alice and @Alice and @bob@other.example, cc @carol_2")
    assert [h.key() for h in parsed.mentions] == ["alice", "bob@other.example", "carol_2"]


def test_email_addresses_and_urls_are_not_mentions() -> None:
    parsed = text.parse("mail me at me@example.org or see https://example.org/@alice")
    assert parsed.mentions == ()


def test_hashtags_are_recognised_once_lowercased() -> None:
    parsed = text.parse("#Gardening and #gardening, #2024 #1984nineteen #été")
    assert parsed.tags == ("gardening", "1984nineteen", "été")


def test_fragments_and_entities_are_not_hashtags() -> None:
    parsed = text.parse("see https://example.org/page#section and &#39; and a#b")
    assert parsed.tags == ()


def test_render_makes_paragraphs_and_line_breaks() -> None:
    assert render("one\ntwo\n\nthree") == "<p>one<br>two</p><p>three</p>"
    assert render("  \n\nonly\n\n\n  ") == "<p>only</p>"


def test_render_links_known_mentions_and_leaves_unknown_ones_plain() -> None:
    html = render("hi @alice and @nobody", "alice")
    assert (
        '<span class="h-card"><a href="https://node.test/@alice" class="u-url mention">'
        "@<span>alice</span></a></span>"
    ) in html
    assert "and @nobody</p>" in html


def test_render_links_hashtags() -> None:
    html = render("I love #Gardens")
    assert (
        '<a href="https://node.test/tags/gardens" class="mention hashtag" rel="tag">'
        "#<span>Gardens</span></a>"
    ) in html


def test_render_links_urls_safely() -> None:
    html = render("https://example.org/?a=1&b=2")
    assert 'href="https://example.org/?a=1&amp;b=2"' in html
    assert 'rel="nofollow noopener noreferrer"' in html
    assert 'target="_blank"' in html


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "<a href='javascript:alert(1)'>x</a>",
        "javascript:alert(1)",
        '"><script>alert(1)</script>',
        "https://example.org/\"onmouseover='alert(1)'",
    ],
)
def test_render_escapes_html(source: str) -> None:
    html = render(source)
    assert "<script" not in html
    assert "<img" not in html
    elements = Elements()
    elements.feed(html)
    for tag, attributes in elements.found:
        assert tag in {"p", "a"}
        for name, value in attributes:
            assert name in {"href", "rel", "target"}
            if name == "href":
                assert value is not None and value.startswith("https://example.org/")
                assert '"' not in value and "'" not in value
    # Whatever was typed is shown as typed.
    assert text.plain(html) == source


class Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, attrs))


def test_escaped_text_round_trips_through_plain() -> None:
    source = "a < b && c > d\n\n'quoted' \"double\""
    html = render(source)
    assert "&lt;" in html and "&amp;&amp;" in html
    assert text.plain(html) == "a < b && c > d\n'quoted' \"double\""


def test_sanitize_keeps_only_allowed_markup() -> None:
    dirty = (
        '<p onclick="x()">hi <b>bold</b> <a href="javascript:x()">bad</a>'
        '<a href="https://ok.example" class="mention">ok</a><iframe src="https://x"></iframe></p>'
    )
    clean = text.sanitize(dirty)
    assert clean == ('<p>hi bold <a>bad</a><a href="https://ok.example" class="mention">ok</a></p>')
