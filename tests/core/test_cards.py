"""The rules of link preview cards (core/cards), on pages parsed by the real adapter (lxml):
which link of a post is read, what each kind of page makes of a card, what is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bocage.adapters.html_meta import anchors, page_meta
from bocage.core.cards.cards import REFRESH_AFTER, may_attribute, needs_refresh
from bocage.core.cards.extract import (
    CardDraft,
    NoCard,
    from_oembed,
    from_page,
    language_of,
    oembed_endpoint,
    sanitized_player,
)
from bocage.core.cards.links import first_link, normalized, wants_card
from bocage.store.models import Account, PreviewCard

PAGE = "https://news.example/a/1"


def card(head: str, url: str = PAGE, lang: str = "") -> CardDraft | NoCard:
    body = f"<html{lang}><head>{head}</head><body><p>text</p></body></html>".encode()
    return from_page(page_meta(body), url)


def test_the_first_link_that_is_no_mention_hashtag_media_or_local() -> None:
    content = (
        '<p><span class="h-card"><a href="https://social.example/@bob" class="u-url mention">'
        '@<span>bob</span></a></span> <a href="https://social.example/tags/x" class="mention '
        'hashtag" rel="tag">#<span>x</span></a> <a href="https://node.example/@me/1">own</a> '
        '<a href="https://cdn.example/photo.JPG">photo</a> '
        '<a href="https://elsewhere.example/@carol">carol</a> '
        '<a href="HTTPS://Pages.Example:443/read?x=1#top">read</a></p>'
    )
    found = first_link(anchors(content), {"https://elsewhere.example/@carol"}, {"node.example"})
    assert found == "https://pages.example/read?x=1#top"
    assert first_link(anchors("<p>no links</p>"), set(), set()) is None
    # Another port of this node's host is another server: its pages get cards.
    other_port = anchors('<a href="https://node.example:8443/x">x</a>')
    assert first_link(other_port, set(), {"node.example"}) == "https://node.example:8443/x"
    assert first_link(anchors('<a href="javascript:alert(1)">x</a>'), set(), set()) is None


def test_which_posts_are_read_for_a_card() -> None:
    link = '<a href="https://pages.example/" rel="nofollow noopener noreferrer">x</a>'
    mention = '<a href="https://s.example/@bob" class="u-url mention">@bob</a>'
    assert wants_card(local=True, spoiler_text="", boost=False, content=link)
    assert wants_card(local=True, spoiler_text="cw", boost=False, content=link)
    assert not wants_card(local=False, spoiler_text="cw", boost=False, content=link)
    assert not wants_card(local=True, spoiler_text="", boost=True, content=link)
    assert not wants_card(local=True, spoiler_text="", boost=False, content=mention)
    assert not wants_card(local=True, spoiler_text="", boost=False, content="<p>plain</p>")


def test_normalized_urls() -> None:
    assert normalized("HTTP://Example.ORG:80") == "http://example.org/"
    assert normalized("https://bücher.example/x") == "https://xn--bcher-kva.example/x"
    assert normalized("https://example.org:8443/x") == "https://example.org:8443/x"
    assert normalized("https://x.example/straße?q=ü") == "https://x.example/stra%C3%9Fe?q=%C3%BC"
    assert normalized("https://x.example/a%20b?y=%2F") == "https://x.example/a%20b?y=%2F"
    assert normalized("ftp://example.org/") is None
    assert normalized("https:///nohost") is None
    assert normalized("https://example.org/" + "x" * 3000) is None


def test_opengraph_wins_over_the_title_and_urls_are_resolved() -> None:
    found = card(
        '<title>Title tag</title><meta property="og:title" content="OG">'
        '<meta property="og:image" content="/i.png"><meta name="description" content="D">'
        '<link rel="canonical" href="/a/1?utm=no">',
        lang=' lang="pt-BR"',
    )
    assert isinstance(found, CardDraft)
    assert (found.title, found.description) == ("OG", "D")
    assert found.image_url == "https://news.example/i.png"
    assert found.url == "https://news.example/a/1?utm=no"
    assert found.language == "pt"
    assert found.type == "link" and found.html == ""


def test_a_canonical_url_on_another_host_is_not_taken() -> None:
    found = card('<title>T</title><link rel="canonical" href="https://other.example/x">')
    assert isinstance(found, CardDraft) and found.url == PAGE


def test_a_twitter_player_makes_a_video_card() -> None:
    found = card(
        '<meta name="twitter:title" content="Clip"><meta name="twitter:player" '
        'content="https://player.example/e/1?a=1&b=2"><meta name="twitter:player:width" '
        'content="480"><meta name="twitter:player:height" content="270">'
    )
    assert isinstance(found, CardDraft) and found.type == "video"
    assert found.html.startswith('<iframe src="https://player.example/e/1?a=1&amp;b=2"')
    assert (found.width, found.height) == (480, 270)
    assert card('<meta name="twitter:player" content="javascript:x()"><title>T</title>') == card(
        "<title>T</title>"
    )


def test_json_ld_in_a_graph_with_cdata_junk_and_broken_blocks() -> None:
    found = card(
        '<script type="application/ld+json">{not json</script>'
        '<script type="application/ld+json">//<![CDATA[\n{"@graph": [{"@type": "Organization"},'
        ' {"@type": ["NewsArticle"], "headline": "H &amp; I", "author": "Plain Name",'
        ' "datePublished": "2024-01-02T03:04:05+02:00", "image": ["/a.jpg", "/b.jpg"]}]}\n'
        "//]]></script><title>fallback</title>"
    )
    assert isinstance(found, CardDraft)
    assert found.title == "H & I" and found.author_name == "Plain Name"
    assert found.image_url == "https://news.example/a.jpg"
    assert found.published_at is not None and found.published_at.hour == 1


def test_no_title_no_card_and_fediverse_creator() -> None:
    assert isinstance(card('<meta name="description" content="only">'), NoCard)
    found = card('<title>T</title><meta name="fediverse:creator" content="@ann@Social.example">')
    assert isinstance(found, CardDraft) and found.creator == "@ann@Social.example"
    junk = card('<title>T</title><meta name="fediverse:creator" content="<script>">')
    assert isinstance(junk, CardDraft) and junk.creator is None


def test_oembed_documents() -> None:
    meta = page_meta(
        b'<html><head><link rel="alternate" type="application/json+oembed" '
        b'href="/oembed?u=1"><title>x</title></head></html>'
    )
    endpoint = oembed_endpoint(meta, PAGE)
    assert endpoint == "https://news.example/oembed?u=1"
    photo = from_oembed({"type": "photo", "url": "/p.jpg", "width": 10, "height": 5}, PAGE, PAGE)
    assert isinstance(photo, CardDraft) and photo.embed_url == "https://news.example/p.jpg"
    assert isinstance(from_oembed({"type": "photo"}, PAGE, PAGE), NoCard)
    assert isinstance(from_oembed({"type": "rich", "html": "<script>"}, PAGE, PAGE), NoCard)
    assert isinstance(from_oembed([], PAGE, PAGE), NoCard)
    video = from_oembed({"type": "video", "html": "<script>x()</script>"}, PAGE, PAGE)
    assert isinstance(video, NoCard)
    link = from_oembed({"type": "link", "title": "L", "thumbnail_url": "/t.png"}, PAGE, PAGE)
    assert isinstance(link, CardDraft) and link.image_url == "https://news.example/t.png"


def test_players_are_sanitized() -> None:
    cleaned = sanitized_player(
        '<iframe src="https://p.example/1" onload="x()" style="a"></iframe><img src=x>'
    )
    assert cleaned.startswith('<iframe src="https://p.example/1" sandbox="allow-scripts')
    assert "onload" not in cleaned and "img" not in cleaned and "style" not in cleaned
    assert sanitized_player('<iframe src="javascript:alert(1)"></iframe>').count("src") == 0


def test_languages() -> None:
    assert language_of("en_US") == "en"
    assert language_of("zh-Hant-TW") == "zh"
    assert language_of("English") is None
    assert language_of(None) is None


def test_a_page_in_latin_1_is_read_in_its_own_charset() -> None:
    body = "<html><head><title>Café crème</title></head></html>".encode("latin-1")
    assert page_meta(body, "iso-8859-1").title == "Café crème"
    assert page_meta(body, "no-such-charset").title is not None  # not refused


def test_a_card_is_read_again_after_two_weeks_or_when_its_image_is_missing() -> None:
    moment = datetime(2026, 1, 15, tzinfo=UTC)
    fresh = PreviewCard(url=PAGE, fetched_at=moment - timedelta(days=13), image_url=None)
    assert not needs_refresh(fresh, moment)
    assert needs_refresh(None, moment)
    stale = PreviewCard(url=PAGE, fetched_at=moment - REFRESH_AFTER, image_url=None)
    assert needs_refresh(stale, moment)
    imageless = PreviewCard(url=PAGE, fetched_at=moment, image_url="https://i.example/a.png")
    assert needs_refresh(imageless, moment)
    imageless.image_key = "ab/cd/abcd.webp"
    assert not needs_refresh(imageless, moment)


def test_who_a_page_may_name_as_its_author() -> None:
    remote = Account(username="ann", domain="social.example:8443")
    local = Account(username="me", domain=None)
    assert may_attribute(remote, "https://social.example/post/1", "node.example")
    assert may_attribute(remote, "https://blog.social.example/post/1", "node.example")
    assert not may_attribute(remote, "https://evil-social.example/post/1", "node.example")
    assert not may_attribute(remote, "https://other.example/", "node.example")
    assert may_attribute(local, "http://node.example:9000/x", "node.example:8000")
    assert not may_attribute(local, "https://social.example/", "node.example")
