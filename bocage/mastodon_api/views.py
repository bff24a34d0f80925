"""Reading what the routes answer with: posts as Status entities (with their tags in one
query for a whole page, and the viewer's filters applied) and accounts, inside the read
transaction."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bocage.core import filters
from bocage.core.context import Context
from bocage.core.timelines import PostView, with_mentions
from bocage.mastodon_api import entities
from bocage.store.models import Account, PostTag

# Where a status is shown, as filters name it (docs.joinmastodon.org/entities/Filter).
CONTEXTS = filters.CONTEXTS


class Statuses(list[dict[str, Any]]):
    """Status entities of a page. `page_ids` are the ids the page held before filters left
    some out: paging links follow them, so a page whose posts were all hidden does not end
    the timeline for the client."""

    page_ids: list[int]


def statuses(
    session: Session,
    ctx: Context,
    views: list[PostView],
    viewer: Account | Any | None,
    context: str,
    *,
    keep_hidden: bool = False,
) -> Statuses:
    """Status entities as `viewer` (None: nobody logged in) sees them in `context` (one of
    CONTEXTS): each with the filters it matches (`filtered`), and without those a `hide`
    filter leaves out in that context, unless `keep_hidden` (a post asked for by id)."""
    assert context in CONTEXTS, context
    page_ids = [view.post.id for view in views]
    viewer_id = viewer.id if viewer is not None else None
    applied = filters.apply(session, viewer_id, views, context, keep_hidden=keep_hidden)
    views = with_mentions(session, applied.views)
    ids = [view.post.id for view in views] + [view.reblog.post.id for view in views if view.reblog]
    tags: dict[int, list[str]] = defaultdict(list)
    if ids:
        rows = session.execute(select(PostTag.post_id, PostTag.tag).where(PostTag.post_id.in_(ids)))
        for post_id, tag in rows.all():
            tags[post_id].append(tag)
    attachments = {v.post.id: v.media for view in views for v in (view, view.reblog) if v}
    shown = Statuses(entities.status(ctx, view, tags, attachments) for view in views)
    for entity in shown if applied.matches else ():
        found = applied.matches.get(int(entity["id"]))
        if found:
            entity["filtered"] = [entities.filter_result(match) for match in found]
            if entity["reblog"]:
                entity["reblog"]["filtered"] = entity["filtered"]
    shown.page_ids = page_ids
    return shown


def page_ids(answer: list[dict[str, Any]]) -> list[int]:
    """The ids a page's `Link` header follows (see `Statuses`)."""
    return getattr(answer, "page_ids", None) or [int(status["id"]) for status in answer]
