"""Reading what the routes answer with: posts as Status entities (with their tags in one
query for a whole page) and accounts, inside the read transaction."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bocage.core.context import Context
from bocage.core.conversations import muted_threads, thread_of
from bocage.core.timelines import PostView, with_mentions
from bocage.mastodon_api import entities
from bocage.store.models import Account, PostTag

# Where a status is shown, as filters name it (docs.joinmastodon.org/entities/Filter).
CONTEXTS = ("home", "notifications", "public", "thread", "account")


def statuses(
    session: Session,
    ctx: Context,
    views: list[PostView],
    viewer: Account | Any | None,
    context: str,
) -> list[dict[str, Any]]:
    """Status entities as `viewer` (None: nobody logged in) sees them in `context` (one of
    CONTEXTS: filters apply per context)."""
    assert context in CONTEXTS, context
    views = with_mentions(session, views)
    ids = [view.post.id for view in views] + [view.reblog.post.id for view in views if view.reblog]
    tags: dict[int, list[str]] = defaultdict(list)
    if ids:
        rows = session.execute(select(PostTag.post_id, PostTag.tag).where(PostTag.post_id.in_(ids)))
        for post_id, tag in rows.all():
            tags[post_id].append(tag)
    attachments = {v.post.id: v.media for view in views for v in (view, view.reblog) if v}
    muted = _muted_threads(session, views, viewer)
    return [entities.status(ctx, view, tags, attachments, muted) for view in views]


def _muted_threads(session: Session, views: list[PostView], viewer: Any) -> set[int]:
    """The page's threads the viewer muted: one query for the page, none without a viewer."""
    if viewer is None or not views:
        return set()
    threads = {thread_of(v.post) for view in views for v in (view, view.reblog) if v}
    return muted_threads(session, viewer.id, threads)
