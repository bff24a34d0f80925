"""Followed hashtags: a local account follows a hashtag, and the public posts that carry it
come into their home feed (`feeds.fan_out` looks followers up by tag), as Mastodon 4.0's
followed tags. A follow of a tag is the follower's own business: nothing is federated.

A name is valid when it is what a post's `#hashtag` could be (`valid_tag`); the tag is kept
lower-cased, as `post_tags` holds it, and the name as the follower wrote it.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bocage.core.content import text
from bocage.kernel.clock import now
from bocage.kernel.errors import NotFound
from bocage.kernel.ids import new_id
from bocage.store.models import FeaturedTag, TagFollow

MAX_LIMIT = 200  # followed tags a page holds at most (Mastodon: twice its default of 100)


def valid_tag(name: str) -> str:
    """`name` (without `#`) as `post_tags` holds it; `NotFound` if no post's `#hashtag`
    could be it (Mastodon answers 404 for such a name)."""
    if not name or text.parse(f"#{name}").tags != (name.lower(),):
        raise NotFound("Record not found")
    return name.lower()


def follow(session: Session, account_id: int, name: str) -> None:
    """Follow the hashtag `name` (again: nothing changes)."""
    tag = valid_tag(name)
    if _row(session, account_id, tag) is not None:
        return
    row = TagFollow(id=new_id(), account_id=account_id, name=name, tag=tag, created_at=now())
    try:
        with session.begin_nested():  # a savepoint: losing a race (a double tap) is fine
            session.add(row)
            session.flush()
    except IntegrityError:
        pass


def unfollow(session: Session, account_id: int, name: str) -> None:
    tag = valid_tag(name)
    session.execute(
        delete(TagFollow).where(TagFollow.account_id == account_id, TagFollow.tag == tag)
    )


def page(
    session: Session, account_id: int, limit: int, max_id: int | None, min_id: int | None
) -> list[TagFollow]:
    """The account's followed tags, the latest followed first, paged by the follow's id."""
    query = select(TagFollow).where(TagFollow.account_id == account_id)
    if max_id is not None:
        query = query.where(TagFollow.id < max_id)
    if min_id is not None:
        query = query.where(TagFollow.id > min_id)
    rows = session.execute(query.order_by(TagFollow.id.desc()).limit(max(1, min(limit, MAX_LIMIT))))
    return list(rows.scalars())


def relations(session: Session, account_id: int, tags: list[str]) -> tuple[set[str], set[str]]:
    """Which of `tags` (lower-cased) the account follows, and which it features."""
    if not tags:
        return set(), set()
    following = session.execute(
        select(TagFollow.tag).where(TagFollow.account_id == account_id, TagFollow.tag.in_(tags))
    )
    featuring = session.execute(
        select(FeaturedTag.tag).where(
            FeaturedTag.account_id == account_id, FeaturedTag.tag.in_(tags)
        )
    )
    return set(following.scalars()), set(featuring.scalars())


def _row(session: Session, account_id: int, tag: str) -> TagFollow | None:
    found = session.execute(
        select(TagFollow).where(TagFollow.account_id == account_id, TagFollow.tag == tag)
    )
    return found.scalar_one_or_none()
