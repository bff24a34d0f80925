"""Every job kind the node knows, and the function that runs it."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bocage.core import feeds, notifications
from bocage.jobs.worker import Handler
from bocage.store.models import Post


def post_created(session: Session, payload: dict[str, Any]) -> None:
    """A new post or boost: into followers' home feeds, then notifications (a follower who
    asked to hear of the author's posts is found by the fan-out's own query)."""
    post = session.get(Post, payload["post_id"])
    if post is None:
        return  # deleted meanwhile
    fanned = feeds.fan_out(session, post)
    notifications.notify_post_created(session, post, fanned.subscribers)


HANDLERS: dict[str, Handler] = {
    "notify": notifications.handle_notify,
    "post.created": post_created,
    "post.updated": notifications.handle_post_updated,
}
