"""Link preview cards: the `card.fetch` job that reads a post's first link and attaches its
card, and the reads of what is shared (trending links, the posts sharing one).

The job, as Mastodon's FetchLinkCardService: the post's link picked by core/cards/links.py
from its HTML (parsed by the `HtmlReader`, lxml); the card kept for that URL taken while it is
fresh, else the page read through the SSRF-safe client (`Pages`: only http(s), never a private
address, each redirect checked, 15 seconds, its first MiB), its oEmbed document first when it
names one, then its own tags (core/cards/extract.py); the image copied here through the media
pipeline (its type from its bytes, a preview and a blurhash: never the origin's address in a
card), the `fediverse:creator` it names looked up; then one unit of work saves the card and
attaches it to the post. A page that cannot be read leaves the post without a card: the job is
not tried again (Mastodon does not either); the next post linking it tries anew.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import orjson
from sqlalchemy.orm import Session

from bocage.core.accounts import accounts
from bocage.core.cards import cards, extract, links
from bocage.core.cards.cards import CardImage, CardView
from bocage.core.cards.extract import CardDraft, NoCard
from bocage.core.media import remote
from bocage.core.media.remote import Refused
from bocage.core.timelines import timelines, trends
from bocage.core.timelines.timelines import Page, PostView
from bocage.core.timelines.trends import LinkTrend
from bocage.federation.client import FetchError
from bocage.kernel.clock import now
from bocage.kernel.context import Context
from bocage.kernel.errors import InvalidInput, NotFound
from bocage.services.ports import (
    Downloads,
    FetchedPage,
    HtmlReader,
    ImageProcessor,
    Lookups,
    MediaStore,
    Pages,
)
from bocage.services.unit import Query, Service
from bocage.store.db import Database
from bocage.store.models import Account, PreviewCard

log = logging.getLogger("bocage.cards")
PAGE_TYPES = ("text/html", "application/xhtml+xml")
OEMBED_ACCEPT = "application/json+oembed, application/json;q=0.9"
IMAGE_SECONDS = 30.0


class CardService(Service):
    def __init__(
        self,
        db: Database,
        ctx: Context,
        *,
        pages: Pages,
        html: HtmlReader,
        images: ImageProcessor,
        storage: MediaStore,
        downloads: Downloads,
        lookups: Lookups,
    ) -> None:
        super().__init__(db, ctx)
        self._pages = pages
        self._html = html
        self._images = images
        self._storage = storage
        self._downloads = downloads
        self._lookups = lookups
        self._reading: dict[str, asyncio.Task[PreviewCard | None]] = {}  # one per URL at once

    # --- the job ----------------------------------------------------------------------------

    async def fetch_job(self, _db: Database, payload: dict[str, Any]) -> None:
        """The `card.fetch` job: never raised for a page that cannot be read (logged)."""
        post_id = int(payload["post_id"])
        try:
            await self.card_for(post_id)
        except (FetchError, Refused) as failed:
            log.info("no card for post %d: %s", post_id, failed)

    async def card_for(self, post_id: int) -> PreviewCard | None:
        """Read the post's link and attach its card: the card, or None when the post gets
        none (no link, the page gives none, it shows one already)."""
        found = await self._db.read(cards.target, post_id, self._ctx.urls.base)
        if found is None or found.has_card:
            return None
        anchors = self._html.anchors(found.content)
        url = links.first_link(anchors, found.mentioned, self._local_hosts())
        if url is None:
            return None
        card = await self._db.read(cards.kept, url)
        if cards.needs_refresh(card, now()):
            card = await self._read_once(url)
        if card is None:
            return None
        attached = await self._db.write(cards.attach, post_id, url, card.id, found.edited_at)
        return card if attached else None

    def _local_hosts(self) -> set[str]:
        """This node's host as links name it (with its port, when it has one: another port
        of the same host is another server, as Mastodon's `local_url?` tells)."""
        return {self._ctx.settings.domain.lower()}

    async def _read_once(self, url: str) -> PreviewCard | None:
        running = self._reading.get(url)
        if running is None:
            running = asyncio.ensure_future(self._read(url))
            self._reading[url] = running
            running.add_done_callback(lambda _done: self._reading.pop(url, None))
        return await asyncio.shield(running)

    async def _read(self, url: str) -> PreviewCard | None:
        page = await self._pages.get_page(url, cards.PAGE_LIMIT, "text/html")
        if page.content_type not in PAGE_TYPES:
            log.info("no card for %s: it is %s, not a page", url, page.content_type or "untyped")
            return None
        meta = await asyncio.to_thread(self._html.page_meta, page.body, page.charset)
        verdict: CardDraft | NoCard | None = await self._oembed(meta, page.url)
        if verdict is None:
            verdict = extract.from_page(meta, page.url)
        if isinstance(verdict, NoCard):
            log.info("no card for %s: %s", url, verdict.reason)
            return None
        image = await self._image(verdict.image_url) if verdict.image_url else None
        author = await self._author(verdict, page.url)
        card, freed = await self._db.write(cards.save, verdict, image, author)
        for key in freed:
            await asyncio.to_thread(self._storage.delete, key)
        log.info("card for %s: %s %r", url, card.type, card.title[:80])
        return card

    async def _oembed(self, meta: extract.PageMeta, page_url: str) -> CardDraft | None:
        """The card the page's oEmbed document describes, when it names one that gives one."""
        endpoint = extract.oembed_endpoint(meta, page_url)
        if endpoint is None:
            return None
        try:
            answer: FetchedPage = await self._pages.get_page(
                endpoint, cards.OEMBED_LIMIT, OEMBED_ACCEPT
            )
            document = orjson.loads(answer.body)
        except (FetchError, orjson.JSONDecodeError) as failed:
            log.info("oEmbed of %s not read: %s", page_url, failed)
            return None
        verdict = extract.from_oembed(document, page_url, answer.url)
        if isinstance(verdict, NoCard):
            log.info("oEmbed of %s not taken: %s", page_url, verdict.reason)
            return None
        return verdict

    async def _image(self, url: str) -> CardImage | None:
        """The card's image copied here (its preview, WebP, with a blurhash); None when it
        cannot be had or is no image."""
        try:
            data = await self._downloads.get_file(url, cards.IMAGE_LIMIT, IMAGE_SECONDS)
            if remote.sniff(data).kind != "image":
                raise Refused("it is no image")
            derived = await self._images.derive(data)
        except (FetchError, Refused, InvalidInput) as failed:
            log.info("card image %s not taken: %s", url, failed)
            return None
        key = await asyncio.to_thread(self._storage.put, derived.preview, "webp")
        return CardImage(key, derived.preview_width, derived.preview_height, derived.blurhash)

    async def _author(self, draft: CardDraft, page_url: str) -> int | None:
        """The account the page's `fediverse:creator` names, when the page may name it."""
        if not draft.creator:
            return None
        username, _, domain = draft.creator.removeprefix("@").partition("@")
        own = self._ctx.settings.domain.lower()
        try:
            if domain.lower() == own:
                account: Account = await self._db.read(accounts.by_name, own, username)
            else:
                account = await self._lookups.discover(draft.creator)
        except NotFound as unknown:
            log.info("fediverse:creator %s of %s: %s", draft.creator, page_url, unknown)
            return None
        return account.id if cards.may_attribute(account, page_url, own) else None

    # --- reads ------------------------------------------------------------------------------

    def trending_links(self, limit: int, offset: int) -> Query[list[tuple[LinkTrend, CardView]]]:
        """The links the most people shared this week (core/timelines/trends.py)."""

        def load(session: Session) -> list[tuple[LinkTrend, CardView]]:
            found = trends.links(session, limit, offset)
            return list(zip(found, cards.views_of(session, [t.card for t in found]), strict=True))

        return self._query(load, off_loop=True)

    def link_timeline(self, viewer: Account | None, url: str, page: Page) -> Query[list[PostView]]:
        """The public posts sharing a trending link (`NotFound` for a URL that is not one)."""

        def load(session: Session) -> list[PostView]:
            trend = trends.trending_link(session, url)
            if trend is None:
                raise NotFound("Record not found")
            ids = trends.link_posts(session, viewer.id if viewer else None, trend.card.id, page)
            return timelines.hydrate(session, viewer, ids)

        return self._query(load, off_loop=True)
