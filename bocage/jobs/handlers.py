"""Every job kind the node knows, and the function that runs it."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bocage.core.messaging import conversations
from bocage.core.notifications import notifications
from bocage.core.polls import polls
from bocage.core.posts import posts, scheduled
from bocage.core.reading.visibility import Visibility
from bocage.core.timelines import feeds
from bocage.kernel import events
from bocage.kernel.context import Context
from bocage.store.models import Post
from bocage.store.queue import Handler


def post_created(session: Session, payload: dict[str, Any]) -> None:
    """A new post or boost: into followers' home feeds, then notifications (a follower who
    asked to hear of the author's posts is found by the fan-out's own query)."""
    post = posts.row_of(session, payload["post_id"])
    if post is None:
        return  # deleted meanwhile
    fanned = feeds.fan_out(session, post)
    notifications.notify_post_created(session, post, fanned.subscribers, fanned.mentioned)
    if post.visibility == Visibility.DIRECT and post.reblog_of_id is None:
        conversations.add_post(session, post)
    events.emit(session, "post.published", post_id=post.id)


def post_updated(session: Session, payload: dict[str, Any]) -> None:
    """An edited post: its boosters are told, and so are streaming clients."""
    if session.get(Post, payload["post_id"]) is None:
        return
    notifications.handle_post_updated(session, payload)
    events.emit(session, "post.updated", post_id=payload["post_id"])


HANDLERS: dict[str, Handler] = {
    "notify": notifications.handle_notify,
    "post.created": post_created,
    "post.updated": post_updated,
    "poll.close": polls.handle_close,
    "poll.update": polls.handle_update,
}


def with_context(ctx: Context) -> dict[str, Handler]:
    """The job kinds that act as the core does for a face (publishing needs the node's
    URLs and settings)."""

    def publish_scheduled(session: Session, payload: dict[str, Any]) -> None:
        scheduled.publish_due(session, ctx, payload)

    return {scheduled.JOB: publish_scheduled}
