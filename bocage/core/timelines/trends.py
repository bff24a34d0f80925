"""Trends, from what this node holds: hashtags used by the most people this week, the public
posts people interacted with most in the last two days, and the links (preview cards) the
most people shared this week.

Mastodon has admins review trends before they are shown; a small node has no such staff, so
these are computed as they are, and only from public posts (nothing anyone shared with a
narrower audience); what a moderator rejected (`TrendReview`, through the admin API) is left
out, but for the moderators' own list (`with_rejected`). Post ids sort by time
(kernel/ids.py), so "the last N days" is an id range on the primary key.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Select, String, cast, exists, func, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from bocage.core.instance import domains
from bocage.core.reading.visibility import Visibility, visible_to
from bocage.core.timelines.timelines import Page, not_muted
from bocage.kernel.clock import now
from bocage.kernel.ids import lowest_id_at
from bocage.store.models import Account, Post, PostCard, PostTag, PreviewCard, TrendReview

TAG_DAYS = 7
POST_DAYS = 2


@dataclass(frozen=True)
class DayUse:
    day: datetime  # midnight UTC
    uses: int
    accounts: int


@dataclass(frozen=True)
class TagTrend:
    name: str
    history: list[DayUse]  # newest day first, TAG_DAYS entries

    @property
    def accounts(self) -> int:
        return sum(day.accounts for day in self.history)


def tags(
    session: Session, limit: int = 10, offset: int = 0, *, with_rejected: bool = False
) -> list[TagTrend]:
    """Hashtags of the week's public posts, by how many people used them."""
    rejected = set() if with_rejected else _rejected(session, "tag")
    days = _days()
    counts: dict[str, dict[datetime, tuple[int, int]]] = defaultdict(dict)
    for start in days:
        for tag, uses, people in session.execute(_day_counts(start)).all():
            counts[tag][start] = (uses, people)
    trends = [
        TagTrend(tag, [DayUse(day, *by_day.get(day, (0, 0))) for day in days])
        for tag, by_day in counts.items()
        if tag.lower() not in rejected
    ]
    trends.sort(key=lambda trend: (-trend.accounts, trend.name))
    return trends[offset : offset + limit]


def tag_history(session: Session, tag: str) -> list[DayUse]:
    """One hashtag's week (`tag` lower-cased), newest day first, counted as `tags` counts:
    the `history` of a Tag entity."""
    days = _days()
    found: dict[datetime, tuple[int, int]] = {}
    for start in days:
        query = _day_counts(start).where(PostTag.tag == tag)
        for _tag, uses, people in session.execute(query).all():
            found[start] = (uses, people)
    return [DayUse(day, *found.get(day, (0, 0))) for day in days]


def _days() -> list[datetime]:
    today = now().astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return [today - timedelta(days=n) for n in range(TAG_DAYS)]


def _day_counts(start: datetime) -> Select[str, int, int]:
    end = start + timedelta(days=1)
    return (
        select(PostTag.tag, func.count(), func.count(Post.account_id.distinct()))
        .join(Post, Post.id == PostTag.post_id)
        .join(Account, Account.id == Post.account_id)
        .where(
            Post.id >= lowest_id_at(start),
            Post.id < lowest_id_at(end),
            Post.visibility == Visibility.PUBLIC,
            Account.suspended.is_(False),
            ~domains.silenced_account(Account.domain),
            ~domains.silenced_person(Account.id),
        )
        .group_by(PostTag.tag)
    )


def _rejected(session: Session, kind: str) -> set[str]:
    found = select(TrendReview.key).where(
        TrendReview.kind == kind, TrendReview.trendable.is_(False)
    )
    return set(session.execute(found).scalars())


def statuses(
    session: Session,
    viewer_id: int | None,
    limit: int = 20,
    offset: int = 0,
    *,
    with_rejected: bool = False,
) -> list[int]:
    """Ids of the public posts of the last two days with the most favourites and boosts,
    but those of people the viewer blocks, is blocked by or mutes (Mastodon's
    `filtered_for`)."""
    since = lowest_id_at(now() - timedelta(days=POST_DAYS))
    score = Post.favourites_count + Post.reblogs_count
    rows = session.execute(
        select(Post.id)
        .join(Account, Account.id == Post.account_id)
        .where(
            Post.id >= since,
            Post.visibility == Visibility.PUBLIC,
            Post.reblog_of_id.is_(None),
            score > 0,
            Account.suspended.is_(False),
            ~domains.silenced_account(Account.domain),
            ~domains.silenced_person(Account.id),
            visible_to(viewer_id),
            not_muted(viewer_id),
            true() if with_rejected else _not_rejected_post(),
        )
        .order_by(score.desc(), Post.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(rows.scalars())


def _not_rejected_post() -> ColumnElement[bool]:
    return ~exists().where(
        TrendReview.kind == "status",
        TrendReview.key == cast(Post.id, String),
        TrendReview.trendable.is_(False),
    )


# --- links ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkTrend:
    """A link (its preview card) shared in the week's public posts, and by how many people
    each day."""

    card: PreviewCard
    history: list[DayUse]  # newest day first, TAG_DAYS entries

    @property
    def accounts(self) -> int:
        return sum(day.accounts for day in self.history)


def links(
    session: Session, limit: int = 10, offset: int = 0, *, with_rejected: bool = False
) -> list[LinkTrend]:
    """The links of the week's public posts, by how many people shared them (Mastodon's
    Trends::Links counts the same posts: public, no content warning, not sensitive, their
    authors neither suspended nor silenced). A link a moderator rejected is left out."""
    rejected = set() if with_rejected else _rejected(session, "link")
    days = _days()
    counts: dict[int, dict[datetime, tuple[int, int]]] = defaultdict(dict)
    for start in days:
        for card_id, uses, people in session.execute(_day_shares(start)).all():
            counts[card_id][start] = (uses, people)
    ranked = sorted(
        (
            (sum(by_day.get(day, (0, 0))[1] for day in days), card_id)
            for card_id, by_day in counts.items()
            if str(card_id) not in rejected
        ),
        key=lambda pair: (-pair[0], -pair[1]),
    )[offset : offset + limit]
    wanted = [card_id for _people, card_id in ranked]
    found = {
        card.id: card
        for card in session.execute(select(PreviewCard).where(PreviewCard.id.in_(wanted))).scalars()
    }
    return [
        LinkTrend(found[card_id], [DayUse(day, *counts[card_id].get(day, (0, 0))) for day in days])
        for card_id in wanted
        if card_id in found
    ]


def trending_link(session: Session, url: str) -> LinkTrend | None:
    """The link trend of the card kept for `url` (its own URL, or the URL a post wrote),
    when it is one: shared in a public post this week and not rejected."""
    card = session.scalar(select(PreviewCard).where(PreviewCard.url == url))
    if card is None:
        card_id = session.scalar(select(PostCard.card_id).where(PostCard.url == url).limit(1))
        card = session.get(PreviewCard, card_id) if card_id is not None else None
    if card is None or str(card.id) in _rejected(session, "link"):
        return None
    history = link_history(session, card.id)
    return LinkTrend(card, history) if any(day.uses for day in history) else None


def link_history(session: Session, card_id: int) -> list[DayUse]:
    days = _days()
    found: dict[datetime, tuple[int, int]] = {}
    for start in days:
        query = _day_shares(start).where(PostCard.card_id == card_id)
        for _card, uses, people in session.execute(query).all():
            found[start] = (uses, people)
    return [DayUse(day, *found.get(day, (0, 0))) for day in days]


def _day_shares(start: datetime) -> Select[int, int, int]:
    end = start + timedelta(days=1)
    return (
        select(PostCard.card_id, func.count(), func.count(Post.account_id.distinct()))
        .join(Post, Post.id == PostCard.post_id)
        .join(Account, Account.id == Post.account_id)
        .where(
            Post.id >= lowest_id_at(start),
            Post.id < lowest_id_at(end),
            Post.visibility == Visibility.PUBLIC,
            Post.spoiler_text == "",
            Post.sensitive.is_(False),
            Account.suspended.is_(False),
            ~domains.silenced_account(Account.domain),
            ~domains.silenced_person(Account.id),
        )
        .group_by(PostCard.card_id)
    )


def link_posts(session: Session, viewer_id: int | None, card_id: int, page: Page) -> list[int]:
    """Ids of the public posts that show the card, newest first, as `viewer_id` may see
    them (Mastodon's link timeline)."""
    page = page.bounded()
    query = (
        select(Post.id)
        .join(Account, Account.id == Post.account_id)
        .where(
            Post.card_id == card_id,
            Post.visibility == Visibility.PUBLIC,
            Account.suspended.is_(False),
            ~domains.silenced_account(Account.domain),
            ~domains.silenced_person(Account.id),
            visible_to(viewer_id),
            not_muted(viewer_id),
        )
    )
    if page.max_id is not None:
        query = query.where(Post.id < page.max_id)
    if page.min_id is not None:
        query = query.where(Post.id > page.min_id)
    return list(session.execute(query.order_by(Post.id.desc()).limit(page.limit)).scalars())
