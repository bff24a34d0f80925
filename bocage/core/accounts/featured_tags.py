"""Featured hashtags: a few tags a local account shows on its profile, each with how many of
its public posts carry it. Published as the actor's `featuredTags` collection and announced
with Add and Remove, as Mastodon does.

Counts are computed when read (a grouped query over the account's tagged posts) rather than
kept up to date on every post: publishing stays as it is for everyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bocage.core.authorship import activities, authoring
from bocage.core.content import text
from bocage.core.reading.visibility import OPEN
from bocage.kernel.clock import now
from bocage.kernel.context import Context
from bocage.kernel.errors import InvalidInput, NotFound
from bocage.kernel.ids import new_id
from bocage.kernel.urls import Urls
from bocage.store.models import Account, FeaturedTag, Post, PostTag

MAX_FEATURED = 10  # Mastodon's limit
MAX_SUGGESTIONS = 10
RECENT_POSTS = 1000  # suggestions come from the account's latest posts, as on Mastodon


@dataclass(frozen=True)
class FeaturedTagView:
    id: int
    name: str
    statuses_count: int
    last_status_at: datetime | None


def feature(session: Session, ctx: Context, account: Account, name: str) -> FeaturedTagView:
    """Feature `name` (with or without its `#`) on `account`'s profile."""
    name = name.strip().removeprefix("#")
    if not name:
        raise InvalidInput("Name can't be blank")
    if text.parse(f"#{name}").tags != (name.lower(),):
        raise InvalidInput("Name is invalid")  # not what a post's #hashtag could be
    featured = _featured_rows(session, account.id)
    if any(row.tag == name.lower() for row in featured):
        raise InvalidInput("Name has already been taken")
    if len(featured) >= MAX_FEATURED:
        raise InvalidInput("You have already featured the maximum number of hashtags")
    row = FeaturedTag(
        id=new_id(), account_id=account.id, name=name, tag=name.lower(), created_at=now()
    )
    try:
        with session.begin_nested():  # a savepoint: losing a race must not abort the rest
            session.add(row)
            session.flush()
    except IntegrityError:
        raise InvalidInput("Name has already been taken") from None  # a double click
    _announce(session, ctx, account, "Add", name)
    return _views(session, account.id, [row])[0]


def unfeature(session: Session, ctx: Context, account: Account, featured_id: int) -> None:
    row = session.get(FeaturedTag, featured_id)
    if row is None or row.account_id != account.id:
        raise NotFound("Record not found")
    session.execute(delete(FeaturedTag).where(FeaturedTag.id == row.id))
    _announce(session, ctx, account, "Remove", row.name)


def feature_name(session: Session, ctx: Context, account: Account, name: str) -> None:
    """`POST /api/v1/tags/:name/feature` (Mastodon 4.4): feature it unless it already is
    (Mastodon's `find_or_create_by!`; past the limit, a refusal all the same)."""
    if any(row.tag == name.lower() for row in _featured_rows(session, account.id)):
        return
    feature(session, ctx, account, name)


def unfeature_name(session: Session, ctx: Context, account: Account, name: str) -> None:
    """`POST /api/v1/tags/:name/unfeature`: no longer featured (never was: nothing to do)."""
    for row in _featured_rows(session, account.id):
        if row.tag == name.lower():
            unfeature(session, ctx, account, row.id)


def of_account(session: Session, account_id: int) -> list[FeaturedTagView]:
    """The account's featured tags, the most used first."""
    views = _views(session, account_id, _featured_rows(session, account_id))
    return sorted(views, key=lambda view: (-view.statuses_count, view.name.lower()))


def suggestions(session: Session, account_id: int) -> list[str]:
    """The tags the account used most in its latest posts, except those already featured."""
    recent = (
        select(Post.id)
        .where(Post.account_id == account_id)
        .order_by(Post.id.desc())
        .limit(RECENT_POSTS)
        .subquery()
    )
    featured = select(FeaturedTag.tag).where(FeaturedTag.account_id == account_id)
    rows = session.execute(
        select(PostTag.tag)
        .join(recent, recent.c.id == PostTag.post_id)
        .where(PostTag.tag.not_in(featured))
        .group_by(PostTag.tag)
        .order_by(func.count().desc(), PostTag.tag)
        .limit(MAX_SUGGESTIONS)
    )
    return list(rows.scalars())


def hashtag(urls: Urls, name: str) -> dict[str, Any]:
    """A featured tag as ActivityStreams shows it (in the collection, in Add and Remove)."""
    return {"type": "Hashtag", "href": urls.tag(name), "name": f"#{name}"}


def _featured_rows(session: Session, account_id: int) -> list[FeaturedTag]:
    rows = session.execute(select(FeaturedTag).where(FeaturedTag.account_id == account_id))
    return list(rows.scalars())


def _views(session: Session, account_id: int, rows: list[FeaturedTag]) -> list[FeaturedTagView]:
    """The rows with their counts: one grouped query over the account's tagged posts."""
    if not rows:
        return []
    counted = session.execute(
        select(PostTag.tag, func.count(), func.max(Post.created_at))
        .join(Post, Post.id == PostTag.post_id)
        .where(
            PostTag.tag.in_([row.tag for row in rows]),
            Post.account_id == account_id,
            Post.visibility.in_(OPEN),  # the posts a featured tag counts
        )
        .group_by(PostTag.tag)
    )
    counts = {tag: (count, last) for tag, count, last in counted.all()}
    return [FeaturedTagView(row.id, row.name, *counts.get(row.tag, (0, None))) for row in rows]


def _announce(session: Session, ctx: Context, account: Account, kind: str, name: str) -> None:
    """Tell followers' servers (Mastodon shows featured tags on remote profiles too)."""
    activity = activities.wrap(
        kind,
        ctx.urls.activity(account.username, new_id()),
        account,
        hashtag(ctx.urls, name),
        to=[activities.PUBLIC],
        cc=[ctx.urls.followers(account.username)],
    )
    activity["target"] = ctx.urls.featured_tags(account.username)
    authoring.append(session, account, activity)
