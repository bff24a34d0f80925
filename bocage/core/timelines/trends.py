"""Trends, from what this node holds: hashtags used by the most people this week, and the
public posts people interacted with most in the last two days.

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
from bocage.core.timelines.timelines import not_muted
from bocage.kernel.clock import now
from bocage.kernel.ids import lowest_id_at
from bocage.store.models import Account, Post, PostTag, TrendReview

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
