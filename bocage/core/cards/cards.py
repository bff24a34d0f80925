"""The cards kept here, one per URL and shared by every post that links it, and the posts
they are attached to.

A post published, received or edited queues a `card.fetch` job (`crawl_later`: a post from
another server a few seconds later, so that a link shared across the network is not asked
for by every server at once, as Mastodon spreads it). The job (services/cards.py) reads the
post's first link (`target`), takes the card kept for that URL when it is fresh (read less
than two weeks ago, its image copied: `needs_refresh`), else reads the page and saves what it
says (`save`), then attaches the card to the post (`attach`): the post's row version moves
on, so that no Status rendered before is served again. An edit that changes the text drops
the card and queues the job again (`edited`). A card refreshed with other content moves on
every post showing it.

Only a fetch that did not fail is kept: a page that could not be read leaves the post without
a card (Mastodon does not try again either), and the next post linking it tries anew.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bocage.core.cards.extract import CardDraft
from bocage.core.cards.links import wants_card
from bocage.core.media import remote
from bocage.kernel.clock import now
from bocage.kernel.ids import new_id
from bocage.store.models import Account, Mention, Post, PostCard, PreviewCard
from bocage.store.queue import enqueue
from bocage.store.sql import update_rows

JOB = "card.fetch"  # payload {"post_id": …}: services/cards.py reads the link and attaches
REFRESH_AFTER = timedelta(weeks=2)  # a card older than this is read again (Mastodon's)
IMAGE_LIMIT = 8 * 1024 * 1024  # bytes of a card's image (Mastodon's, with libvips)
PAGE_LIMIT = 1024 * 1024  # bytes of a page read (Mastodon's `body_with_limit`)
OEMBED_LIMIT = 256 * 1024  # bytes of an oEmbed document
REMOTE_SPREAD = (1.0, 5.0)  # seconds a remote post's link waits before it is read
DRAFT_FIELDS = tuple(
    f.name for f in fields(CardDraft) if f.name not in ("url", "image_url", "creator")
)


@dataclass(frozen=True)
class Target:
    """What the job needs of a post to pick its link: its HTML, the profile URLs of those it
    mentions, whether it shows a card already, and its edit time (an edit made while the
    page was read makes the result stale)."""

    post_id: int
    content: str
    mentioned: frozenset[str]
    has_card: bool
    edited_at: datetime | None


@dataclass(frozen=True)
class CardImage:
    """This node's copy of a card's image (its preview: at most 640 px on its long side)."""

    key: str
    width: int
    height: int
    blurhash: str | None


@dataclass(frozen=True)
class CardView:
    """The card a post shows: the card, the URL as the post wrote it, and the account the
    page was attributed to (None when none is)."""

    card: PreviewCard
    url: str
    author: Account | None = None


def crawl_later(session: Session, post: Post, *, local: bool) -> None:
    """Queue the reading of `post`'s link, if it may have a card (core/cards/links.py)."""
    boost = post.reblog_of_id is not None
    spoiler, content = post.spoiler_text or "", post.content or ""
    if not wants_card(local=local, spoiler_text=spoiler, boost=boost, content=content):
        return
    delay = 0.0 if local else random.uniform(*REMOTE_SPREAD)
    enqueue(session, JOB, {"post_id": post.id}, delay=delay, max_attempts=1)


def edited(session: Session, post: Post, content_before: str, *, local: bool) -> None:
    """An edit: when its text changed, its card is dropped and its link read again."""
    if post.content == content_before:
        return
    if post.card_id is not None:
        session.execute(delete(PostCard).where(PostCard.post_id == post.id))
        post.card_id = None
    crawl_later(session, post, local=local)


def target(session: Session, post_id: int, local_base: str) -> Target | None:
    """The post whose link is to be read (None if it is gone or a boost)."""
    post = session.get(Post, post_id)
    if post is None or post.reblog_of_id is not None:
        return None
    mentioned: set[str] = set()
    rows = session.execute(
        select(Account.username, Account.domain, Account.uri)
        .join(Mention, Mention.account_id == Account.id)
        .where(Mention.post_id == post_id)
    ).all()
    for username, domain, uri in rows:
        mentioned.add(uri)
        if domain is None:
            mentioned.add(f"{local_base}/@{username}")
    return Target(post.id, post.content or "", frozenset(mentioned), post.card_id is not None,
                  post.edited_at)  # fmt: skip


def kept(session: Session, url: str) -> PreviewCard | None:
    """The card kept for `url`, fresh or not: the card of that URL, else the card a post
    that wrote this URL shows (a link that redirects, or names another canonical URL, is not
    read again for every post that shares it)."""
    card = _by_url(session, url)
    if card is not None:
        return card
    shown = select(PostCard.card_id).where(PostCard.url == url).limit(1)
    return session.scalar(select(PreviewCard).where(PreviewCard.id.in_(shown.scalar_subquery())))


def _by_url(session: Session, url: str) -> PreviewCard | None:
    return session.scalar(select(PreviewCard).where(PreviewCard.url == url))


def needs_refresh(card: PreviewCard | None, moment: datetime) -> bool:
    """Whether the page is to be read (again): no card yet, one older than REFRESH_AFTER,
    or one whose image was never copied here."""
    if card is None:
        return True
    return moment - card.fetched_at >= REFRESH_AFTER or bool(card.image_url and not card.image_key)


def may_attribute(account: Account, page_url: str, local_domain: str) -> bool:
    """Whether a page may name `account` as its author (`fediverse:creator`): Mastodon asks
    the account's own list of domains allowed to (its `attribution_domains`), which accounts
    here do not have; what stands in is the account's own server: a page on the host name
    the account lives on (or under it) may say so, and nobody else's. Host names, as
    attribution domains are: a port is no part of them."""
    home = urlsplit(f"//{account.domain or local_domain}").hostname or ""
    host = urlsplit(page_url).hostname or ""
    return bool(home) and (host == home or host.endswith(f".{home}"))


def save(
    session: Session,
    draft: CardDraft,
    image: CardImage | None,
    author_account_id: int | None,
) -> tuple[PreviewCard, list[str]]:
    """Keep what the page said under `draft.url` (a new card, or the kept one brought up to
    date); the posts showing a card whose content changed move on. Returns the card and the
    files no longer used (an image replaced), to remove."""
    moment = now()
    card = _by_url(session, draft.url)
    values: dict[str, Any] = {name: getattr(draft, name) for name in DRAFT_FIELDS}
    values |= {
        "image_url": draft.image_url,
        "author_account_id": author_account_id,
    }
    if image is not None:
        values |= {"image_key": image.key, "image_width": image.width,
                   "image_height": image.height, "blurhash": image.blurhash}  # fmt: skip
        if draft.type == "link":
            values |= {"width": image.width, "height": image.height}
    elif draft.image_url is None:
        values |= {"image_key": None, "image_width": None, "image_height": None, "blurhash": None}
    if card is None:
        card = PreviewCard(id=new_id(), url=draft.url, created_at=moment, fetched_at=moment,
                           **values)  # fmt: skip
        try:
            with session.begin_nested():  # another process may save the same URL first
                session.add(card)
                session.flush()
            return card, []
        except IntegrityError:
            card = _by_url(session, draft.url)
            if card is None:
                raise
    old_key = card.image_key
    changed = any(getattr(card, name) != value for name, value in values.items())
    for name, value in values.items():
        setattr(card, name, value)
    card.fetched_at = moment
    if changed:
        session.execute(
            update_rows(Post)
            .where(Post.card_id == card.id)
            .values(row_version=Post.row_version + 1)
        )
    freed = [old_key] if old_key and old_key != card.image_key else []
    session.flush()
    return card, remote.unused(session, freed) if freed else []


def attach(
    session: Session, post_id: int, url: str, card_id: int, edited_at: datetime | None
) -> bool:
    """Show the card on the post (`url`: as the post wrote it). Not when the post is gone,
    shows a card already, or was edited since its link was read."""
    post = session.get(Post, post_id)
    if post is None or post.card_id is not None or post.edited_at != edited_at:
        return False
    session.add(PostCard(post_id=post_id, card_id=card_id, url=url, created_at=now()))
    post.card_id = card_id
    remote.shown_anew(session, post_id)
    return True


def of_posts(session: Session, post_ids: Iterable[int]) -> dict[int, CardView]:
    """The card each of `post_ids` shows (those with `card_id` set: no query for none)."""
    ids = list(post_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(PostCard.post_id, PostCard.url, PreviewCard)
        .join(PreviewCard, PreviewCard.id == PostCard.card_id)
        .where(PostCard.post_id.in_(ids))
    ).all()
    authors = _authors(session, [card for _post, _url, card in rows])
    return {
        post_id: CardView(card, url, authors.get(card.author_account_id or 0))
        for post_id, url, card in rows
    }


def views_of(session: Session, cards: list[PreviewCard]) -> list[CardView]:
    """Cards shown on their own (trending links): under their own URL."""
    authors = _authors(session, cards)
    return [CardView(card, card.url, authors.get(card.author_account_id or 0)) for card in cards]


def _authors(session: Session, cards: Iterable[PreviewCard]) -> dict[int, Account]:
    ids = {card.author_account_id for card in cards if card.author_account_id}
    if not ids:
        return {}
    found = session.execute(
        select(Account).where(Account.id.in_(ids), Account.suspended.is_(False))
    )
    return {account.id: account for account in found.scalars()}
