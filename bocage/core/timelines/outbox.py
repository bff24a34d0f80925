"""An account's outbox, as other servers read it to backfill a profile: the posts and boosts
anyone may see (public and unlisted; never followers-only or direct), newest first, each as
the activity its author signed, from the author's log.

A post edited since is listed as its Create carrying the latest signed version of the
object (the object's own proof still holds; the Create's would not, so it has none).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from bocage.core.authorship import activities, authoring
from bocage.core.reading.visibility import visible_to
from bocage.core.timelines import timelines
from bocage.store.models import Account, Post

PAGE_SIZE = 20


def _listed(account: Account) -> Select[int]:
    """What the outbox lists: what an anonymous reader sees on the profile, replies and
    boosts included (a boost only when the boosted post is public or unlisted)."""
    return select(Post.id).where(
        Post.account_id == account.id,
        visible_to(None),
        timelines.original_visible(None),
    )


def count(session: Session, account: Account) -> int:
    """The outbox's `totalItems`: exactly what its pages list, together."""
    listed = _listed(account).subquery()
    return int(session.execute(select(func.count()).select_from(listed)).scalar_one())


def page(
    session: Session, account: Account, max_id: int | None, min_id: int | None
) -> list[tuple[int, dict[str, Any]]]:
    """(post id, signed activity) of one page, newest first: older than `max_id`, or the
    ones just newer than `min_id` (Mastodon's paging)."""
    query = _listed(account)
    if max_id is not None:
        query = query.where(Post.id < max_id)
    if min_id is not None:
        query = query.where(Post.id > min_id).order_by(Post.id).limit(PAGE_SIZE)
        ids = sorted(session.execute(query).scalars(), reverse=True)
    else:
        ids = list(session.execute(query.order_by(Post.id.desc()).limit(PAGE_SIZE)).scalars())
    found = []
    for post in session.execute(select(Post).where(Post.id.in_(ids))).scalars():
        activity = _as_signed(session, account, post)
        if activity is not None:
            found.append((post.id, activity))
    return sorted(found, key=lambda item: item[0], reverse=True)


def _as_signed(session: Session, account: Account, post: Post) -> dict[str, Any] | None:
    if post.reblog_of_id is not None:
        return authoring.signed_activity(session, post.uri)  # the Announce
    latest = authoring.latest_version(session, post.uri, account.id)
    if latest is None or latest.get("type") == "Create":
        return latest
    create_id = activities.create_id(post.uri)
    latest_object = latest["object"]
    return activities.wrap("Create", create_id, account, latest_object, published=post.created_at)
