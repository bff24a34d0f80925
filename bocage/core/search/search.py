"""Searching posts by their words, among what the searcher has a reason to look for.

Like Mastodon's own full-text search without the opt-in public index, a person finds words
in their own posts and in those they favourited, bookmarked or were mentioned in: search
never turns other people's posts into something nobody chose to publish that way.
"""

from __future__ import annotations

from sqlalchemy import and_, func, or_, select, union
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from bocage.core.reading.visibility import visible_to
from bocage.store.models import Bookmark, Favourite, Mention, Post, PostTag

MAX_WORDS = 8


def kinds(query: str, kind: str, *, logged_in: bool) -> frozenset[str]:
    """What a query searches, as Mastodon's SearchService decides (`kind`: the `type` asked,
    "" for all): a `#tag` is a hashtag search (no accounts; no posts unless it has several
    words), a handle no hashtag and, alone, no posts; posts only for someone logged in."""
    query = query.strip()
    asked = {kind} if kind else {"accounts", "statuses", "hashtags"}
    found = set()
    one_word = " " not in query
    if not (query.startswith("#") or ("@" in query and not one_word)):
        found.add("accounts")
    if logged_in and not ((query.startswith("#") or "@" in query) and one_word):
        found.add("statuses")
    if "@" not in query:
        found.add("hashtags")
    return frozenset(found & asked)


def statuses(
    session: Session,
    viewer_id: int,
    query: str,
    *,
    limit: int = 20,
    offset: int = 0,
    account_id: int | None = None,
) -> list[int]:
    """Ids of posts with every word of `query` (case-insensitive), newest first."""
    words = [word.lower() for word in query.split()[:MAX_WORDS] if word.strip()]
    if not words:
        return []
    reachable = union(
        select(Post.id).where(Post.account_id == viewer_id, Post.reblog_of_id.is_(None)),
        select(Favourite.post_id).where(Favourite.account_id == viewer_id),
        select(Bookmark.post_id).where(Bookmark.account_id == viewer_id),
        select(Mention.post_id).where(Mention.account_id == viewer_id),
    )
    found = select(Post.id).where(
        Post.id.in_(reachable),
        visible_to(viewer_id),
        and_(*(_contains(word) for word in words)),
    )
    if account_id is not None:
        found = found.where(Post.account_id == account_id)
    rows = session.execute(found.order_by(Post.id.desc()).offset(offset).limit(limit))
    return list(rows.scalars())


def _contains(word: str) -> ColumnElement[bool]:
    pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return or_(
        func.lower(Post.source).like(pattern, escape="\\"),
        func.lower(Post.content).like(pattern, escape="\\"),
        func.lower(Post.spoiler_text).like(pattern, escape="\\"),
    )


def hashtags(session: Session, prefix: str, limit: int) -> list[str]:
    """Hashtags used here that start with `prefix`, the most used first."""
    if not prefix:
        return []
    pattern = prefix.lower().replace("%", "").replace("_", "\\_") + "%"
    rows = session.execute(
        select(PostTag.tag)
        .where(PostTag.tag.like(pattern, "\\"))
        .group_by(PostTag.tag)
        .order_by(func.count().desc())
        .limit(limit)
    )
    return list(rows.scalars())
