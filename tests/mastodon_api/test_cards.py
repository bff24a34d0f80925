"""Link preview cards against a real node (block 18 of the loopback addresses): alice posts
links through Mastodon.py to pages a local web server serves (OpenGraph, a Twitter card,
JSON-LD, only a `<title>`, an oEmbed video provider, an endless page, a redirect to a
private address, an image), and each status gets the `card` Mastodon would give it, its
image a copy on this node with a blurhash. A post from another server gets its card the
same way (Mastodon fetches cards itself: none are federated). Edits that change the link
change the card; shared cards trend, and `/api/v1/timelines/link` lists the posts sharing a
trending one."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from aiohttp import web
from mastodon import Mastodon
from mastodon.errors import MastodonNotFoundError
from PIL import Image

from tests.addresses import loopback
from tests.federation.helpers import eventually, start_node
from tests.mastodon_api.test_mastodon_py import logged_in
from tests.outsider import Outsider
from tests.processes import NodeProcess

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("mastodon_api/test_cards")]

HOST = loopback(18, 1)
PAGES_HOST = loopback(18, 10)


def jpeg(size: tuple[int, int] = (800, 420), colour: tuple[int, int, int] = (200, 60, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG", quality=80)
    return out.getvalue()


PHOTO = jpeg()


def page(head: str, body: str = "<p>Hello.</p>", lang: str = "en") -> str:
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">{head}</head>'
        f"<body>{body}</body></html>"
    )


class Site:
    """The pages (and an image) a web server serves, by path."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        self.base = ""

    async def serve(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path.startswith("/img/"):
            return web.Response(body=PHOTO, content_type="image/jpeg")
        if path == "/to-private":
            raise web.HTTPFound("http://10.255.255.1/secret")
        if path == "/moved":
            raise web.HTTPMovedPermanently("/og")
        if path == "/endless":
            return await self._endless(request)
        if path == "/oembed":
            return web.json_response(
                {
                    "version": "1.0",
                    "type": "video",
                    "title": "A hedgehog crossing",
                    "author_name": "Vid Maker",
                    "author_url": "/channel/vid",
                    "provider_name": "Hedgetube",
                    "provider_url": "/",
                    "width": 640,
                    "height": 360,
                    "thumbnail_url": "/img/thumb.jpg",
                    "html": '<iframe src="https://player.example/embed/1" width="640" '
                    'height="360" onload="steal()"></iframe><script>alert(1)</script>',
                },
                content_type="application/json+oembed",
            )
        text = self.pages.get(path)
        if text is None:
            return web.Response(status=404, text="no such page")
        return web.Response(text=text.replace("{base}", self.base), content_type="text/html")

    async def _endless(self, request: web.Request) -> web.StreamResponse:
        """A page whose head comes first and whose body never ends."""
        answer = web.StreamResponse(headers={"Content-Type": "text/html; charset=utf-8"})
        await answer.prepare(request)
        await answer.write(
            page('<meta property="og:title" content="Endless head">', "").encode()[:-14]
        )
        filler = b"<p>" + b"x" * 65_000 + b"</p>"
        try:
            for _ in range(200):  # 13 MB: far past what the node reads
                await answer.write(filler)
            await answer.write(b'<meta property="og:description" content="past the cap">')
        except (ConnectionError, RuntimeError):
            pass
        return answer


PAGES = {
    "/og": page(
        '<meta property="og:title" content="Hedges of Europe">'
        '<meta property="og:description" content="Where hedgehogs live &amp; why.">'
        '<meta property="og:image" content="/img/og.jpg">'
        '<meta property="og:image:alt" content="A hedge at dusk">'
        '<meta property="og:site_name" content="Hedge Weekly">'
        '<meta property="article:published_time" content="2024-05-01T10:00:00Z">'
        "<title>ignored title</title>"
    ),
    "/twitter": page(
        '<meta name="twitter:card" content="player">'
        '<meta name="twitter:title" content="Twitter title">'
        '<meta name="twitter:description" content="Twitter description">'
        '<meta name="twitter:image" content="{base}/img/tw.jpg">'
        '<meta name="twitter:player" content="https://player.example/tw/7">'
        '<meta name="twitter:player:width" content="480">'
        '<meta name="twitter:player:height" content="270">'
    ),
    "/jsonld": page(
        "<title>fallback</title>"
        '<script type="application/ld+json">{"@context": "https://schema.org", "@type": '
        '"NewsArticle", "headline": "Structured headline", "description": "Structured '
        'description", "inLanguage": "de-DE", "datePublished": "2024-02-03T04:05:06Z", '
        '"author": [{"@type": "Person", "name": "Ada Author", "url": "/people/ada"}], '
        '"publisher": {"@type": "Organization", "name": "The Structured Times"}, '
        '"image": {"@type": "ImageObject", "url": "/img/ld.jpg"}}</script>',
        lang="fr",
    ),
    "/title-only": page(
        '<title>Just a title</title><meta name="description" content="Plain description">'
    ),
    "/video": page(
        "<title>Video page</title>"
        '<link rel="alternate" type="application/json+oembed" href="/oembed?url=video">'
    ),
    "/untitled": page("", "<p>No title at all</p>"),
}


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    root = tmp_path_factory.mktemp("cards")
    started = start_node(root, HOST, ["alice", "bob", "root*"], {"BOCAGE_LAN_DISCOVERY": "0"})
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture
async def site() -> AsyncIterator[tuple[Outsider, Site]]:
    """The web server of the pages, which is also another fediverse server (user `pix`)."""
    pages = Site()
    pages.pages.update(PAGES)
    server = Outsider(PAGES_HOST, ("pix",), routes=[("GET", "/{tail:.*}", pages.serve)])
    await server.start()
    pages.base = server.url
    yield server, pages
    await server.close()


def api(node: NodeProcess, who: str = "alice") -> Mastodon:
    return logged_in(node, who, ["read", "write", "admin:read", "admin:write"])


async def card_of(client: Mastodon, status_id: Any, within: float = 20.0) -> Any:
    async def found() -> Any:
        shown = await asyncio.to_thread(client.status, status_id)
        return shown.card

    return await eventually(found, within=within, what=f"the card of {status_id}")


async def post(client: Mastodon, text: str, **options: Any) -> Any:
    return await asyncio.to_thread(client.status_post, text, **options)


async def raw_status(node: NodeProcess, client: Mastodon, status_id: Any) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=20.0) as http:
        answer = await http.get(
            f"{node.url}/api/v1/statuses/{status_id}",
            headers={"Authorization": f"Bearer {client.access_token}"},
        )
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


async def test_opengraph_card_with_a_local_copy_of_its_image(
    node: NodeProcess, site: tuple[Outsider, Site]
) -> None:
    server, _pages = site
    alice = await asyncio.to_thread(api, node)
    status = await post(alice, f"Read this: {server.url}/og #hedges")
    card = await card_of(alice, status.id)

    assert card.url == f"{server.url}/og"
    assert card.title == "Hedges of Europe"
    assert card.description == "Where hedgehogs live & why."
    assert card.type == "link"
    assert card.provider_name == "Hedge Weekly"
    assert card.image_description == "A hedge at dusk"
    assert card.language == "en"
    assert card.published_at.year == 2024 and card.published_at.month == 5
    assert card.html == "" and card.embed_url == ""
    # The image: this node's copy (a 640-px WebP preview), never the origin's address.
    assert card.image.startswith(f"{node.url}/media/") and server.url not in card.image
    assert (card.width, card.height) == (640, 336)
    assert card.blurhash
    async with httpx.AsyncClient() as http:
        copy = await http.get(card.image)
    assert copy.status_code == 200 and copy.content[8:12] == b"WEBP"
    assert len(server.requests("GET", "/img/og.jpg")) == 1
    assert card.authors[0].name == "" and card.authors[0].account is None

    shown = await raw_status(node, alice, status.id)
    assert set(shown["card"]) >= {
        "url", "title", "description", "language", "type", "author_name", "author_url",
        "provider_name", "provider_url", "html", "width", "height", "image",
        "image_description", "embed_url", "blurhash", "published_at", "authors",
    }  # fmt: skip

    # One card per URL: another post linking the page shows it without reading it again.
    again = await post(alice, f"Again: {server.url}/og")
    assert (await card_of(alice, again.id)).title == "Hedges of Europe"
    assert len(server.requests("GET", "/og")) == 1

    # A link that redirects there shows the same card under the URL the post wrote, and is
    # not read again for the next post that shares it.
    moved = await post(alice, f"Moved: {server.url}/moved")
    card = await card_of(alice, moved.id)
    assert (card.url, card.title) == (f"{server.url}/moved", "Hedges of Europe")
    again = await post(alice, f"Moved again: {server.url}/moved")
    assert (await card_of(alice, again.id)).url == f"{server.url}/moved"
    assert len(server.requests("GET", "/moved")) == 1


async def test_twitter_jsonld_and_title_only_pages(
    node: NodeProcess, site: tuple[Outsider, Site]
) -> None:
    server, _pages = site
    alice = await asyncio.to_thread(api, node)
    twitter = await post(alice, f"{server.url}/twitter")
    structured = await post(alice, f"see {server.url}/jsonld")
    titled = await post(alice, f"see {server.url}/title-only")

    card = await card_of(alice, twitter.id)
    assert card.type == "video"
    assert card.title == "Twitter title" and card.description == "Twitter description"
    assert 'src="https://player.example/tw/7"' in card.html
    assert (card.width, card.height) == (480, 270)
    assert card.image.startswith(f"{node.url}/media/")

    card = await card_of(alice, structured.id)
    assert card.title == "Structured headline"
    assert card.description == "Structured description"
    assert card.author_name == "Ada Author"
    assert card.author_url == f"{server.url}/people/ada"
    assert card.provider_name == "The Structured Times"
    assert card.language == "de"
    assert card.published_at.year == 2024 and card.published_at.month == 2
    assert card.authors[0].name == "Ada Author"
    assert card.image.startswith(f"{node.url}/media/")

    card = await card_of(alice, titled.id)
    assert card.title == "Just a title" and card.description == "Plain description"
    assert card.image is None and card.blurhash is None


async def test_an_oembed_video_provider_gives_a_sanitized_player(
    node: NodeProcess, site: tuple[Outsider, Site]
) -> None:
    server, _pages = site
    alice = await asyncio.to_thread(api, node)
    status = await post(alice, f"watch {server.url}/video")
    card = await card_of(alice, status.id)
    assert card.type == "video"
    assert card.title == "A hedgehog crossing"
    assert card.author_name == "Vid Maker"
    assert card.author_url == f"{server.url}/channel/vid"
    assert card.provider_name == "Hedgetube"
    assert (card.width, card.height) == (640, 360)
    assert card.html.startswith('<iframe src="https://player.example/embed/1"')
    assert "sandbox=" in card.html
    assert "onload" not in card.html and "<script" not in card.html
    assert card.image.startswith(f"{node.url}/media/")


async def test_refused_and_cut_off_pages(node: NodeProcess, site: tuple[Outsider, Site]) -> None:
    """A redirect to a private address is not followed; an endless page is read up to its
    first MiB (the card comes from its head, nothing past the cap is read); a page with no
    title, and a link to an image, give no card; mentions and hashtags are no links."""
    server, _pages = site
    alice = await asyncio.to_thread(api, node)
    private = await post(alice, f"{server.url}/to-private")
    untitled = await post(alice, f"{server.url}/untitled")
    photo = await post(alice, f"{server.url}/img/direct.jpg")
    mention = await post(alice, "hello @bob #nolink")
    endless = await post(alice, f"{server.url}/endless")

    card = await card_of(alice, endless.id, within=40)
    assert card.title == "Endless head" and card.description == ""
    for status_id in (private.id, untitled.id, photo.id, mention.id):
        assert (await asyncio.to_thread(alice.status, status_id)).card is None
    assert server.requests("GET", "/to-private") and server.requests("GET", "/untitled")
    assert not server.requests("GET", "/img/direct.jpg")


async def test_an_edit_that_changes_the_link_changes_the_card(
    node: NodeProcess, site: tuple[Outsider, Site]
) -> None:
    server, _pages = site
    alice = await asyncio.to_thread(api, node)
    status = await post(alice, f"first {server.url}/title-only")
    assert (await card_of(alice, status.id)).title == "Just a title"
    await asyncio.to_thread(alice.status_update, status.id, f"now {server.url}/jsonld")

    async def changed() -> Any:
        card = (await asyncio.to_thread(alice.status, status.id)).card
        return card if card and card.title == "Structured headline" else None

    await eventually(changed, what="the card of the edited post")


async def test_a_remote_post_gets_its_card_here(
    node: NodeProcess, site: tuple[Outsider, Site]
) -> None:
    server, _pages = site
    alice = await asyncio.to_thread(api, node)
    note = server.note("pix", f'Look: <a href="{server.url}/og">{server.url}/og</a>')
    note["cc"].append(f"{node.url}/users/alice")
    status, text = await server.send(
        "POST", f"{node.url}/users/alice/inbox", server.key_id("pix"), server.create(note)
    )
    assert status == 202, text

    async def arrived() -> Any:
        try:
            account = await asyncio.to_thread(alice.account_lookup, server.handle("pix"))
        except MastodonNotFoundError:
            return None
        statuses = await asyncio.to_thread(alice.account_statuses, account.id, limit=40)
        return next((s for s in statuses if s.uri == note["id"]), None)

    remote = await eventually(arrived, what="the remote post")
    card = await card_of(alice, remote.id)
    assert card.title == "Hedges of Europe"
    assert card.image.startswith(f"{node.url}/media/")


async def test_fediverse_creator_is_attributed_only_from_the_authors_own_host(
    node: NodeProcess, site: tuple[Outsider, Site]
) -> None:
    server, pages = site
    pix = server.handle("pix")
    pages.pages["/by-pix"] = page(
        '<meta property="og:title" content="By pix">'
        f'<meta name="fediverse:creator" content="@{pix}">'
    )
    pages.pages["/claims-alice"] = page(
        '<meta property="og:title" content="Claims alice">'
        f'<meta name="fediverse:creator" content="@alice@{node.host}:{node.port}">'
    )
    alice = await asyncio.to_thread(api, node)
    by_pix = await post(alice, f"{server.url}/by-pix")
    claims = await post(alice, f"{server.url}/claims-alice")
    card = await card_of(alice, by_pix.id)
    assert card.authors[0].account is not None
    assert card.authors[0].account.acct == pix
    # A page on another host may not name alice (her server is this node)…
    assert (await card_of(alice, claims.id)).authors[0].account is None
    # …and a page on her node's own host (another port of it: another server) may.
    own = Site()
    own.pages["/mine"] = pages.pages["/claims-alice"]
    beside = Outsider(HOST, (), routes=[("GET", "/{tail:.*}", own.serve)])
    await beside.start()
    try:
        mine = await post(alice, f"{beside.url}/mine")
        card = await card_of(alice, mine.id)
    finally:
        await beside.close()
    assert card.authors[0].account is not None and card.authors[0].account.acct == "alice"


async def test_links_trend_and_their_timeline(
    node: NodeProcess, site: tuple[Outsider, Site]
) -> None:
    server, pages = site
    pages.pages["/trend"] = page('<meta property="og:title" content="Trending page">')
    alice = await asyncio.to_thread(api, node)
    bob = await asyncio.to_thread(api, node, "bob")
    first = await post(alice, f"{server.url}/trend")
    second = await post(bob, f"me too {server.url}/trend")
    hidden = await post(bob, f"{server.url}/trend", visibility="unlisted")
    await card_of(alice, first.id)
    await card_of(alice, second.id)
    await card_of(alice, hidden.id)

    trending = await asyncio.to_thread(alice.trending_links)
    found = [link for link in trending if link.url == f"{server.url}/trend"]
    assert found, [link.url for link in trending]
    assert found[0].title == "Trending page"
    assert int(found[0].history[0].accounts) == 2 and int(found[0].history[0].uses) == 2

    timeline = await asyncio.to_thread(alice.timeline_link, f"{server.url}/trend")
    assert [s.id for s in timeline] == [second.id, first.id]  # not the unlisted one
    with pytest.raises(MastodonNotFoundError):
        await asyncio.to_thread(alice.timeline_link, f"{server.url}/never-shared")

    # A moderator rejects it: it no longer trends, and its timeline is gone.
    root = await asyncio.to_thread(api, node, "root")
    listed = await asyncio.to_thread(root.admin_trending_links)
    mine = next(link for link in listed if link.url == f"{server.url}/trend")
    await asyncio.to_thread(root.admin_reject_trending_link, mine.id)
    assert f"{server.url}/trend" not in [
        shown.url for shown in await asyncio.to_thread(alice.trending_links)
    ]
    with pytest.raises(MastodonNotFoundError):
        await asyncio.to_thread(alice.timeline_link, f"{server.url}/trend")
    listed = await asyncio.to_thread(root.admin_trending_links)
    assert not next(link for link in listed if link.url == f"{server.url}/trend").trendable


async def test_the_web_page_shows_the_card_without_layout_shift(
    node: NodeProcess, site: tuple[Outsider, Site]
) -> None:
    server, _pages = site
    alice = await asyncio.to_thread(api, node)
    status = await post(alice, f"web {server.url}/og")
    card = await card_of(alice, status.id)
    async with httpx.AsyncClient(base_url=node.url) as http:
        shown = await http.get(f"/@alice/{status.id}")
    assert shown.status_code == 200
    text = shown.text
    assert 'class="link-card"' in text and "Hedges of Europe" in text
    image = card.image.removeprefix(node.url)
    assert f'<img src="{image}" width="640" height="336"' in text
    assert 'loading="lazy"' in text and "data-blurhash=" in text


def test_page_fixtures_are_html() -> None:
    """The fixtures parse as the node parses them (a broken fixture would test nothing)."""
    from bocage.adapters.html_meta import page_meta

    for path, text in PAGES.items():
        if path != "/untitled":
            meta = page_meta(text.encode())
            assert meta.title or meta.meta or meta.json_ld, path
    assert json.loads(page_meta(PAGES["/jsonld"].encode()).json_ld[0])["@type"] == "NewsArticle"
